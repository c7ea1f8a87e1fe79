"""The desktop workbench (PySide6 + pyqtgraph). The only package that imports Qt.

Importing it applies the binding work-arounds of ``_compat`` before any window exists.
"""

from workbench.ui._compat import guard_none_refcount

guard_none_refcount()  # PySide6 6.12 on Python 3.11: see _compat
