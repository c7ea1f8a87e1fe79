"""One role's arrangement of views: a dock-holding window of its own inside the main window.

Rules: each role has its own ``RoleWindow`` with one dock per view of that role, so a role can
only ever show its own docks — switching roles switches windows instead of moving docks in and
out of one layout (which left other roles' docks and tab bars behind). The views themselves are
shared: a view (say the graph editor with its open document) moves into the dock of whichever
role shows it. A role's layout is saved with a version number derived from its views, so a
layout saved for another arrangement is refused and the default one is used.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QByteArray, Qt, QTimer
from PySide6.QtWidgets import QDockWidget, QMainWindow, QWidget

LAYOUT_VERSION = 4  # bump when the default arrangement changes: older saved layouts are ignored


def layout_version(role: str, view_ids: Sequence[str]) -> int:
    """A number that changes with a role's set of views (or the layout scheme)."""
    return zlib.crc32(f"{LAYOUT_VERSION}|{role}|{','.join(view_ids)}".encode()) & 0x7FFFFFFF


class RoleWindow(QMainWindow):
    """The docks of one role (main view on the left, the others tabbed on the right)."""

    def __init__(self, role: str, views: Sequence[tuple[str, str]], parent: QWidget | None = None,
                 main_share: float = 0.7):
        super().__init__(parent)
        self.setWindowFlags(Qt.WindowType.Widget)
        self.setObjectName(f"role_window_{role}")
        self.setDockNestingEnabled(True)
        self.role = role
        self.main_share = main_share  # the main view's share of the width in the default layout
        self.view_ids = [view_id for view_id, _ in views]
        self.docks: dict[str, QDockWidget] = {}
        for view_id, title in views:
            dock = QDockWidget(title, self)
            dock.setObjectName(f"dock_{view_id}")
            dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                             | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
            self.docks[view_id] = dock
        self._arranged = False
        self._split_pending = False

    @property
    def version(self) -> int:
        return layout_version(self.role, self.view_ids)

    def arrange(self, saved: object, width: int) -> bool:
        """Place the docks once: as ``saved`` when it is a layout of this arrangement, else the
        default one; returns whether the saved layout was used."""
        if self._arranged:
            return True
        self._arranged = True
        docks = list(self.docks.values())
        restored = isinstance(saved, QByteArray | bytes) and self.restoreState(saved, self.version)
        if not restored:
            for i, dock in enumerate(docks):
                area = Qt.DockWidgetArea.LeftDockWidgetArea if i == 0 else Qt.DockWidgetArea.RightDockWidgetArea
                self.addDockWidget(area, dock)
                if i > 1:
                    self.tabifyDockWidget(docks[1], dock)
            if len(docks) > 1:
                docks[1].raise_()
                self._split_pending = True  # once the window has its real width (see resizeEvent)
                self._split(width)
        for dock in docks:  # whatever a layout said: every dock of the role is there, none lost
            if dock.isFloating() and not self._on_screen(dock):
                dock.setFloating(False)
            if not dock.isFloating() and self.dockWidgetArea(dock) == Qt.DockWidgetArea.NoDockWidgetArea:
                self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
            dock.show()
        return bool(restored)

    def _split(self, width: int) -> None:
        docks = list(self.docks.values())
        width = max(width, 800)
        self.resizeDocks(docks[:2], [int(width * self.main_share), int(width * (1 - self.main_share))],
                         Qt.Orientation.Horizontal)

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._split_when_sized()

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        QTimer.singleShot(0, self._split_when_sized)  # once the layout has given it its size

    def _split_when_sized(self) -> None:
        if self._split_pending and self.isVisible() and self.width() >= 400:
            self._split_pending = False
            self._split(self.width())

    def _on_screen(self, dock: QDockWidget) -> bool:
        screen = self.screen()
        return screen is not None and screen.availableGeometry().intersects(dock.frameGeometry())

    def layout_state(self) -> QByteArray:
        return self.saveState(self.version)

    def titles(self) -> list[str]:
        """The titles of the docks a person can see (a tabbed one counts)."""
        return [d.windowTitle() for d in self.docks.values() if not d.isHidden()]
