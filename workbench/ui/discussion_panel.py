"""The Discussion panel: the thread of whatever the person has chosen (a run, a model version,
an approval request, an alert or a node of a graph saved in the store), beside the role's views.

Rules: the main window owns one panel at the right of the role's docks (never a dock of a role,
so it cannot pile up in other roles' layouts); views tell it what is chosen through their
``subject_changed(target, title)`` signal and it reads through ``services.discussions`` only.
Threads show replies indented, author, local time, "(edited)", and ``@name`` highlighted when it
names a person of the store. Post (Ctrl+Return), Reply on any comment, Edit on one's own; no
text box but a line saying why for people who may not write (the analyst) or on a read-only
store. Errors are shown in the panel. A ``comments`` change in the store's feed (another
workbench, the CLI) re-reads the open thread within about half a second.
"""

from __future__ import annotations

import html
import re
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, QUrl
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from workbench.governance.permissions import allowed
from workbench.ui.formatting import local_time

NOTHING_CHOSEN = ("Choose a run, a model version, an approval request, an alert or a node of the "
                  "graph to see its discussion.")
_MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9][A-Za-z0-9_.-]*[A-Za-z0-9]|[A-Za-z0-9])")


def _load(store: Any, user: str, target: str) -> dict[str, Any]:
    """Off the UI thread: the threads of ``target`` and who of the store they mention."""
    from workbench.errors import InvalidInputError
    from workbench.services.discussions import mentions, parse_target, thread

    kind, ident = parse_target(target)
    if kind == "node":
        from workbench.services.graph_history import version_text

        graph, _, node = ident.rpartition("/")
        if not graph:
            return {"blocked": "This graph has no name yet. Give it a name and save it to the store "
                               "('workbench graph save FILE') to discuss its nodes."}
        try:
            version_text(store, user, graph)
        except InvalidInputError:
            return {"blocked": f"The graph {graph!r} is not saved in the store yet. Save it to the store "
                               "first ('workbench graph save FILE') to discuss its nodes."}
    threads = thread(store, user, target)
    texts: list[str] = []

    def walk(items: Any) -> None:
        for t in items:
            texts.append(t.comment.text)
            walk(t.replies)

    walk(threads)
    return {"threads": threads, "people": set(mentions(store, "\n".join(texts))) if texts else set()}


def _body(text: str, people: set[str]) -> str:
    """A comment's text as HTML: escaped, line breaks kept, mentions of real people marked."""
    def mark(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in people:
            return match.group(0)
        return f'<span style="background:#fff3c4; color:#5d4200; font-weight:600">@{name}</span>'

    return _MENTION.sub(mark, html.escape(text)).replace("\n", "<br>")


class DiscussionPanel(QFrame):
    def __init__(self, feed: Any, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("discussion_panel")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.ctx: Any = None
        self.target, self.title = "", ""
        self.threads: list[Any] = []
        self.people: set[str] = set()
        self.reply_to: int | None = None
        self.editing: int | None = None
        self.last_error = ""
        self._by_id: dict[int, Any] = {}
        self._blocked = False  # a node of a graph the store does not hold: nothing to write on
        self.role = ""
        heading = QLabel("<b>Discussion</b>", self)
        self.subject = QLabel(NOTHING_CHOSEN, self)
        self.subject.setObjectName("discussion_subject")
        self.subject.setWordWrap(True)
        self.presence = QLabel("", self)  # who else has this open (issue 16, presence)
        self.presence.setObjectName("discussion_presence")
        self.presence.setWordWrap(True)
        self.presence.setStyleSheet("QLabel { color: #1b5e20; }")
        self.presence.hide()
        self.view = QTextBrowser(self)
        self.view.setObjectName("discussion_thread")
        self.view.setOpenLinks(False)
        self.view.anchorClicked.connect(self._on_link)
        self.error = QLabel("", self)
        self.error.setObjectName("discussion_error")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("QLabel { color: #c62828; }")
        self.error.hide()
        self.read_only_note = QLabel("", self)
        self.read_only_note.setObjectName("discussion_read_only")
        self.read_only_note.setWordWrap(True)
        self.mode = QLabel("", self)
        self.mode.setWordWrap(True)
        self.cancel_mode = QPushButton("Cancel", self)
        self.cancel_mode.clicked.connect(self._clear_mode)
        mode_row = QHBoxLayout()
        mode_row.addWidget(self.mode, 1)
        mode_row.addWidget(self.cancel_mode)
        self.box = QPlainTextEdit(self)
        self.box.setObjectName("discussion_box")
        self.box.setPlaceholderText("Write a comment; @name tells a person")
        self.box.setMaximumHeight(90)
        self.post_button = QPushButton("Post", self)
        self.post_button.setObjectName("discussion_post")
        self.post_button.setToolTip("Post the comment (Ctrl+Return)")
        self.post_button.clicked.connect(self.post)
        self.box.installEventFilter(self)  # Ctrl+Return posts
        post_row = QHBoxLayout()
        post_row.addStretch(1)
        post_row.addWidget(self.post_button)
        self.composer = QWidget(self)
        composer = QVBoxLayout(self.composer)
        composer.setContentsMargins(0, 0, 0, 0)
        composer.addLayout(mode_row)
        composer.addWidget(self.box)
        composer.addLayout(post_row)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addWidget(heading)
        layout.addWidget(self.subject)
        layout.addWidget(self.presence)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.error)
        layout.addWidget(self.read_only_note)
        layout.addWidget(self.composer)
        self.setMinimumWidth(260)
        self._reload_timer = QTimer(self, singleShot=True, interval=100)
        self._reload_timer.timeout.connect(self.reload)
        feed.changed.connect(self._on_changes)
        from workbench.services.presence import REFRESH_S, new_session

        self.session = new_session()
        self._presence_timer = QTimer(self, interval=int(REFRESH_S * 1000))
        self._presence_timer.timeout.connect(self.announce)
        self._presence_timer.start()
        self._clear_mode()
        self._update_writing()

    # -- what is shown ----------------------------------------------------------------------
    def set_context(self, ctx: Any, role: str = "") -> None:
        """The signed-in person's context of the current ``role`` (read-only for the analyst)."""
        if ctx is not self.ctx or role != self.role:
            changed = ctx is not self.ctx
            self.ctx, self.role = ctx, role
            self._update_writing()
            if changed:
                self.reload()
            elif self.threads:
                self._render()  # Reply and Edit links follow who may write

    def why_read_only(self) -> str:
        """Why this person cannot write here ("" when they can)."""
        if self.ctx is None:
            return "Not signed in."
        if self.role == "analyst":
            return ("The analyst's view reads discussions and does not write in them"
                    + ("; switch to another of your roles to comment." if set(self.ctx.roles) - {"analyst"} else "."))
        if self.ctx.read_only:
            return "The store is open read-only: comments can be read here, not written."
        if not allowed(self.ctx.roles, "comments.add"):
            return "Your roles read discussions but do not write in them."
        return ""

    def can_write(self) -> bool:
        return self.ctx is not None and not self.why_read_only()

    def _update_writing(self) -> None:
        why = self.why_read_only()
        self.read_only_note.setText(why)
        self.read_only_note.setVisible(bool(why) and bool(self.target))
        self.composer.setVisible(not why and bool(self.target) and not self._blocked)

    def show_subject(self, target: str, title: str = "") -> None:
        """Show the discussion of ``target``; a view with nothing chosen (``""``) leaves the last
        discussion shown."""
        if not target or target == self.target:
            return
        self.target, self.title = target, title or target
        self._clear_mode()
        self.box.clear()
        self.reload()
        self.announce()

    def reload(self) -> None:
        self._show_error("")
        if not self.target or self.ctx is None:
            self._blocked = False
            self.subject.setText(NOTHING_CHOSEN)
            self.threads, self._by_id = [], {}
            self.view.setHtml("")
            self._update_writing()
            return
        self.subject.setText(f"On <b>{html.escape(self.title)}</b>")
        target, store, user = self.target, self.ctx.store, self.ctx.user
        self.ctx.tasks.run(lambda: _load(store, user, target), lambda found: self._show(target, found),
                           lambda message: self._failed(target, message))

    def _show(self, target: str, found: dict[str, Any]) -> None:
        if target != self.target:  # the person chose something else meanwhile
            return
        self._blocked = "blocked" in found
        if self._blocked:
            self.threads, self._by_id = [], {}
            self.view.setHtml(f"<p style='color:#555'>{html.escape(found['blocked'])}</p>")
        else:
            self.threads, self.people = found["threads"], found["people"]
            self._render()
        self._update_writing()

    def _failed(self, target: str, message: str) -> None:
        if target == self.target:
            self._show_error(message)

    def _render(self) -> None:
        self._by_id = {}
        parts: list[str] = []
        me = self.ctx.user if self.ctx is not None else ""
        writable = self.can_write()

        def add(t: Any, depth: int) -> None:
            c = t.comment
            self._by_id[c.id] = c
            edited = " <i style='color:#777'>(edited)</i>" if c.edited_at else ""
            links = []
            if writable:
                links.append(f"<a href='reply:{c.id}'>Reply</a>")
                if c.author == me:
                    links.append(f"<a href='edit:{c.id}'>Edit</a>")
            actions = (f"<br><span style='font-size:small'>{' · '.join(links)}</span>") if links else ""
            parts.append(
                f"<div style='margin-left:{min(depth, 4) * 16}px; margin-bottom:10px'>"
                f"<b>{html.escape(c.author)}</b>&nbsp; <span style='color:#777'>"
                f"{local_time(c.created_at, seconds=False)}</span>{edited}<br>"
                f"{_body(c.text, self.people)}{actions}</div>")
            for reply in t.replies:
                add(reply, depth + 1)

        for t in self.threads:
            add(t, 0)
        if not parts:
            parts.append("<p style='color:#555'>No comments yet."
                         + (" Be the first: write below." if writable else "") + "</p>")
        bar = self.view.verticalScrollBar()
        at_end = bar.value() >= bar.maximum() - 4
        self.view.setHtml("".join(parts))
        if at_end:
            bar.setValue(bar.maximum())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if (watched is self.box and isinstance(event, QKeyEvent)
                and event.type() == QEvent.Type.KeyPress
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                and event.modifiers() & Qt.KeyboardModifier.ControlModifier):
            self.post()
            return True
        return super().eventFilter(watched, event)

    def comment_count(self) -> int:
        return len(self._by_id)

    # -- writing ----------------------------------------------------------------------------
    def _on_link(self, url: QUrl) -> None:
        action, _, ident = url.toString().partition(":")
        if ident.isdigit() and action == "reply":
            self.start_reply(int(ident))
        elif ident.isdigit() and action == "edit":
            self.start_edit(int(ident))

    def start_reply(self, comment_id: int) -> None:
        comment = self._by_id.get(comment_id)
        self.reply_to, self.editing = comment_id, None
        self.mode.setText(f"Replying to {comment.author}" if comment is not None else f"Replying to comment {comment_id}")
        self._show_mode()
        self.box.setFocus()

    def start_edit(self, comment_id: int) -> None:
        comment = self._by_id.get(comment_id)
        if comment is None:
            return
        self.editing, self.reply_to = comment_id, None
        self.mode.setText(f"Editing your comment {comment_id}")
        self.box.setPlainText(comment.text)
        self._show_mode()
        self.box.setFocus()

    def _show_mode(self) -> None:
        self.mode.show()
        self.cancel_mode.show()
        self.post_button.setText("Save" if self.editing is not None else "Post")

    def _clear_mode(self) -> None:
        if self.editing is not None:
            self.box.clear()
        self.reply_to = self.editing = None
        self.mode.hide()
        self.cancel_mode.hide()
        self.post_button.setText("Post")

    def post(self) -> None:
        """Post the box's text: a new comment, a reply, or the edit of one's own comment."""
        from workbench.services.discussions import add_comment, edit_comment

        text = self.box.toPlainText().strip()
        if not self.target or self.ctx is None or not self.can_write():
            return
        if not text:
            self._show_error("Write something first: an empty comment is not posted.")
            return
        store, user, target, reply_to, editing = self.ctx.store, self.ctx.user, self.target, self.reply_to, self.editing
        if editing is not None:
            def work() -> Any:
                return edit_comment(store, user, editing, text)
        else:
            def work() -> Any:
                return add_comment(store, user, target, text, reply_to=reply_to)
        self.post_button.setEnabled(False)
        self.ctx.tasks.run(work, self._posted, self._refused)

    def _posted(self, comment: Any) -> None:
        self.post_button.setEnabled(True)
        self.editing = None
        self.box.clear()
        self._clear_mode()
        self.reload()
        self.view.verticalScrollBar().setValue(self.view.verticalScrollBar().maximum())

    def _refused(self, message: str) -> None:
        self.post_button.setEnabled(True)
        self._show_error(message)

    def _show_error(self, message: str) -> None:
        self.last_error = message
        self.error.setText(message)
        self.error.setVisible(bool(message))

    def _on_changes(self, changes: list) -> None:
        if self.target and any(c.topic == "comments" for c in changes):
            self._reload_timer.start()
        if self.target and any(c.topic == "presence" and c.key == self.target for c in changes):
            self._read_presence()

    # -- presence ---------------------------------------------------------------------------
    def announce(self) -> None:
        """Say (off the UI thread) that this workbench has the shown thing open, then read who
        else has; a read-only store only reads."""
        if self.ctx is None or not self.target:
            return
        from workbench.services.presence import here

        store, user, session, targets = self.ctx.store, self.ctx.user, self.session, [self.target]
        if self.ctx.read_only or not self.isVisible():
            self._read_presence()
            return
        self.ctx.tasks.run(lambda: here(store, user, session, targets), lambda _: self._read_presence(),
                           lambda message: None)  # presence is a courtesy: a failure stays quiet

    def _read_presence(self) -> None:
        if self.ctx is None or not self.target:
            return
        from workbench.services.presence import present

        store, target = self.ctx.store, self.target
        self.ctx.tasks.run(lambda: present(store, target), lambda found: self._show_presence(target, found),
                           lambda message: None)

    def _show_presence(self, target: str, found: list[Any]) -> None:
        if target != self.target or self.ctx is None:
            return
        others = sorted({p.person for p in found if p.session != self.session})
        self.presence.setText(f"Also looking at this now: {', '.join(others)}" if others else "")
        self.presence.setVisible(bool(others))

    def leave(self) -> None:
        """This workbench closes: it no longer has anything open."""
        self._presence_timer.stop()
        if self.ctx is not None and not self.ctx.read_only:
            from workbench.services.presence import leave

            try:
                leave(self.ctx.store, self.ctx.user, self.session)
            except Exception:  # noqa: BLE001 - closing never fails for this; the row expires anyway
                pass
