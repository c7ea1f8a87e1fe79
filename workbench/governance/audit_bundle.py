"""An exported audit bundle: everything needed to verify a store's audit chain with no store.

Format ``mlops-workbench audit bundle``, version 1: a UTF-8 text file of JSON lines (one JSON
object per line, keys sorted, no insignificant white space), in this order:

1. the header ``{"format": "mlops-workbench audit bundle", "version": 1, "store": LABEL,
   "exported_at": "YYYY-MM-DD HH:MM UTC", "exported_by": PERSON or null}``;
2. one ``{"key": {person, key_id, public_key, registered_at}}`` per registered public key;
3. one ``{"entry": {id, ts, actor, action, subject, payload_text, prev_hash, hash,
   hash_version, key_id, signature}}`` per audit entry, in id order;
4. one ``{"decision": {request_id, decision, reason, decided_by}}`` per approval decision;
5. the last line ``{"head": {"id": N, "hash": H}, "counts": {"keys": …, "entries": …,
   "decisions": …}, "digest": SHA256, "key_id": …, "signature": …}`` where ``digest`` is the
   sha256 (hex) of every byte before this line and ``signature`` the exporter's signature over
   it (``SigningKey.sign_bundle``), or null when the bundle was written without a key.

Verifying runs ``verify_chain`` over the bundle (entries, keys, head and decisions), then checks
the counts, the digest and the exporter's signature. Editing an entry, a key, a decision or the
head, or deleting any line, fails it. Without an exporter's signature, a bundle whose newest
entries were deleted together with a head rewritten to match is a valid bundle of a shorter
chain; the report says so in its notes. Both writing and verifying stream the entries.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from workbench.errors import UnusableInputError
from workbench.governance.audit_verify import (
    ChainReport,
    DecisionRecord,
    EntryRecord,
    KeyRecord,
    verify_chain,
)
from workbench.governance.signing import SigningKey, verify_bundle_signature

FORMAT = "mlops-workbench audit bundle"
VERSION = 1
_ORDER = {"key": 1, "entry": 2, "decision": 3, "head": 4}


def _line(obj: dict[str, Any]) -> bytes:
    return (json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def write_bundle(path: str | Path, store_label: str, entries: Iterable[EntryRecord], keys: Iterable[KeyRecord],
                 head: tuple[int, str] | None, decisions: Iterable[DecisionRecord] = (), *,
                 signer: SigningKey | None = None, exported_by: str | None = None) -> int:
    """Write the bundle to ``path`` (replaced only once complete); return how many entries it holds.

    ``signer`` is the exporting person's key (registered for ``exported_by``); it signs the
    bundle's digest so that nothing, not even deleting the newest entries with the head, goes
    unnoticed."""
    path = Path(path)
    digest = hashlib.sha256()
    counts = {"keys": 0, "entries": 0, "decisions": 0}
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", suffix=".tmp", dir=path.parent or Path("."))
    try:
        with os.fdopen(fd, "wb") as out:
            def put(obj: dict[str, Any]) -> None:
                data = _line(obj)
                digest.update(data)
                out.write(data)

            put({"format": FORMAT, "version": VERSION, "store": store_label,
                 "exported_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "exported_by": exported_by})
            for kind, records in (("key", keys), ("entry", entries), ("decision", decisions)):
                for record in records:
                    put({kind: dataclasses.asdict(record)})
                    counts[{"key": "keys", "entry": "entries", "decision": "decisions"}[kind]] += 1
            head_id, head_hash = head if head is not None else (0, "0" * 64)
            hexdigest = digest.hexdigest()
            out.write(_line({"head": {"id": head_id, "hash": head_hash}, "counts": counts, "digest": hexdigest,
                             "key_id": signer.key_id if signer else None,
                             "signature": signer.sign_bundle(hexdigest) if signer else None}))
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return counts["entries"]


class _Edited(Exception):
    """The bundle was read but something in it is not as written."""


def _lines(stream: IO[bytes]) -> Iterator[tuple[int, bytes, dict[str, Any]]]:
    for number, raw in enumerate(stream, start=2):  # line 1, the header, is read already
        if not raw.strip():
            raise _Edited(f"line {number} of the bundle is empty (the bundle was edited)")
        try:
            obj = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise _Edited(f"line {number} of the bundle is not valid JSON (the bundle was edited or damaged)") from None
        if not isinstance(obj, dict):
            raise _Edited(f"line {number} of the bundle is not a JSON object (the bundle was edited)")
        yield number, raw, obj


_INTS = {"id", "ts", "hash_version", "registered_at", "request_id"}
_OPTIONAL = {"key_id", "signature"}


def _record(cls: type, obj: dict[str, Any], kind: str, number: int) -> Any:
    fields = obj[kind]
    well_formed = isinstance(fields, dict) and {f.name for f in dataclasses.fields(cls)} == set(fields) and all(
        (isinstance(v, int) and not isinstance(v, bool)) if k in _INTS
        else (v is None or isinstance(v, str)) if k in _OPTIONAL and kind == "entry"
        else isinstance(v, str)
        for k, v in fields.items())
    if not well_formed:
        raise _Edited(f"line {number} of the bundle is not a well-formed {kind} (the bundle was edited)")
    return cls(**fields)


def _open(path: Path) -> IO[bytes]:
    try:
        return path.open("rb")
    except OSError as exc:
        raise UnusableInputError(f"cannot read the audit bundle: {exc.strerror or exc}", where=str(path),
                                 hint="give the path of a file written by 'workbench audit export'") from None


def _read_header(path: Path, stream: IO[bytes]) -> tuple[dict[str, Any], bytes]:
    first = stream.readline()
    try:
        header = json.loads(first.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        header = None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise UnusableInputError("this file is not an audit bundle (its first line does not name the format "
                                 f"{FORMAT!r})", where=str(path),
                                 hint="give the path of a file written by 'workbench audit export'")
    if header.get("version") != VERSION:
        raise UnusableInputError(f"audit bundle version {header.get('version')!r} is not supported (this "
                                 f"workbench reads version {VERSION})", where=str(path),
                                 hint="verify it with the workbench version that exported it, or a newer one")
    return header, first


def _survey(path: Path) -> tuple[dict[str, Any], list[KeyRecord], list[DecisionRecord], dict[str, Any], str, int]:
    """First pass: header, keys, decisions, the head line, the digest before it and the entry count."""
    keys: list[KeyRecord] = []
    decisions: list[DecisionRecord] = []
    digest = hashlib.sha256()
    head: dict[str, Any] | None = None
    section, entries = 0, 0
    with _open(path) as stream:
        header, first = _read_header(path, stream)
        digest.update(first)
        for number, raw, obj in _lines(stream):
            kinds = [k for k in _ORDER if k in obj]
            if len(kinds) != 1:
                raise _Edited(f"line {number} of the bundle is neither a key, an entry, a decision nor the head")
            kind = kinds[0]
            if head is not None:
                raise _Edited(f"line {number} of the bundle comes after its head line (the bundle was edited)")
            if _ORDER[kind] < section:
                raise _Edited(f"line {number} of the bundle holds a {kind} out of its place (the bundle was edited)")
            section = _ORDER[kind]
            if kind == "head":
                head = obj
                continue
            digest.update(raw)
            if kind == "key":
                keys.append(_record(KeyRecord, obj, kind, number))
            elif kind == "decision":
                decisions.append(_record(DecisionRecord, obj, kind, number))
            else:
                entries += 1
    if head is None:
        raise _Edited("the bundle ends before its head line: it was cut short")
    return header, keys, decisions, head, digest.hexdigest(), entries


def _entries(path: Path, digest_seen: list[str]) -> Iterator[EntryRecord]:
    """Second pass: the entries, one at a time; when read to the end, the digest of what this pass
    read goes to ``digest_seen`` (a file changed between the passes is caught)."""
    digest = hashlib.sha256()
    with _open(path) as stream:
        digest.update(stream.readline())
        for number, raw, obj in _lines(stream):
            if "head" not in obj:
                digest.update(raw)
            if "entry" in obj:
                yield _record(EntryRecord, obj, "entry", number)
    digest_seen.append(digest.hexdigest())


def _head_of(head: dict[str, Any]) -> tuple[int, str]:
    try:
        return int(head["head"]["id"]), str(head["head"]["hash"])
    except (KeyError, TypeError, ValueError):
        raise _Edited("the bundle's head line does not hold an entry id and hash (the bundle was edited)") from None


def _seal_problem(header: dict[str, Any], keys: list[KeyRecord], decisions: list[DecisionRecord],
                  head: dict[str, Any], digest: str, entries: int) -> tuple[str | None, str]:
    """(problem or None, note) about the counts, the digest and the exporter's signature."""
    counts = head.get("counts") or {}
    for name, actual in (("keys", len(keys)), ("entries", entries), ("decisions", len(decisions))):
        if counts.get(name) != actual:
            return (f"the bundle's head line counts {counts.get(name)} {name} but the bundle holds {actual} "
                    "(lines were deleted or added)"), ""
    if head.get("digest") != digest:
        return "the bundle's content does not match the digest in its head line (the bundle was edited)", ""
    exporter, key_id, signature = header.get("exported_by"), head.get("key_id"), head.get("signature")
    if not signature:
        return None, ("the bundle is not signed by whoever exported it: deleting its newest entries together "
                      "with its head would go unnoticed")
    key = next((k for k in keys if k.key_id == key_id and k.person == exporter), None)
    if key is None:
        return f"the bundle is signed with key {key_id}, which is not a key of its exporter {exporter}", ""
    if not verify_bundle_signature(key.public_key, digest, signature):
        return f"the bundle's export signature does not verify with {exporter}'s key {key_id} (the bundle was edited)", ""
    return None, f"exported from {header.get('store')} by {exporter} on {header.get('exported_at')}, signed with key {key_id}"


def verify_bundle(path: str | Path) -> ChainReport:
    """Verify a bundle with no store; raises ``UnusableInputError`` when it cannot be read as one."""
    path = Path(path)
    empty = ChainReport(False, 0, 0, 0, 0, None, "", (0, "0" * 64))
    try:
        header, keys, decisions, head, digest, count = _survey(path)
        digest_seen: list[str] = []
        report = verify_chain(_entries(path, digest_seen), keys, _head_of(head), decisions)
    except _Edited as edited:
        return dataclasses.replace(empty, problem=str(edited))
    if not report.ok:
        return report
    if digest_seen != [digest]:
        return dataclasses.replace(report, ok=False, problem="the bundle changed while it was being verified")
    problem, note = _seal_problem(header, keys, decisions, head, digest, count)
    if problem is not None:
        return dataclasses.replace(report, ok=False, problem=problem)
    return dataclasses.replace(report, notes=(*report.notes, note))


__all__ = ["FORMAT", "VERSION", "verify_bundle", "write_bundle"]
