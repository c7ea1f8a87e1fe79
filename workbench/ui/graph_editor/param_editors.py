"""Typed editors for node parameters, one per ``ParamSpec`` type.

Rules: an editor shows a value and emits ``committed(value)`` once per user edit (Enter,
focus out, a choice picked, a box ticked, Apply); ``set_value`` shows a value without emitting.
Editors never touch the model: the properties panel turns ``committed`` into an undo command
and the model has the last word (``validate_param``). What an editor can catch early it
reports through ``rejected(reason)``: a number outside the spin box's range, an import path
that is not dotted, YAML/JSON that does not parse. Types: ``int``/``float`` (spin boxes with
the spec's bounds), ``bool`` (check box), ``choice`` (combo box), ``str``, ``path`` (line edit,
with a file chooser), ``import_path`` (validated line edit), ``list``/``mapping`` (a small
YAML/JSON text editor).
"""

from __future__ import annotations

import json
import re
from typing import Any

from PySide6.QtCore import QRegularExpression, Signal
from PySide6.QtGui import QKeySequence, QRegularExpressionValidator, QShortcut, QValidator
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QToolButton,
    QWidget,
)

from workbench.errors import WorkbenchError
from workbench.graph import ParamSpec
from workbench.graph.yamlsafe import parse_yaml

__all__ = ["ParamEditor", "make_editor"]

_IMPORT_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+\Z")
_INT_LIMIT = 2_000_000_000
_FLOAT_LIMIT = 1e15


class ParamEditor(QWidget):
    """Base of the typed editors: one parameter, ``committed`` and ``rejected`` signals."""

    committed = Signal(object)
    rejected = Signal(str)

    def __init__(self, spec: ParamSpec, parent: QWidget | None = None):
        super().__init__(parent)
        self.spec = spec
        self._value: Any = None
        self._quiet = False
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(2)

    def value(self) -> Any:
        return self._value

    def set_value(self, value: Any) -> None:
        """Show ``value`` without committing it."""
        self._value = value
        self._quiet = True
        try:
            self._show(value)
        finally:
            self._quiet = False

    def _show(self, value: Any) -> None:
        raise NotImplementedError

    def _commit(self, value: Any) -> None:
        if self._quiet:
            return
        if type(value) is type(self._value) and value == self._value:
            return
        self.committed.emit(value)


# -- numbers -----------------------------------------------------------------------------------


def _bounds(spec: ParamSpec, integer: bool) -> tuple[float, float]:
    limit = _INT_LIMIT if integer else _FLOAT_LIMIT
    low = -limit if spec.min is None else spec.min
    if integer and spec.min is not None and spec.exclusive_min:
        low = int(spec.min) + 1
    high = limit if spec.max is None else spec.max
    return low, high


class _IntBox(QSpinBox):
    outOfRange = Signal(str)

    def validate(self, text: str, pos: int) -> object:
        result = super().validate(text, pos)
        _check_range(self, text, result)
        return result


class _FloatBox(QDoubleSpinBox):
    outOfRange = Signal(str)

    def validate(self, text: str, pos: int) -> object:
        result = super().validate(text, pos)
        _check_range(self, text, result)
        return result

    def textFromValue(self, value: float) -> str:
        return f"{value:.10g}"

    def valueFromText(self, text: str) -> float:
        try:
            return float(text.strip())
        except ValueError:
            return self.value()


def _check_range(box: _IntBox | _FloatBox, text: str, result: object) -> None:
    state = result[0] if isinstance(result, tuple) else result
    if state == QValidator.State.Acceptable:
        return
    text = text.strip()
    if text.startswith("-") and box.minimum() >= 0:
        box.outOfRange.emit(f"negative values are not allowed: at least {box.minimum():g}")
        return
    try:
        number = float(text)
    except ValueError:
        return
    if number > box.maximum():
        box.outOfRange.emit(f"{number:g} is too large: at most {box.maximum():g}")
    elif number < box.minimum():
        box.outOfRange.emit(f"{number:g} is too small: at least {box.minimum():g}")


class NumberEditor(ParamEditor):
    def __init__(self, spec: ParamSpec, parent: QWidget | None = None):
        super().__init__(spec, parent)
        integer = spec.type == "int"
        low, high = _bounds(spec, integer)
        if integer:
            box: _IntBox | _FloatBox = _IntBox(self)
            box.setRange(int(low), int(high))
        else:
            box = _FloatBox(self)
            box.setDecimals(10)
            box.setRange(float(low), float(high))
            box.setStepType(QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
        box.setKeyboardTracking(False)
        box.setAccelerated(True)
        bounds = []
        if spec.min is not None:
            bounds.append(f"{'>' if spec.exclusive_min else '≥'} {spec.min:g}")
        if spec.max is not None:
            bounds.append(f"≤ {spec.max:g}")
        box.setToolTip(spec.doc + (f" ({', '.join(bounds)})" if bounds else ""))
        box.valueChanged.connect(self._on_value_changed)
        box.outOfRange.connect(self.rejected)
        self.box = box
        self._layout.addWidget(box)

    def _show(self, value: Any) -> None:
        if isinstance(value, int | float) and not isinstance(value, bool):
            self.box.setValue(value)

    def _on_value_changed(self, value: float) -> None:
        self._commit(int(value) if self.spec.type == "int" else float(value))


# -- simple values -----------------------------------------------------------------------------


class BoolEditor(ParamEditor):
    def __init__(self, spec: ParamSpec, parent: QWidget | None = None):
        super().__init__(spec, parent)
        self.box = QCheckBox(self)
        self.box.setToolTip(spec.doc)
        self.box.clicked.connect(self._on_clicked)
        self._layout.addWidget(self.box)

    def _show(self, value: Any) -> None:
        self.box.setChecked(value is True)

    def _on_clicked(self, checked: bool) -> None:
        self._commit(bool(checked))


class ChoiceEditor(ParamEditor):
    def __init__(self, spec: ParamSpec, parent: QWidget | None = None):
        super().__init__(spec, parent)
        self.box = QComboBox(self)
        self.box.setToolTip(spec.doc)
        for choice in spec.choices:
            self.box.addItem("(none)" if choice == "" else str(choice))
        self.box.activated.connect(self._on_activated)
        self._layout.addWidget(self.box)

    def _show(self, value: Any) -> None:
        for index, choice in enumerate(self.spec.choices):
            if type(choice) is type(value) and choice == value:
                self.box.setCurrentIndex(index)
                return
        self.box.setCurrentIndex(-1)

    def _on_activated(self, index: int) -> None:
        if 0 <= index < len(self.spec.choices):
            self._commit(self.spec.choices[index])


class TextEditor(ParamEditor):
    """``str``, ``path`` (with a file chooser) and ``import_path`` (checked as typed)."""

    def __init__(self, spec: ParamSpec, parent: QWidget | None = None):
        super().__init__(spec, parent)
        self.line = QLineEdit(self)
        self.line.setToolTip(spec.doc)
        self.line.editingFinished.connect(self._on_editing_finished)
        self._layout.addWidget(self.line)
        if spec.type == "import_path":
            chars = QRegularExpression(r"[A-Za-z0-9_.]*")
            self.line.setValidator(QRegularExpressionValidator(chars, self.line))
            self.line.setPlaceholderText("package.module.Name")
            self.line.textChanged.connect(self._on_import_path_changed)
        if spec.type == "path":
            browse = QToolButton(self)
            browse.setText("…")
            browse.setToolTip("Choose a file")
            browse.clicked.connect(self._on_browse)
            self._layout.addWidget(browse)
            self.browse = browse

    def _show(self, value: Any) -> None:
        self.line.setText(value if isinstance(value, str) else "")

    def _on_editing_finished(self) -> None:
        self._commit(self.line.text())

    def _on_import_path_changed(self, text: str) -> None:
        ok = not text or bool(_IMPORT_PATH.match(text))
        self.line.setStyleSheet("" if ok else "QLineEdit { color: #d32f2f; }")
        if not ok and not self._quiet:
            self.rejected.emit(f"'{text}' is not a dotted import path like 'pkg.module.Name'")

    def _on_browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, f"Choose {self.spec.name}", self.line.text())
        if path:
            self.line.setText(path)
            self._commit(path)


class StructuredEditor(ParamEditor):
    """A small YAML/JSON editor for ``list`` and ``mapping`` values (Apply or Ctrl+Return)."""

    def __init__(self, spec: ParamSpec, parent: QWidget | None = None):
        super().__init__(spec, parent)
        self.text = QPlainTextEdit(self)
        self.text.setToolTip(spec.doc + " — YAML or JSON; Ctrl+Return applies")
        self.text.setTabChangesFocus(True)
        self.text.setMaximumHeight(72)
        self.apply = QToolButton(self)
        self.apply.setText("Apply")
        self.apply.clicked.connect(self._on_apply)
        shortcut = QShortcut(QKeySequence("Ctrl+Return"), self.text)
        shortcut.activated.connect(self._on_apply)
        self._layout.addWidget(self.text)
        self._layout.addWidget(self.apply)

    def _show(self, value: Any) -> None:
        self.text.setPlainText(json.dumps(value, sort_keys=True, ensure_ascii=False))

    def _on_apply(self) -> None:
        source = self.text.toPlainText().strip()
        try:
            value = parse_yaml(
                source or ("{}" if self.spec.type == "mapping" else "[]"), self.spec.name
            ).data
        except WorkbenchError as exc:
            self.rejected.emit(f"not valid YAML/JSON: {exc}")
            return
        expected = dict if self.spec.type == "mapping" else list
        if not isinstance(value, expected):
            what = "a mapping like {key: value}" if expected is dict else "a list like [a, b]"
            self.rejected.emit(f"expected {what}, got {source!r}")
            return
        self._commit(value)


_EDITORS: dict[str, type[ParamEditor]] = {
    "int": NumberEditor,
    "float": NumberEditor,
    "bool": BoolEditor,
    "choice": ChoiceEditor,
    "str": TextEditor,
    "path": TextEditor,
    "import_path": TextEditor,
    "list": StructuredEditor,
    "mapping": StructuredEditor,
}


def make_editor(spec: ParamSpec, value: Any, parent: QWidget | None = None) -> ParamEditor:
    """The editor for ``spec``'s type, showing ``value``."""
    editor = _EDITORS.get(spec.type, TextEditor)(spec, parent)
    editor.set_value(value)
    return editor
