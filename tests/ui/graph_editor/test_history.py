"""Graph history in the editor, as people use it on one SQLite store: Save to store with a
message, a conflict with someone who saved the same node since (resolved per node), a merge
with someone who changed another node, the difference of two versions painted on the canvas,
and restoring an old version as a new one."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QGraphicsItem, QInputDialog, QMessageBox

from tests.support.store_setup import cast_store
from tests.ui.graph_editor.conftest import make_editor
from workbench.graph import loads
from workbench.graph.fileformat import dumps
from workbench.services.graph_history import history, save_graph, version_text
from workbench.services.users import add_user
from workbench.store import Store
from workbench.ui.graph_editor import GraphEditor
from workbench.ui.graph_editor.conflict_dialog import ConflictDialog
from workbench.ui.graph_editor.diff_paint import DiffMark, EdgeMark

NAME = "Human approval gate"  # the approval template's graph name


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    found = cast_store(f"sqlite:///{tmp_path / 'store.db'}")
    add_user(found, "alice", "carol", ["scientist"])
    yield found
    found.close()


def bob_editor(qtbot, store: Store) -> GraphEditor:  # noqa: ANN001
    editor = make_editor(qtbot)
    editor.use_store(store, "bob")
    assert editor.new_from_template("approval")
    return editor


def when_modal(kind: type, act: Callable[[object], None], tries: int = 200) -> None:
    """Act on the next modal dialog of ``kind`` once it is open (as a person would)."""

    def check(left: int = tries) -> None:
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, kind):
            act(dialog)
        elif left > 0:
            QTimer.singleShot(10, lambda: check(left - 1))

    QTimer.singleShot(0, check)


def type_message(text: str, then: Callable[[], None] | None = None) -> None:
    def act(dialog: object) -> None:
        assert isinstance(dialog, QInputDialog)
        dialog.setTextValue(text)
        if then is not None:
            then()
        dialog.accept()

    when_modal(QInputDialog, act)


def carol_saves(store: Store, base: int, change: Callable[[object], None], message: str) -> int:
    graph = loads(version_text(store, "carol", NAME, base).text)
    change(graph)
    return save_graph(store, "carol", graph, message=message, base_version=base).version.version


def test_save_to_store_asks_for_a_message_and_remembers_the_version(qtbot, store: Store) -> None:
    editor = bob_editor(qtbot, store)
    assert editor.store_link.base is None
    type_message("first cut")
    editor.actions()["save_to_store"].trigger()
    (first,) = history(store, "bob", NAME)
    assert (first.version, first.author, first.message, first.base_version) == (1, "bob", "first cut", None)
    assert editor.store_link.base == 1 and "version 1" in editor.last_message

    editor.controller.set_param("train", "model_name", "churn")
    type_message("rename the model")
    editor.actions()["save_to_store"].trigger()
    latest = history(store, "bob", NAME)[0]
    assert (latest.version, latest.message, latest.base_version) == (2, "rename the model", 1)
    assert loads(latest.text).nodes["train"].params["model_name"] == "churn"
    assert editor.store_link.base == 2


def test_same_node_changed_by_someone_else_opens_the_conflict_dialog(qtbot, store: Store) -> None:
    editor = bob_editor(qtbot, store)
    assert editor.save_to_store("first cut").version == 1

    def theirs(graph) -> None:  # noqa: ANN001
        graph.set_param("train", "model_name", "carols_model")
        graph.set_param("data", "builtin", "iris")  # a node bob leaves alone

    assert carol_saves(store, 1, theirs, "carol's model") == 2
    editor.controller.set_param("train", "model_name", "bobs_model")
    editor.controller.set_param("promote", "alias", "challenger")  # a node carol leaves alone
    seen: dict[str, object] = {}

    def decide(dialog: object) -> None:
        assert isinstance(dialog, ConflictDialog)
        seen["nodes"] = dialog.nodes
        seen["theirs"] = dialog.table.item(0, 1).text()
        seen["mine"] = dialog.table.item(0, 2).text()
        dialog.choose("train", "theirs")
        dialog.resolve_button.click()

    type_message("bob's model", then=lambda: when_modal(ConflictDialog, decide))
    editor.actions()["save_to_store"].trigger()

    assert seen["nodes"] == ("train",)
    assert "carols_model" in str(seen["theirs"]) and "bobs_model" in str(seen["mine"])
    latest = history(store, "bob", NAME)[0]
    assert (latest.version, latest.author, latest.base_version) == (3, "bob", 2)
    saved = loads(latest.text)
    assert saved.nodes["train"].params["model_name"] == "carols_model"  # theirs, as chosen
    assert saved.nodes["data"].params["builtin"] == "iris"  # carol's other edit is kept
    assert saved.nodes["promote"].params["alias"] == "challenger"  # and so is bob's
    assert dumps(editor.graph) == latest.text and editor.store_link.base == 3


def test_cancelling_the_conflict_saves_nothing_and_keeps_the_edit(qtbot, store: Store) -> None:
    editor = bob_editor(qtbot, store)
    editor.save_to_store("first cut")
    carol_saves(store, 1, lambda g: g.set_param("train", "model_name", "carols_model"), "carol")
    editor.controller.set_param("train", "model_name", "bobs_model")
    when_modal(ConflictDialog, lambda dialog: dialog.reject())  # type: ignore[attr-defined]
    assert editor.save_to_store("mine") is None
    assert [v.version for v in history(store, "bob", NAME)] == [2, 1]
    assert editor.graph.nodes["train"].params["model_name"] == "bobs_model"
    assert "Not saved" in editor.last_message


def test_overwrite_all_is_confirmed_and_audited(qtbot, store: Store) -> None:
    from workbench.services.audit import entries

    editor = bob_editor(qtbot, store)
    editor.save_to_store("first cut")
    carol_saves(store, 1, lambda g: g.set_param("train", "model_name", "carols_model"), "carol")
    editor.controller.set_param("train", "model_name", "bobs_model")

    def confirm(box: object) -> None:
        assert isinstance(box, QMessageBox) and "version 2 by carol" in box.text()
        box.button(QMessageBox.StandardButton.Yes).click()

    def overwrite(dialog: object) -> None:
        assert isinstance(dialog, ConflictDialog)
        when_modal(QMessageBox, confirm)
        dialog.overwrite_button.click()

    when_modal(ConflictDialog, overwrite)
    saved = editor.save_to_store("mine wins")
    assert saved.version == 3 and loads(saved.text).nodes["train"].params["model_name"] == "bobs_model"
    trail = [(e.action, e.actor, e.payload.get("overwrote")) for e in entries(store, subject=f"graph:{NAME}")]
    assert trail[-1] == ("graphs.overwrite", "bob", 2)
    assert "over version 2" in editor.last_message


def test_a_merge_is_announced_and_the_merged_version_offered(qtbot, store: Store) -> None:
    editor = bob_editor(qtbot, store)
    editor.save_to_store("first cut")
    carol_saves(store, 1, lambda g: g.set_param("data", "builtin", "iris"), "carol's data")
    editor.controller.set_param("train", "model_name", "bobs_model")
    told: list[str] = []

    def load_it(box: object) -> None:
        assert isinstance(box, QMessageBox)
        told.append(box.text())
        box.button(QMessageBox.StandardButton.Yes).click()

    when_modal(QMessageBox, load_it)
    saved = editor.save_to_store("bob's model")
    assert saved.version == 3 and "version 2" in told[0] and "both edits" in told[0]
    assert editor.graph.nodes["data"].params["builtin"] == "iris"
    assert editor.graph.nodes["train"].params["model_name"] == "bobs_model"
    assert editor.store_link.base == 3


def test_the_difference_is_painted_on_the_canvas_and_cleared(qtbot, store: Store) -> None:
    editor = bob_editor(qtbot, store)
    editor.save_to_store("first cut")
    added = editor.controller.add_node("evaluate", (520.0, 420.0))
    assert added
    editor.controller.set_param("train", "model_name", "churn")
    evaluate_at = editor.scene.node_items["evaluate"].scenePos()
    editor.controller.remove(["evaluate"])
    editor.show_history()
    panel = editor.history
    assert editor.side_tabs.currentWidget() is panel and panel.list.count() == 1
    panel.select_versions(1)
    panel.compare_button.click()

    marks = panel.painter.marks
    assert marks[added].change == "added" and marks[added].color.name() == "#2e9d4a"
    assert marks["train"].change == "changed" and marks["train"].color.name() == "#f0a000"
    assert "model_name" in marks["train"].toolTip() and "'churn'" in marks["train"].toolTip()
    assert "'breast_cancer'" in editor.scene.node_items["train"].toolTip()  # the node says so too
    ghost = marks["evaluate"]
    assert ghost.change == "removed" and ghost.dashed
    assert ghost.sceneBoundingRect().contains(evaluate_at)
    assert {m.change for m in panel.painter.edge_marks.values()} == {"removed"}
    assert any("churn" in panel.changes.item(i).text() for i in range(panel.changes.count()))

    panel.clear_button.click()
    painted = [i for i in editor.scene.items() if isinstance(i, (DiffMark, EdgeMark))]
    assert painted == [] and not panel.painter.marks
    assert "breast_cancer" not in editor.scene.node_items["train"].toolTip()
    assert editor.undo_stack.count() == 3  # painting is no edit


def test_two_versions_compare_older_to_newer(qtbot, store: Store) -> None:
    editor = bob_editor(qtbot, store)
    editor.save_to_store("first cut")
    editor.controller.set_param("train", "model_name", "churn")
    editor.save_to_store("second")
    editor.show_history()
    editor.history.select_versions(1, 2)
    assert "version 1 to version 2" in editor.history.compare_button.toolTip()
    editor.history.compare_button.click()
    assert {k: m.change for k, m in editor.history.painter.marks.items()} == {"train": "changed"}


def test_restore_loads_an_old_version_and_saves_it_as_the_newest(qtbot, store: Store) -> None:
    editor = bob_editor(qtbot, store)
    editor.save_to_store("first cut")
    editor.controller.set_param("train", "model_name", "churn")
    editor.save_to_store("second")
    editor.show_history()
    editor.history.select_versions(1)
    editor.history.restore_button.click()
    assert editor.graph.nodes["train"].params["model_name"] == "breast_cancer"
    assert editor.store_link.base == 2 and editor.is_modified()
    saved = editor.save_to_store("back to the first cut")
    assert (saved.version, saved.base_version) == (3, 2)
    assert loads(saved.text).nodes["train"].params["model_name"] == "breast_cancer"
    assert [item for item in editor.scene.items() if isinstance(item, QGraphicsItem)
            and isinstance(item, DiffMark)] == []
