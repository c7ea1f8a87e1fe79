"""Three open workbenches, each its own process and each sending due notifications as an open
workbench does (issue 16's acceptance), on a SQLite file and on PostgreSQL: an admin configures
a webhook and e-mail from the command line; approval requests and mentions then reach the local
webhook receiver and the local SMTP server exactly once each — also when each receiver refuses
its first delivery, which is tried again after the back-off."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest

from tests.collab.conftest import OpenWorkbenches, SharedStore, Workbench
from tests.collab.receivers import MailReceiver, WebhookReceiver


@pytest.fixture(scope="module")
def receivers(shared_store: SharedStore) -> Iterator[tuple[WebhookReceiver, MailReceiver]]:
    """A fresh webhook receiver and SMTP server for each store."""
    hook, mail = WebhookReceiver(fail_first=1), MailReceiver(fail_first=1)
    yield hook, mail
    hook.close()
    mail.close()


@pytest.fixture(scope="module")
def three_senders(shared_store: SharedStore, receivers: tuple[WebhookReceiver, MailReceiver],
                  open_workbenches: OpenWorkbenches) -> list[Workbench]:
    """The admin configured both channels; bob's, olga's and rita's workbenches are open."""
    hook, mail = receivers
    configured = shared_store.cli("alice", "notifications", "webhook", "--url-stdin", stdin=hook.url + "\n")
    assert configured.returncode == 0, configured.stderr
    emailed = shared_store.cli("alice", "notifications", "email", "--host", "127.0.0.1", "--port",
                               str(mail.port), "--from", "workbench@example.org", "--to", "team@example.org")
    assert emailed.returncode == 0, emailed.stderr
    senders = open_workbenches("bob", "olga", "rita")
    assert all(w.ready["sending"] for w in senders), [w.ready for w in senders]
    return senders


def _request_approvals(shared: SharedStore, count: int) -> list[int]:
    """bob asks for ``count`` approvals at once (as an approval gate in his runs does)."""
    session = shared.open_as("bob")
    try:
        ids = []
        for version in range(1, count + 1):
            with session.store.write("bob") as uow:
                ids.append(uow.approvals.request(model_version_id=None, run_id=None, node_id="gate",
                                                 evidence={"model": {"name": "churn", "version": version}}).id)
        return ids
    finally:
        session.close()


def _until(what: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if what():
            return True
        time.sleep(0.1)
    return what()


def test_each_notification_arrives_once_by_webhook_and_by_mail(
        shared_store: SharedStore, receivers: tuple[WebhookReceiver, MailReceiver],
        three_senders: list[Workbench]) -> None:
    hook, mail = receivers
    bob, olga, rita = three_senders
    started = time.time()
    requests = _request_approvals(shared_store, 8)  # each tells the approvers: rita
    mentioned = shared_store.cli("sam", "comments", "add", "node:churn/train",
                                 "@olga @rita the new features need a look")
    assert mentioned.returncode == 0, mentioned.stderr
    expected = len(requests) + 1  # one outbox entry per event and channel
    assert _until(lambda: len(hook.bodies) >= expected and len(mail.messages) >= expected, 30), (
        f"webhook {len(hook.bodies)}, mail {len(mail.messages)} of {expected}; "
        f"senders said {[w.errors[-5:] for w in three_senders]}")
    delivered = time.time()
    time.sleep(2.0)  # four more rounds of every sender: nothing may come twice
    for workbench in three_senders:
        workbench.drain()

    assert hook.refused and mail.refused  # each receiver turned the first delivery away
    assert len(hook.bodies) == expected and len(set(hook.keys)) == expected, hook.keys
    assert {b["target"] for b in hook.bodies} == {f"approval:{i}" for i in requests} | {"node:churn/train"}
    assert len(mail.messages) == expected
    assert len({m["Message-ID"] for m in mail.messages}) == expected
    assert all(m["To"] == "team@example.org" for m in mail.messages)
    refused_again = [b for b in hook.bodies if b["id"] == hook.refused[0]["id"]]
    assert len(refused_again) == 1  # the refused one came again, once

    session = shared_store.open_as("alice")
    try:
        with session.store.read() as uow:
            items = uow.notifications.outbox()
    finally:
        session.close()
    assert len(items) == 2 * expected and {i.status for i in items} == {"sent"}
    assert sorted(i.attempts for i in items) == [0] * (2 * expected - 2) + [1, 1]  # the two refusals

    by_sender = {w.person: sum(e["count"] for e in w.seen if e["event"] == "sent") for w in three_senders}
    assert sum(by_sender.values()) == 2 * expected, by_sender  # each delivery claimed by one of them
    rita.wait_for("inbox", lambda e: e["text"] == f"Inbox ({expected})", timeout=5)
    olga.wait_for("inbox", lambda e: e["text"] == "Inbox (1)", timeout=5)
    assert [e["text"] for e in bob.seen if e["event"] == "inbox"] == ["Inbox"]  # his requests tell others
    print(f"\n{shared_store.kind}: {expected} webhook calls and {expected} e-mails, each once, "
          f"within {delivered - started:.1f} s (two retried after a refusal); sent by {by_sender}")
