"""Notifications: inbox entries where the events happen, and webhook and e-mail delivery that
three senders at once deliver exactly once, against a real local HTTP receiver and a real
local SMTP server (aiosmtpd) on 127.0.0.1; a failing webhook is tried again after a pause."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.support.cli import ROOT, workbench
from tests.support.store_setup import cast_store
from workbench.services.discussions import add_comment
from workbench.services.notifications import inbox, mark_read


class Receiver:
    """A webhook endpoint on 127.0.0.1 that records every POST; ``fail_first`` answers 500."""

    def __init__(self, fail_first: int = 0):
        self.bodies: list[dict[str, Any]] = []
        self.keys: list[str] = []
        self.fail_left = fail_first
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if receiver.fail_left > 0:
                    receiver.fail_left -= 1
                    self.send_response(500)
                    self.end_headers()
                    return
                receiver.bodies.append(body)
                receiver.keys.append(self.headers["Idempotency-Key"])
                self.send_response(200)
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook?token=secret-part"

    def close(self) -> None:
        self.server.shutdown()


def _smtp() -> tuple[Any, list[Any]]:
    from aiosmtpd.controller import Controller

    received: list[Any] = []

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            received.append(message_from_bytes(envelope.content))
            return "250 OK"

    from tests.support.postgres import free_port

    controller = Controller(Handler(), hostname="127.0.0.1", port=free_port())
    controller.start()
    return controller, received


def test_events_reach_inboxes(tmp_path: Path) -> None:
    store = cast_store(f"sqlite:///{tmp_path / 'store.db'}")
    with store.write("bob") as uow:
        request = uow.approvals.request(model_version_id=None, run_id=None, node_id="gate",
                                        evidence={"model": {"name": "churn", "version": 2}})
        uow.alerts.raise_alert("churn/score", "drift", "feature x drifted")
    add_comment(store, "bob", f"approval:{request.id}", "@rita please look; @anna FYI")
    (asked, mentioned) = sorted(inbox(store, "rita"), key=lambda n: n.id)
    assert asked.kind == "approval" and "churn version 2" in asked.text
    assert mentioned.kind == "mention" and mentioned.target == f"approval:{request.id}"
    assert [n.kind for n in inbox(store, "anna")] == ["mention"]
    assert [n.kind for n in inbox(store, "olga")] == ["alert"]
    assert inbox(store, "bob") == []  # never told of one's own doing
    assert mark_read(store, "rita") == 2 and inbox(store, "rita", unread_only=True) == []
    store.close()


def test_three_senders_deliver_each_notification_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    store = cast_store(url)
    env = {"WORKBENCH_STORE": url, "PYTHONPATH": str(ROOT)}
    hook, (smtp, mails) = Receiver(fail_first=1), _smtp()
    try:
        configured = workbench("--user", "alice", "notifications", "webhook", "--url-stdin",
                               stdin=hook.url + "\n", env=env)
        assert configured.returncode == 0, configured.stderr
        refused = workbench("--user", "bob", "notifications", "webhook", "--url-stdin",
                            stdin=hook.url + "\n", env=env)
        assert refused.returncode == 3
        mail = workbench("--user", "alice", "notifications", "email", "--host", "127.0.0.1", "--port",
                         str(smtp.port), "--from", "workbench@example.org", "--to", "team@example.org",
                         env=env)
        assert mail.returncode == 0, mail.stderr
        channels = workbench("--user", "alice", "notifications", "channels", "--json", env=env).stdout
        assert "secret-part" not in channels and "127.0.0.1" in channels  # the URL stays in the keyring
        stored = b"".join(f.read_bytes() for f in tmp_path.glob("store.db*"))
        assert b"secret-part" not in stored

        for i in range(5):
            add_comment(store, "bob", f"approval:{_request(store)}", f"@rita item {i}")
        senders = [subprocess.Popen([sys.executable, "-m", "workbench", "--user", who, "notifications",
                                     "send", "--watch", "8"], env={**_env(), **env}, cwd=ROOT,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                   for who in ("bob", "olga", "alice")]
        for sender in senders:
            out, err = sender.communicate(timeout=120)
            assert sender.returncode == 0, err
        deadline = time.monotonic() + 10
        while (len(hook.bodies) < 10 or len(mails) < 10) and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        hook.close()
        smtp.stop()
    # 5 approval requests and 5 mentions, each sent once per channel
    assert len(hook.bodies) == 10 and len(set(hook.keys)) == 10, hook.keys
    assert len(mails) == 10 and len({m["Message-ID"] for m in mails}) == 10
    assert all(m["To"] == "team@example.org" for m in mails)
    with store.read() as uow:
        items = uow.notifications.outbox()
    assert {i.status for i in items} == {"sent"} and sum(i.attempts for i in items) == 1  # the 500, retried
    store.close()


def _env() -> dict[str, str]:
    import os

    return dict(os.environ)


def _request(store: Any) -> int:
    with store.write("bob") as uow:
        return uow.approvals.request(model_version_id=None, run_id=None, node_id="gate", evidence={}).id
