"""What this verifier has seen of each store's audit chain, as ssh's ``known_hosts`` remembers
host keys: the last verified head (entry id and hash) and every person's public key.

A chain can be rewritten consistently by whoever can write every row and holds (or replaces)
the signing keys. What was seen before cannot: on the next verification the remembered head
entry must still carry the remembered hash, and every remembered key must still be registered
for the same person with the same public key. A changed or missing head entry is reported as a
rewritten past, a changed or missing key as a replaced key; new keys are only noted.

The memory is one JSON file, ``known_heads.json`` in the workbench's data directory (or
``$WORKBENCH_KNOWN_HEADS``), readable by its owner only (0600) and replaced atomically. It is
updated only when a verification found no problem, so a problem is reported again until
someone looks into it (and, if the change was legitimate, removes the store's entry from the
file). Two verifiers finishing at the same moment may each write; the later one wins.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from workbench.errors import UnusableInputError
from workbench.governance.audit_verify import KeyRecord

FORMAT = "mlops-workbench known heads"
VERSION = 1


class HeadCheck(list[str]):
    """The problems found (the list itself: empty means none) and informational ``notes``."""

    def __init__(self, problems: Iterable[str] = (), notes: Iterable[str] = ()):
        super().__init__(problems)
        self.notes: list[str] = list(notes)


def known_heads_path() -> Path:
    configured = os.environ.get("WORKBENCH_KNOWN_HEADS")
    if configured:
        return Path(configured)
    from workbench.store.urls import default_data_dir

    return default_data_dir() / "known_heads.json"


def _now() -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())


def _short(text: str, n: int = 16) -> str:
    return text if len(text) <= n else text[:n] + "…"


def load(path: Path | None = None) -> dict[str, Any]:
    """The whole memory (``{"stores": {store_id: {"head": …, "keys": …}}}``); empty when none yet."""
    path = path or known_heads_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {"format": FORMAT, "version": VERSION, "stores": {}}
    except OSError as exc:
        raise UnusableInputError(f"cannot read the known heads file: {exc.strerror or exc}", where=str(path)) from None
    try:
        data = json.loads(text)
        ok = data.get("format") == FORMAT and isinstance(data.get("stores"), dict)
    except (ValueError, AttributeError):
        ok = False
    if not ok:
        raise UnusableInputError("this is not a known heads file of the workbench, or it is damaged",
                                 where=str(path),
                                 hint="move it aside; the next verification then remembers every store afresh")
    if data.get("version") != VERSION:
        raise UnusableInputError(f"known heads file version {data.get('version')} is not supported "
                                 f"(this workbench reads version {VERSION})", where=str(path))
    return data


def _save(data: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(prefix=".known_heads-", suffix=".tmp", dir=path.parent)  # created 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=1, sort_keys=True)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def check_and_remember(store_id: str, report_head: tuple[int, str],
                       entries_lookup: Callable[[int], str | None], keys: Iterable[KeyRecord], *,
                       path: Path | None = None) -> HeadCheck:
    """Compare what the store shows now with what was seen of it before; remember the new state
    when nothing is wrong.

    ``report_head`` is the head of a chain that ``verify_chain`` found intact; ``entries_lookup``
    gives the hash an entry id has in the store now (None when there is no such entry); ``keys``
    are the keys registered now. Returns the problems (a list) with ``notes`` for new keys."""
    path = path or known_heads_path()
    data = load(path)
    seen = data["stores"].get(store_id)
    current = {k.key_id: k for k in keys}
    problems: list[str] = []
    notes: list[str] = []
    if seen is None:
        notes.append(f"first verification of store {store_id} here: remembering its head (entry "
                     f"{report_head[0]}) and {len(current)} key(s)")
    else:
        head = seen.get("head") or {}
        head_id, head_hash, when = int(head.get("id", 0)), str(head.get("hash", "")), head.get("verified_at", "?")
        if head_id > 0:
            now = entries_lookup(head_id)
            if now is None:
                problems.append(f"the past was rewritten: entry {head_id} had hash {_short(head_hash)} when last "
                                f"verified on {when}, and the store no longer holds it")
            elif now != head_hash:
                problems.append(f"the past was rewritten: entry {head_id} had hash {_short(head_hash)} when last "
                                f"verified on {when}; it now has hash {_short(now)}")
        for key_id, known in sorted(seen.get("keys", {}).items()):
            person, first = known.get("person", "?"), known.get("first_seen", "?")
            now_key = current.get(key_id)
            if now_key is None:
                problems.append(f"key replaced: {person}'s key {_short(key_id, 24)} (first seen {first}) is no "
                                "longer registered in the store")
            elif now_key.person != person or now_key.public_key != known.get("public_key"):
                problems.append(f"key replaced: key {_short(key_id, 24)} was {person}'s (first seen {first}); "
                                f"the store now registers it for {now_key.person} with "
                                f"{'the same' if now_key.public_key == known.get('public_key') else 'another'} public key")
        for key_id, key in sorted(current.items()):
            if key_id not in seen.get("keys", {}):
                notes.append(f"new key for {key.person}: {key_id}")
    if problems:
        return HeadCheck(problems, notes)
    stamp = _now()
    remembered = dict((seen or {}).get("keys", {}))
    for key_id, key in current.items():
        remembered.setdefault(key_id, {"person": key.person, "public_key": key.public_key, "first_seen": stamp})
    data["stores"][store_id] = {"head": {"id": report_head[0], "hash": report_head[1], "verified_at": stamp},
                                "keys": remembered}
    _save(data, path)
    return HeadCheck((), notes)


def forget(store_id: str, *, path: Path | None = None) -> bool:
    """Drop what is remembered of a store (after a legitimate change was checked); whether there was any."""
    path = path or known_heads_path()
    data = load(path)
    if data["stores"].pop(store_id, None) is None:
        return False
    _save(data, path)
    return True


__all__ = ["HeadCheck", "check_and_remember", "forget", "known_heads_path", "load"]
