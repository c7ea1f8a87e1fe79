"""Verifying an audit chain from plain records, so a store and an exported bundle share one check.

The chain (entries in id order, read once, never all held in memory):

* ids run 1, 2, 3, … without a gap; each entry's ``prev_hash`` is the hash of the entry before it
  (64 zeros for entry 1);
* each ``hash`` is recomputed by the entry's ``hash_version``: 1 is the store's first scheme
  (``workbench.store.repos.audit.entry_hash``), 2 is ``entry_hash_v2`` below: sha256 over
  ``"{len}:{part}\\n"`` for id, ts, actor, action, subject, payload text and prev_hash, lengths
  in code points;
* a signed entry's signature verifies with a key registered for that entry's actor
  (``workbench.governance.signing``); once one entry is signed, every later entry must be too
  (unsigned entries are allowed only before the first signed one: stores older than signing);
* the last entry is the recorded head (``head=None`` means no head is recorded: then the chain
  must be empty), so deleting the newest entries is caught.

Decisions (rows of ``approval_decisions``) are checked against their audit entries: action
``approvals.approve``/``approvals.reject``, subject ``approval:ID``, actor = decider, payload
JSON with the same ``decision`` and ``reason``. Pass ``decisions`` only when they are all of them:
then a decision entry without its row is reported too; ``None`` skips the cross-check.

The report names the first problem only, in one sentence, with the entry id where there is one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from workbench.errors import InvalidInputError
from workbench.governance.signing import key_id_of, verify_signature
from workbench.store.repos.audit import GENESIS, entry_hash_v2
from workbench.store.repos.audit import entry_hash as entry_hash_v1

DECISION_ACTIONS = {"approvals.approve": "approved", "approvals.reject": "rejected"}


@dataclass(frozen=True)
class EntryRecord:
    id: int
    ts: int
    actor: str
    action: str
    subject: str
    payload_text: str
    prev_hash: str
    hash: str
    hash_version: int
    key_id: str | None = None
    signature: str | None = None


@dataclass(frozen=True)
class KeyRecord:
    person: str
    key_id: str
    public_key: str
    registered_at: int


@dataclass(frozen=True)
class DecisionRecord:
    request_id: int
    decision: str
    reason: str
    decided_by: str


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    entries: int
    signed: int
    unsigned: int
    asserted: int
    broken_id: int | None
    problem: str
    head: tuple[int, str]
    decisions: int = 0
    notes: tuple[str, ...] = ()


def recompute_hash(entry: EntryRecord) -> str | None:
    """The entry's hash by its scheme; None for a scheme this version does not know."""
    scheme = {1: entry_hash_v1, 2: entry_hash_v2}.get(entry.hash_version)
    if scheme is None:
        return None
    return scheme(entry.id, entry.ts, entry.actor, entry.action, entry.subject, entry.payload_text,
                  entry.prev_hash)


class _Broken(Exception):
    def __init__(self, broken_id: int | None, problem: str):
        super().__init__(problem)
        self.broken_id, self.problem = broken_id, problem


def _short(key_id: str) -> str:
    return key_id if len(key_id) <= 20 else key_id[:20] + "…"


def _key_table(keys: Iterable[KeyRecord]) -> dict[str, tuple[str, set[str]]]:
    """key_id → (public key, the people it is registered for); a record whose id is not its key's
    fingerprint is itself a problem."""
    table: dict[str, tuple[str, set[str]]] = {}
    for key in keys:
        try:
            actual = key_id_of(key.public_key)
        except InvalidInputError as exc:
            raise _Broken(None, f"{key.person}'s registered key {_short(key.key_id)} is malformed "
                                f"({exc.message})") from None
        if actual != key.key_id:
            raise _Broken(None, f"{key.person}'s registered key {_short(key.key_id)} is not the "
                                f"fingerprint of its public key (that is {_short(actual)}): the key was swapped")
        table.setdefault(key.key_id, (key.public_key, set()))[1].add(key.person)
    return table


def _describe(entry: EntryRecord) -> str:
    return f"entry {entry.id} ({entry.action} by {entry.actor})"


def _check_signature(entry: EntryRecord, keys: dict[str, tuple[str, set[str]]]) -> None:
    if not entry.key_id or not entry.signature:
        raise _Broken(entry.id, f"{_describe(entry)} carries a key id or a signature but not both")
    if entry.key_id not in keys:
        raise _Broken(entry.id, f"{_describe(entry)} is signed with key {_short(entry.key_id)}, "
                                "which is not registered (unknown key)")
    public, people = keys[entry.key_id]
    if entry.actor not in people:
        owners = ", ".join(sorted(people))
        raise _Broken(entry.id, f"{_describe(entry)} is signed with {owners}'s key {_short(entry.key_id)}, "
                                f"not a key of {entry.actor}")
    if not verify_signature(public, entry.hash, entry.signature):
        raise _Broken(entry.id, f"{_describe(entry)} has a bad signature: it does not verify with "
                                f"{entry.actor}'s key {_short(entry.key_id)} (the entry or its signature was changed)")


def _decision_of(entry: EntryRecord) -> tuple[int, dict[str, object]] | None:
    """(request id, payload) of an entry that records a decision, else None."""
    if entry.action not in DECISION_ACTIONS or not entry.subject.startswith("approval:"):
        return None
    try:
        request_id = int(entry.subject.removeprefix("approval:"))
        payload = json.loads(entry.payload_text)
    except ValueError:
        raise _Broken(entry.id, f"{_describe(entry)} records a decision but its subject or payload "
                                "cannot be read") from None
    return request_id, payload if isinstance(payload, dict) else {}


def _check_decisions(decisions: Iterable[DecisionRecord],
                     entered: dict[int, tuple[int, str, str, object, object]]) -> int:
    """Compare every decision row with its audit entry; return how many were checked."""
    rows = sorted(decisions, key=lambda d: d.request_id)
    seen: set[int] = set()
    for row in rows:
        seen.add(row.request_id)
        audited = entered.get(row.request_id)
        if audited is None:
            raise _Broken(None, f"approval {row.request_id}'s decision in approval_decisions has no audit entry")
        entry_id, actor, action_decision, decision, reason = audited
        for what, ours, theirs in (("decision", row.decision, decision),
                                   ("decision", row.decision, action_decision),
                                   ("reason", row.reason, reason), ("decider", row.decided_by, actor)):
            if ours != theirs:
                raise _Broken(entry_id, f"approval {row.request_id}'s {what} in approval_decisions differs "
                                        f"from audit entry {entry_id}")
    for request_id, audited in sorted(entered.items()):
        if request_id not in seen:
            raise _Broken(audited[0], f"audit entry {audited[0]} records a decision on approval {request_id} "
                                      "that approval_decisions does not hold (the decision was deleted)")
    return len(rows)


def verify_chain(entries: Iterable[EntryRecord], keys: Iterable[KeyRecord], head: tuple[int, str] | None,
                 decisions: Iterable[DecisionRecord] | None = None,
                 asserted: Callable[[EntryRecord], bool] | None = None) -> ChainReport:
    """Walk the chain once and report the first problem (see the module's rules)."""
    count = signed = unsigned = n_asserted = n_decisions = 0
    last_id, last_hash = 0, GENESIS
    entered: dict[int, tuple[int, str, str, object, object]] = {}
    try:
        key_table = _key_table(keys)
        for entry in entries:
            expected = last_id + 1
            if entry.id > expected:
                raise _Broken(expected, f"entry {expected} is missing (deleted): the chain jumps from "
                                        f"entry {last_id} to entry {entry.id}")
            if entry.id < expected:
                raise _Broken(entry.id, f"entry {entry.id} appears again after entry {last_id} (out of order or duplicated)")
            if entry.prev_hash != last_hash:
                raise _Broken(entry.id, f"{_describe(entry)} does not link to the entry before it (broken link)")
            recomputed = recompute_hash(entry)
            if recomputed is None:
                raise _Broken(entry.id, f"{_describe(entry)} has hash version {entry.hash_version}, "
                                        "which this workbench does not know (upgrade the workbench)")
            if recomputed != entry.hash:
                raise _Broken(entry.id, f"{_describe(entry)} was changed after it was written "
                                        "(content changed: its hash no longer matches its content)")
            if entry.key_id is None and entry.signature is None:
                if signed:
                    raise _Broken(entry.id, f"entry {entry.id} is not signed ({entry.action} by {entry.actor}), "
                                            "though entries before it are")
                unsigned += 1
            else:
                _check_signature(entry, key_table)
                signed += 1
            if asserted is not None and asserted(entry):
                n_asserted += 1
            decided = _decision_of(entry)
            if decided is not None and decided[0] not in entered:
                payload = decided[1]
                entered[decided[0]] = (entry.id, entry.actor, DECISION_ACTIONS[entry.action],
                                       payload.get("decision"), payload.get("reason"))
            count += 1
            last_id, last_hash = entry.id, entry.hash
        head_id, head_hash = head if head is not None else (0, GENESIS)
        if head_id > last_id:
            raise _Broken(last_id + 1, f"the chain ends at entry {last_id} but its head records entry {head_id}: "
                                       "the newest entries were deleted (head mismatch)")
        if head_id < last_id:
            raise _Broken(head_id + 1, f"the head records entry {head_id} but the chain goes on to entry "
                                       f"{last_id}: the head was altered (head mismatch)")
        if head_hash != last_hash:
            raise _Broken(last_id, f"the head's hash differs from entry {last_id}'s hash: the head or the "
                                   "newest entry was altered (head mismatch)")
        if decisions is not None:
            n_decisions = _check_decisions(decisions, entered)
    except _Broken as broken:
        return ChainReport(False, count, signed, unsigned, n_asserted, broken.broken_id, broken.problem,
                           (last_id, last_hash), n_decisions)
    return ChainReport(True, count, signed, unsigned, n_asserted, None, "", (last_id, last_hash), n_decisions)


__all__ = ["ChainReport", "DecisionRecord", "EntryRecord", "GENESIS", "KeyRecord", "entry_hash_v2",
           "recompute_hash", "verify_chain"]
