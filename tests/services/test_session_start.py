"""Starting the desktop workbench (``services.session.start_session``): a missing embedded store
is created with the person as its admin, an existing one opens as it is, and the change feed a
window listens to sees what a session writes."""

from __future__ import annotations

from pathlib import Path

from workbench.services.session import change_feed, start_session


def test_a_first_start_creates_the_embedded_store_and_says_so(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    session, note = start_session(url, "ada")
    assert note.startswith("Created a new store at") and note.endswith("ada is its admin.")
    assert (session.name, session.roles, session.proven) == ("ada", ("admin",), False)
    session.close()
    again, note = start_session(url, "ada")
    assert note == "" and again.roles == ("admin",)
    again.close()


def test_the_change_feed_sees_what_a_session_writes(tmp_path: Path) -> None:
    session, _ = start_session(f"sqlite:///{tmp_path / 'store.db'}", "ada")
    feed = change_feed(session.store)
    try:
        assert feed.poll() == []
        with session.store.write("ada") as uow:
            uow.users.add("bob", ["scientist"])
        assert "users" in {change.topic for change in feed.wait(timeout=2.0)}
    finally:
        feed.close()
        session.close()
