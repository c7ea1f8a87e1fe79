"""The desktop workbench (PySide6 + pyqtgraph). The only package that imports Qt."""
