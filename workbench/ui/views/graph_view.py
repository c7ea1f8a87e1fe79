"""The data scientist's and engineer's main view: the graph editor with Run on a target, and
the live state of the last run painted on its nodes (from the change feed)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from workbench.ui.context import UiContext
from workbench.ui.graph_editor import GraphEditor

RUN_TOPICS = {"runs", "steps"}


class GraphView(QWidget):
    subject_changed = Signal(str, str)  # the one chosen node ("node:GRAPH/NODE"), its title

    def __init__(self, ctx: UiContext):
        super().__init__()
        self.ctx = ctx
        self.editor = GraphEditor(self)
        settings = getattr(ctx.window, "settings", None)
        if settings is not None:
            self.editor.use_settings(settings)  # the minimap stays as the person left it
        self.run_id: int | None = None
        self.target_box = QComboBox(self)
        self.target_box.setObjectName("target_box")
        self.run_button = QPushButton("Run", self)
        self.run_button.setObjectName("run_button")
        self.run_button.setToolTip("Save the graph and run it on the chosen target (Ctrl+R)")
        self.run_button.setShortcut("Ctrl+R")
        self.run_label = QLabel("", self)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Target:"))
        bar.addWidget(self.target_box)
        bar.addWidget(self.run_button)
        bar.addWidget(self.run_label, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.editor, 1)
        self.run_button.clicked.connect(self._on_run)
        self.editor.nodeActivated.connect(self.show_step)
        self.editor.scene.selectionChanged.connect(self._on_selection)
        ctx.feed.changed.connect(self._on_changes)
        self._load_targets()
        self._reopen_last()

    def _reopen_last(self) -> None:
        """Open the graph of the newest run, as a user coming back to their work expects."""
        from workbench.services.runs import latest_graph_file

        path = latest_graph_file(self.ctx.store, self.ctx.user, project=self.ctx.project)
        if path is not None and self.editor.open_file(path):
            self.editor.fit_view()
            self.ctx.status(f"opened {path.name}, the graph of the latest run")
            return
        from workbench.services.graph_history import latest_saved

        saved = latest_saved(self.ctx.store, self.ctx.user, project=self.ctx.project)  # a project without runs yet
        if saved is not None and self.editor.store_link.load_version(saved):
            self.editor.fit_view()
            self.ctx.status(f"opened graph {saved.name!r} version {saved.version}, saved last in project "
                            f"{self.ctx.project}")

    def _on_selection(self) -> None:
        nodes = self.editor.scene.selected_node_ids()
        if len(nodes) == 1:
            name = self.editor.graph.name or ""
            self.subject_changed.emit(f"node:{name}/{nodes[0]}", f"node {nodes[0]} of graph {name or '(unnamed)'}")

    def _load_targets(self) -> None:
        from workbench.services.targets import list_targets

        self.target_box.clear()
        for target in list_targets(self.ctx.store, self.ctx.user):
            self.target_box.addItem(f"{target.name} ({target.kind})", target.name)

    def maybe_close(self) -> bool:
        return self.editor.maybe_save()

    def _on_run(self) -> None:
        needs_saving = self.editor.is_modified() or not self.editor.file_path
        if needs_saving and not self.editor.save_file():
            self.ctx.status("Run cancelled: the graph must be saved to a file first")
            return
        from workbench.services.runs import start_run

        path, target = str(self.editor.file_path), self.target_box.currentData() or "local"
        self.run_button.setEnabled(False)

        def started(run: Any) -> None:
            self.run_button.setEnabled(True)
            self.run_id = run.id
            self.run_label.setText(f"run {run.id}: queued")
            self.editor.clear_node_states()
            self.ctx.status(f"started run {run.id} on {target}")

        def failed(message: str) -> None:
            self.run_button.setEnabled(True)
            self.ctx.status(f"could not start the run: {message}")
            if self.isVisible() and self.window().isVisible():
                QMessageBox.warning(self, "Run", message)

        self.ctx.tasks.run(lambda: start_run(self.ctx.store, self.ctx.user, path, target=target,
                                                     project=self.ctx.project), started, failed)

    def _on_changes(self, changes: list) -> None:
        if self.run_id is None or not any(c.topic in RUN_TOPICS for c in changes):
            return
        from workbench.services.runs import show_run

        run_id = self.run_id
        self.ctx.tasks.run(lambda: show_run(self.ctx.store, self.ctx.user, run_id), self._paint)

    def _paint(self, view: Any) -> None:
        latest: dict[str, Any] = {}
        for step in view.steps:
            latest[step.node_id] = step
        self.editor.set_node_states({node: {"status": s.status, "progress": s.info.get("progress")}
                                     for node, s in latest.items()})
        self.run_label.setText(f"run {view.run.id}: {view.run.status}")


    def show_step(self, node_id: str) -> QDialog | None:
        """The logs and final metrics of this node's latest step in the current run."""
        from workbench.services.runs import show_run, step_logs

        if self.run_id is None:
            self.ctx.status("run the graph first: a node's logs come from its run")
            return None
        view = show_run(self.ctx.store, self.ctx.user, self.run_id)
        steps = [s for s in view.steps if s.node_id == node_id]
        if not steps:
            self.ctx.status(f"{node_id} has not run yet in run {self.run_id}")
            return None
        step = steps[-1]
        dialog = QDialog(self)
        dialog.setWindowTitle(f"{node_id} — run {self.run_id}, attempt {step.attempt}: {step.status}")
        text = QPlainTextEdit(dialog)
        text.setReadOnly(True)
        lines = [("! " if line.stream == "stderr" else "") + line.line
                 for line in step_logs(self.ctx.store, self.ctx.user, step.id)]
        metrics = step.info.get("metrics") or {}
        if metrics:
            lines += ["", "metrics:"] + [f"  {k} = {v}" for k, v in sorted(metrics.items()) if not isinstance(v, dict)]
        if step.error:
            lines += ["", f"error: {step.error}"]
        text.setPlainText("\n".join(lines))
        layout = QVBoxLayout(dialog)
        layout.addWidget(text)
        dialog.resize(760, 480)
        dialog.show()
        return dialog


def create(ctx: UiContext) -> QWidget:
    return GraphView(ctx)
