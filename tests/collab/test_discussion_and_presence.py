"""Two open workbenches on one store, each its own process (issue 16's acceptance), on a SQLite
file and on PostgreSQL: a comment made in one — or by the ``workbench comments add`` command — is
shown in the other's discussion panel within a second; presence appears in the other window,
leaves at once when a workbench closes, and expires when one is killed without a word.

Latency is measured from the comment's own time stamp (taken by the writing process before its
transaction commits, so the figure is an upper bound) to the moment the other window's panel
shows its text (both clocks are this machine's).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.collab.conftest import PRESENCE_TTL_S, OpenWorkbenches, SharedStore, Workbench

TARGET = "node:churn/train"


@pytest.fixture(scope="module")
def bob_and_olga(shared_store: SharedStore, open_workbenches: OpenWorkbenches) -> tuple[Workbench, Workbench]:
    """bob's and olga's workbenches, both with the discussion of node churn/train open: bob
    opened graph churn in his editor and clicked the node; olga chose it in her panel."""
    bob, olga = open_workbenches("bob", "olga")
    bob.send(do="open_graph", file=str(shared_store.graph_file), restore=False)
    bob.wait_for("graph_open", timeout=20)
    bob.send(do="select_node", node="train")
    olga.send(do="show", target=TARGET)
    return bob, olga


def _created_at(shared: SharedStore, text: str) -> float:
    from workbench.services.discussions import thread

    session = shared.open_as("rita")
    try:
        threads = thread(session.store, "rita", TARGET)
    finally:
        session.close()
    stack, found = list(threads), []
    while stack:
        item = stack.pop()
        stack.extend(item.replies)
        if text in item.comment.text:
            found.append(item.comment)
    assert len(found) == 1, f"expected one comment with {text!r}, found {found}"
    return found[0].created_at / 1000


def test_a_comment_from_the_command_line_shows_in_both_windows_within_a_second(
        shared_store: SharedStore, bob_and_olga: tuple[Workbench, Workbench]) -> None:
    bob, olga = bob_and_olga
    text = f"rita asks: is the threshold still right? ({shared_store.kind})"
    for workbench in (bob, olga):
        workbench.send(do="watch", text=text)
    added = shared_store.cli("rita", "comments", "add", TARGET, text)
    assert added.returncode == 0, added.stderr
    written = _created_at(shared_store, text)
    shown = [w.wait_for("shown", lambda e: e["text"] == text, timeout=10)["at"] for w in (bob, olga)]
    latencies = [at - written for at in shown]
    print(f"\n{shared_store.kind}: comment by the CLI shown in bob's / olga's window after "
          + " / ".join(f"{s * 1000:.0f} ms" for s in latencies))
    assert all(0 <= s < 1.0 for s in latencies), latencies


def test_a_comment_posted_in_one_window_shows_in_the_other_within_a_second(
        shared_store: SharedStore, bob_and_olga: tuple[Workbench, Workbench]) -> None:
    bob, olga = bob_and_olga
    for writer, reader in ((bob, olga), (olga, bob)):
        text = f"{writer.person} writes from the panel ({shared_store.kind}), @rita FYI"
        reader.send(do="watch", text=text)
        writer.send(do="watch", text=text)
        writer.send(do="post", text=text)
        posted = writer.wait_for("shown", _is(text), timeout=10)
        shown = reader.wait_for("shown", _is(text), timeout=10)
        latency = shown["at"] - _created_at(shared_store, text)
        print(f"\n{shared_store.kind}: {writer.person}'s comment shown in {reader.person}'s window "
              f"after {latency * 1000:.0f} ms (in the writer's own after "
              f"{(posted['at'] - _created_at(shared_store, text)) * 1000:.0f} ms)")
        assert 0 <= latency < 1.0


def _is(text: str) -> Callable[[dict[str, Any]], bool]:
    return lambda event: event["text"] == text


def _people(event: dict[str, Any]) -> set[str]:
    text = event["text"]
    prefix = "Also looking at this now: "
    return set(text[len(prefix):].split(", ")) if text.startswith(prefix) else set()


def test_presence_appears_leaves_and_expires(shared_store: SharedStore, bob_and_olga: tuple[Workbench, Workbench],
                                             open_workbenches: OpenWorkbenches) -> None:
    bob, olga = bob_and_olga
    # each sees the other on the node both have open
    bob.wait_for("presence", lambda e: "olga" in _people(e), timeout=10)
    olga.wait_for("presence", lambda e: "bob" in _people(e), timeout=10)

    sam, rita = open_workbenches("sam", "rita")
    sam.send(do="open_graph", file=str(shared_store.graph_file), restore=False)  # sam opens the graph
    sam.wait_for("graph_open", timeout=20)
    sam.send(do="select_node", node="train")
    rita.send(do="show", target=TARGET)
    bob.wait_for("presence", lambda e: _people(e) == {"olga", "rita", "sam"}, timeout=10)
    olga.wait_for("presence", lambda e: _people(e) == {"bob", "rita", "sam"}, timeout=10)

    # rita closes her window: she says she left, and bob sees it through the change feed at once
    bob.drain()
    closed = time.time()
    rita.quit()
    assert rita.process.returncode == 0, rita.errors[-10:]
    gone = bob.wait_for("presence", lambda e: _people(e) == {"olga", "sam"}, timeout=10, after=closed)
    polite = gone["at"] - closed

    # sam's workbench is killed (kill -9): nobody says he left; he drops out after the time-to-live
    bob.drain()
    killed = time.time()
    sam.kill()
    shown = [e for e in bob.seen if e["event"] == "presence"][-1]  # bob's line as the kill came
    assert _people(shown) == {"olga", "sam"}
    expired = bob.wait_for("presence", lambda e: _people(e) == {"olga"}, timeout=PRESENCE_TTL_S + 10,
                           after=killed)
    silent = expired["at"] - killed
    print(f"\n{shared_store.kind}: presence gone {polite:.2f} s after a window closed, "
          f"{silent:.2f} s after one was killed (time-to-live {PRESENCE_TTL_S:g} s)")
    # killed: listed until its last heartbeat ages past the time-to-live (heartbeats every 1 s)
    assert PRESENCE_TTL_S - 1.5 <= silent <= PRESENCE_TTL_S + 3.0
    assert polite < silent
