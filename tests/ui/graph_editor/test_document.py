"""The editor's document: exact undo/redo, save/open round trips, broken files, templates,
the unsaved-changes guard and the modified mark."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialog, QMessageBox

from tests.ui.graph_editor.conftest import make_editor
from workbench.graph import Edge, describe_templates, dumps, list_templates, load_template
from workbench.ui.graph_editor import ACTION_KEYS, GraphEditor
from workbench.ui.graph_editor import editor as editor_module
from workbench.ui.graph_editor.templates_dialog import TemplateDialog


def test_undo_and_redo_restore_every_step_exactly(editor) -> None:  # noqa: ANN001
    controller = editor.controller
    states = [dumps(editor.graph)]
    steps = [
        lambda: controller.add_node("data_source", (0.0, 0.0)),
        lambda: controller.add_node("train_torch", (300.0, 0.0)),
        lambda: controller.connect_ports("data_source", "data", "train_torch", "data"),
        lambda: controller.set_param("train_torch", "epochs", 5),
        lambda: controller.set_param("train_torch", "hidden_sizes", [8]),
        lambda: controller.set_title("train_torch", "Small net"),
        lambda: controller.set_target("train_torch", "gpu-box"),
        lambda: controller.set_positions({"train_torch": (320.0, 40.0)}, "Move"),
        lambda: controller.add_annotation("a note", (10.0, 200.0)),
        lambda: controller.remove(["data_source"]),
    ]
    for step in steps:
        assert step() not in (False, None)
        states.append(dumps(editor.graph))
    assert editor.undo_stack.count() == len(steps)
    undo, redo = editor.actions()["undo"], editor.actions()["redo"]
    for expected in reversed(states[:-1]):
        undo.trigger()
        assert dumps(editor.graph) == expected
    assert not editor.scene.node_items and not undo.isEnabled()
    for expected in states[1:]:
        redo.trigger()
        assert dumps(editor.graph) == expected
    assert set(editor.scene.node_items) == set(editor.graph.nodes)
    assert set(editor.scene.edge_items) == set(editor.graph.edges)


def test_save_and_open_round_trip(editor, qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    assert editor.new_from_template("canary")
    editor.controller.set_param("train", "model_name", "canary_model")
    assert editor.is_modified() and editor.isWindowModified()
    path = tmp_path / "canary.yaml"
    with qtbot.waitSignal(editor.modifiedChanged) as changed:
        assert editor.save_file(path)
    assert changed.args == [False]
    assert path.read_text(encoding="utf-8") == dumps(editor.graph)
    assert editor.file_path == path and not editor.is_modified()
    assert editor.windowTitle().startswith("canary.yaml")
    other = make_editor(qtbot)
    assert other.open_file(path)
    assert dumps(other.graph) == dumps(editor.graph)
    assert other.file_path == path and not other.is_modified() and other.undo_stack.count() == 0
    assert set(other.scene.node_items) == set(editor.graph.nodes)
    other.controller.set_title("train", "Retitled")
    assert other.save_file()  # to its own file, without asking
    assert "Retitled" in path.read_text(encoding="utf-8")


def test_a_broken_file_is_reported_with_its_line_and_nothing_is_lost(
    editor, monkeypatch, tmp_path
) -> None:  # noqa: ANN001
    editor.new_from_template("inference")
    editor.controller.add_node("kpi_source", (0.0, 400.0))
    before, count = dumps(editor.graph), editor.undo_stack.count()
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text, *a: shown.append(text))
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "format: mlops-workbench/graph\nversion: 2\nnodes:\n  - id: [oops\n", encoding="utf-8"
    )
    assert not editor.open_file(bad)
    assert len(shown) == 1 and str(bad) in shown[0] and "line" in shown[0]
    wrong = tmp_path / "wrong.yaml"  # parses, but an edge names a node that is not there
    wrong.write_text(
        dumps(load_template("inference")).replace("to: score.data", "to: nowhere.data"),
        encoding="utf-8",
    )
    assert not editor.open_file(wrong)
    assert "nowhere" in shown[-1] and "wrong.yaml" in shown[-1] and "line" in shown[-1]
    assert not editor.open_file(tmp_path / "missing.yaml")
    assert dumps(editor.graph) == before and editor.undo_stack.count() == count


def test_a_file_with_unknown_kinds_opens_and_lists_the_problems(editor, tmp_path) -> None:  # noqa: ANN001
    text = dumps(load_template("inference")).replace("kind: inference", "kind: plugin_scorer")
    path = tmp_path / "plugin.yaml"
    path.write_text(text, encoding="utf-8")
    assert editor.open_file(path)
    assert any(p.code == "unknown_kind" for p in editor.problems.problems)
    assert editor.scene.node_items["score"].kind is None
    editor.view.viewport().grab()


@pytest.mark.parametrize("name", list_templates())
def test_new_from_template_loads_it(editor, name: str) -> None:  # noqa: ANN001
    editor.controller.add_node("trigger", (0.0, 0.0))
    assert editor.new_from_template(name)
    assert dumps(editor.graph) == dumps(load_template(name))
    assert set(editor.scene.node_items) == set(editor.graph.nodes)
    assert set(editor.scene.edge_items) == set(editor.graph.edges)
    assert set(editor.scene.note_items) == set(editor.graph.annotations)
    assert editor.file_path is None and not editor.is_modified() and editor.undo_stack.count() == 0
    assert editor.problems.validate_now() == [] or all(
        p.severity == "warning" for p in editor.problems.problems
    )


def test_template_dialog_lists_names_titles_and_descriptions(qtbot) -> None:  # noqa: ANN001
    dialog = TemplateDialog()
    qtbot.addWidget(dialog)
    infos = describe_templates()
    assert dialog.list.count() == len(infos) == 5
    for row, info in enumerate(infos):
        assert (
            info.title in dialog.list.item(row).text() and info.name in dialog.list.item(row).text()
        )
    dialog.list.setCurrentRow(2)
    assert dialog.selected_name() == infos[2].name
    assert dialog.description.toPlainText() == infos[2].description


def test_new_from_template_action_asks_first_then_uses_the_dialog(editor, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(
        TemplateDialog,
        "exec",
        lambda self: (self.list.setCurrentRow(0), QDialog.DialogCode.Accepted)[1],
    )
    editor.actions()["new_from_template"].trigger()
    assert dumps(editor.graph) == dumps(load_template(list_templates()[0]))


def _answer(monkeypatch, button: QMessageBox.StandardButton) -> list[str]:  # noqa: ANN001
    asked: list[str] = []

    def question(parent, title, text, buttons, default):  # noqa: ANN001, ANN202
        asked.append(text)
        return button

    monkeypatch.setattr(QMessageBox, "question", question)
    return asked


def test_unsaved_changes_guard(editor, monkeypatch, tmp_path) -> None:  # noqa: ANN001
    editor.new_from_template("inference")
    assert editor.maybe_save()  # nothing changed: no question
    editor.controller.add_node("kpi_source", (0.0, 300.0))
    before = dumps(editor.graph)
    asked = _answer(monkeypatch, QMessageBox.StandardButton.Cancel)
    assert not editor.maybe_save()
    editor.actions()["new"].trigger()
    assert dumps(editor.graph) == before and len(asked) == 2 and "unsaved changes" in asked[0]
    _answer(monkeypatch, QMessageBox.StandardButton.Discard)
    assert editor.maybe_save()
    target = tmp_path / "guarded.yaml"
    monkeypatch.setattr(
        editor_module.QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), "")
    )
    _answer(monkeypatch, QMessageBox.StandardButton.Save)
    assert editor.maybe_save()
    assert target.read_text(encoding="utf-8") == before and not editor.is_modified()
    editor.controller.add_node("kpi_source", (0.0, 600.0))
    _answer(monkeypatch, QMessageBox.StandardButton.Discard)
    editor.actions()["new"].trigger()
    assert not editor.graph.nodes and editor.file_path is None


def test_title_and_modified_mark_follow_the_undo_stack(editor, qtbot) -> None:  # noqa: ANN001
    titles: list[str] = []
    editor.titleChanged.connect(titles.append)
    editor.new_from_template("retrain")
    assert titles[-1] == "Retraining feeding inference" and not editor.isWindowModified()
    with qtbot.waitSignal(editor.modifiedChanged) as modified:
        editor.controller.set_title("train", "Train it")
    assert modified.args == [True] and editor.isWindowModified()
    editor.actions()["undo"].trigger()
    assert not editor.isWindowModified()


def test_public_api(editor) -> None:  # noqa: ANN001
    assert isinstance(editor, GraphEditor)
    actions = editor.actions()
    assert set(actions) == set(ACTION_KEYS)
    for key in (
        "new",
        "open",
        "save",
        "save_as",
        "undo",
        "redo",
        "cut",
        "copy",
        "paste",
        "duplicate",
        "delete",
        "select_all",
        "auto_layout",
        "align_left",
        "align_top",
        "zoom_in",
        "zoom_out",
        "fit_view",
        "validate",
    ):
        assert key in actions
    assert actions["undo"].shortcut().toString() == "Ctrl+Z"
    assert actions["duplicate"].shortcut().toString() == "Ctrl+D"
    assert actions["delete"].shortcut().toString() == "Del"
    assert editor.undo_stack is editor.controller.undo_stack
    editor.controller.add_node("trigger", (0.0, 0.0))
    editor.controller.add_node("trigger", (0.0, 100.0))
    editor.actions()["select_all"].trigger()
    assert editor.scene.selected_node_ids() == ["trigger", "trigger_2"]
    assert editor.controller.connect_ports("trigger", "start", "trigger_2", "alert")
    assert Edge("trigger", "start", "trigger_2", "alert") in editor.graph.edges
