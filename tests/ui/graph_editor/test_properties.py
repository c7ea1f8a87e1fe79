"""The properties panel: typed editors per parameter, each change one undo step, refused
values not applied and the reason shown."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QSpinBox

from workbench.graph import dumps
from workbench.ui.graph_editor.param_editors import (
    BoolEditor,
    ChoiceEditor,
    NumberEditor,
    StructuredEditor,
    TextEditor,
)


def _type(widget, text: str) -> None:  # noqa: ANN001
    line = widget.lineEdit() if hasattr(widget, "lineEdit") else widget
    line.selectAll()
    QTest.keyClicks(line, text)
    QTest.keyClick(line, Qt.Key.Key_Return)


def _panel_for(editor, kind: str):  # noqa: ANN001, ANN202
    node_id = editor.add_node_at_centre(kind)  # as a double-click in the palette does
    assert editor.properties.node_id == node_id  # a new node is selected and shown
    return node_id, editor.properties


def test_editors_match_the_parameter_types(editor) -> None:  # noqa: ANN001
    _, panel = _panel_for(editor, "train_torch")
    editors = panel.editors
    assert isinstance(editors["epochs"], NumberEditor) and isinstance(
        editors["epochs"].box, QSpinBox
    )
    assert editors["epochs"].box.minimum() == 1
    assert isinstance(editors["learning_rate"].box, QDoubleSpinBox)
    assert isinstance(editors["device"], ChoiceEditor) and isinstance(
        editors["device"].box, QComboBox
    )
    assert [editors["device"].box.itemText(i) for i in range(4)] == ["auto", "cpu", "cuda", "mps"]
    assert isinstance(editors["hidden_sizes"], StructuredEditor)
    assert isinstance(editors["script"], TextEditor) and hasattr(editors["script"], "browse")
    node_id, panel = _panel_for(editor, "comparator")
    assert isinstance(panel.editors["shadow"], BoolEditor) and isinstance(
        panel.editors["shadow"].box, QCheckBox
    )
    assert panel.editors["traffic_split"].box.maximum() == 1.0


def test_a_parameter_edit_is_an_undo_step(editor) -> None:  # noqa: ANN001
    node_id, panel = _panel_for(editor, "train_torch")
    before, count = dumps(editor.graph), editor.undo_stack.count()
    _type(panel.editors["epochs"].box, "50")
    assert editor.graph.nodes[node_id].params["epochs"] == 50
    assert editor.undo_stack.count() == count + 1 and editor.undo_stack.undoText().startswith(
        "Set epochs"
    )
    editor.actions()["undo"].trigger()
    assert dumps(editor.graph) == before
    assert panel.editors["epochs"].box.value() == 20  # the panel follows the model
    editor.actions()["redo"].trigger()
    assert panel.editors["epochs"].box.value() == 50


def test_out_of_range_and_invalid_values_are_refused_with_the_reason(editor) -> None:  # noqa: ANN001
    node_id, panel = _panel_for(editor, "train_torch")
    before, count = dumps(editor.graph), editor.undo_stack.count()
    _type(panel.editors["epochs"].box, "-")  # the spin box refuses keys below its minimum
    assert "negative values are not allowed: at least 1" in panel.error_text("epochs")
    _type(panel.editors["learning_rate"].box, "0")  # the model: strictly greater than 0
    assert "must be greater than 0.0" in panel.error_text("learning_rate")
    assert panel.editors["learning_rate"].box.value() == 0.01  # back to the model's value
    hidden = panel.editors["hidden_sizes"]
    hidden.text.setPlainText("[8, 0]")
    hidden.apply.click()
    assert "must be at least 1" in panel.error_text("hidden_sizes")
    hidden.text.setPlainText("[8, ")
    hidden.apply.click()
    assert "not valid YAML/JSON" in panel.error_text("hidden_sizes")
    assert dumps(editor.graph) == before and editor.undo_stack.count() == count
    hidden.text.setPlainText("[64, 32, 8]")
    hidden.apply.click()
    assert editor.graph.nodes[node_id].params["hidden_sizes"] == [64, 32, 8]
    assert panel.error_text("hidden_sizes") == ""


def test_choice_bool_mapping_and_import_path_editors(editor) -> None:  # noqa: ANN001
    node_id, panel = _panel_for(editor, "comparator")
    box = panel.editors["mode"].box
    box.setCurrentIndex(1)
    box.activated.emit(1)
    assert editor.graph.nodes[node_id].params["mode"] == "champion_challenger"
    panel.editors["shadow"].box.click()
    assert editor.graph.nodes[node_id].params["shadow"] is True
    _type(panel.editors["traffic_split"].box, "5")  # above the spin box's maximum
    assert "5 is too large: at most 1" in panel.error_text("traffic_split")
    assert editor.graph.nodes[node_id].params["traffic_split"] == 0.1
    _type(panel.editors["traffic_split"].box, "0.25")
    assert editor.graph.nodes[node_id].params["traffic_split"] == 0.25
    assert panel.error_text("traffic_split") == ""
    node_id, panel = _panel_for(editor, "train_sklearn")
    mapping = panel.editors["estimator_params"]
    mapping.text.setPlainText("{C: 0.5, max_iter: 200}")
    mapping.apply.click()
    assert editor.graph.nodes[node_id].params["estimator_params"] == {"C": 0.5, "max_iter": 200}
    mapping.text.setPlainText("[1, 2]")
    mapping.apply.click()
    assert "expected a mapping" in panel.error_text("estimator_params")
    estimator = panel.editors["estimator"].line
    _type(estimator, "LogisticRegression")
    assert "dotted import path" in panel.error_text("estimator")
    assert (
        editor.graph.nodes[node_id].params["estimator"] == "sklearn.linear_model.LogisticRegression"
    )
    assert estimator.text() == "sklearn.linear_model.LogisticRegression"
    _type(estimator, "sklearn.ensemble.RandomForestClassifier")
    assert (
        editor.graph.nodes[node_id].params["estimator"] == "sklearn.ensemble.RandomForestClassifier"
    )
    assert panel.error_text("estimator") == ""


def test_title_and_target_edits(editor) -> None:  # noqa: ANN001
    node_id, panel = _panel_for(editor, "inference")
    _type(panel.title_edit, "Nightly scoring")
    assert editor.graph.nodes[node_id].title == "Nightly scoring"
    assert editor.scene.node_items[node_id].node.title == "Nightly scoring"
    _type(panel.target_edit, "spark-cluster")
    assert editor.graph.nodes[node_id].target == "spark-cluster"
    _type(panel.target_edit, " bad target")
    assert editor.graph.nodes[node_id].target == "bad target"  # stripped; the model checks the rest
    editor.actions()["undo"].trigger()
    editor.actions()["undo"].trigger()
    assert editor.graph.nodes[node_id].target is None and panel.target_edit.text() == ""


def test_the_panel_follows_the_selection(editor) -> None:  # noqa: ANN001
    editor.new_from_template("retrain")
    editor.scene.select(["train"])
    assert editor.properties.node_id == "train" and "estimator" in editor.properties.editors
    editor.scene.select(["train", "drift"])
    assert editor.properties.node_id is None and not editor.properties.editors
    editor.scene.select(annotation_ids=["note_feedback"])
    assert editor.properties.annotation_id == "note_feedback"
    editor.properties.note_edit.setPlainText("Edited in the panel")
    editor.properties.note_apply.click()
    assert editor.graph.annotations["note_feedback"].text == "Edited in the panel"
    editor.scene.select(["train"])
    editor.controller.remove(["train"])
    assert editor.properties.node_id is None
