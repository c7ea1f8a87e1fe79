"""The project switcher in the main window's toolbar: the projects the signed-in person holds a
role in (every project for a role held in the whole store), the current one chosen.

Rules: choosing another project reopens the workbench on it — a new main window on the same
store and sign-in, at the same place on the screen, whose views all read that project and whose
roles are those held there — so no view can keep showing the previous project's things. An
unsaved graph is asked about first, as when the window closes; saying Cancel keeps the current
project. The last project chosen is remembered (QSettings ``last_project``).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QComboBox, QLabel, QToolBar

from workbench.errors import WorkbenchError


def projects_for(store: Any, user: str, current: str) -> list[str]:
    """The project names to offer: those ``user`` works in, and always the current one."""
    from workbench.services.projects import my_projects

    try:
        names = [p.name for p in my_projects(store, user)]
    except WorkbenchError:
        names = []
    return names if current in names else sorted({*names, current})


def install(window: Any) -> QComboBox:
    """Put the switcher at the start of the window's main toolbar; returns the combobox."""
    bar = window.findChild(QToolBar, "main_toolbar")
    assert bar is not None  # the window builds its toolbar first
    box = QComboBox(window)
    box.setObjectName("project_switcher")
    box.setToolTip("Switch project: graphs, runs, models, approvals and KPIs of that project, "
                   "with the roles you hold there")
    for name in projects_for(window.store, window.user_name, window.project):
        box.addItem(name, name)
    box.setCurrentIndex(max(0, box.findData(window.project)))
    box.setEnabled(box.count() > 1)
    first = bar.actions()[0] if bar.actions() else None
    label = QLabel(" Project: ", window)
    if first is None:
        bar.addWidget(label)
        bar.addWidget(box)
    else:
        bar.insertWidget(first, label)
        bar.insertWidget(first, box)
    box.activated.connect(lambda index: switch(window, str(box.itemData(index))))
    if getattr(window, "project_note", ""):  # the project asked for is not in this store
        QTimer.singleShot(0, lambda: window.statusBar().showMessage(window.project_note, 15000))
    return box


def switch(window: Any, project: str) -> Any:
    """Reopen ``window`` on ``project``; the window now showing (the same one when nothing
    changed or the person kept an unsaved graph)."""
    if project == window.project:
        return window
    if not window.may_close():
        box = window.project_box
        box.setCurrentIndex(max(0, box.findData(window.project)))
        return window
    from workbench.ui.main_window import MainWindow

    window.settings.setValue("last_project", project)
    successor = MainWindow(window.store, window.user_name, settings=window.settings, identity=window.identity,
                           proven=window.proven, project=project)
    successor.setGeometry(window.geometry())
    if window.isMaximized():
        successor.showMaximized()
    else:
        successor.show()
    window.hand_over(successor)
    successor.statusBar().showMessage(f"project {project}: its graphs, runs, models, approvals and KPIs", 6000)
    return successor
