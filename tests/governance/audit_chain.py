"""Building audit chains for the verifier's tests: hashes computed here from the published
schemes (v1 as the store wrote it, v2 as specified), entries signed with real Ed25519 keys."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable, Iterator

from workbench.governance.audit_verify import DecisionRecord, EntryRecord, KeyRecord
from workbench.governance.signing import SigningKey

GENESIS = "0" * 64


def v1_hash(id_: int, ts: int, actor: str, action: str, subject: str, payload: str, prev: str) -> str:
    content = json.dumps([id_, ts, actor, action, subject, payload, prev], sort_keys=True,
                         separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def v2_hash(id_: int, ts: int, actor: str, action: str, subject: str, payload: str, prev: str) -> str:
    framed = "".join(f"{len(p)}:{p}\n" for p in (str(id_), str(ts), actor, action, subject, payload, prev))
    return hashlib.sha256(framed.encode("utf-8")).hexdigest()


def payload(**values: object) -> str:
    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def seal(entry: EntryRecord, prev: str, keys: dict[str, SigningKey] | None) -> EntryRecord:
    """The entry linked to ``prev`` with its hash recomputed; signed again when ``keys`` are given
    (else it keeps the signature it had)."""
    scheme = v1_hash if entry.hash_version == 1 else v2_hash
    digest = scheme(entry.id, entry.ts, entry.actor, entry.action, entry.subject, entry.payload_text, prev)
    entry = dataclasses.replace(entry, prev_hash=prev, hash=digest)
    if keys is not None and entry.hash_version == 2:
        key = keys[entry.actor]
        entry = dataclasses.replace(entry, key_id=key.key_id, signature=key.sign_entry(digest))
    return entry


def build_chain(steps: Iterable[tuple[str, str, str, str]], keys: dict[str, SigningKey], *,
                v1_first: int = 0) -> list[EntryRecord]:
    """Entries from (actor, action, subject, payload text); the first ``v1_first`` are unsigned
    v1 entries (written before signing), the rest signed v2 entries."""
    chain: list[EntryRecord] = []
    prev = GENESIS
    for number, (actor, action, subject, text) in enumerate(steps, start=1):
        draft = EntryRecord(number, 1_760_000_000_000 + number * 1000, actor, action, subject, text, prev, "",
                            1 if number <= v1_first else 2)
        entry = seal(draft, prev, None if number <= v1_first else keys)
        chain.append(entry)
        prev = entry.hash
    return chain


def rechain(chain: list[EntryRecord], start: int, keys: dict[str, SigningKey] | None = None) -> list[EntryRecord]:
    """Recompute every hash and link from list index ``start`` on, as a table owner rewriting the
    chain would (signatures kept unless ``keys`` are given)."""
    out = list(chain[:start])
    prev = out[-1].hash if out else GENESIS
    for entry in chain[start:]:
        entry = seal(entry, prev, keys)
        out.append(entry)
        prev = entry.hash
    return out


def key_records(keys: dict[str, SigningKey]) -> list[KeyRecord]:
    return [KeyRecord(person, key.key_id, key.public_key, 1_750_000_000_000) for person, key in keys.items()]


def head_of(chain: list[EntryRecord]) -> tuple[int, str]:
    return (chain[-1].id, chain[-1].hash) if chain else (0, GENESIS)


def story(keys: dict[str, SigningKey], *, v1_first: int = 2) -> tuple[list[EntryRecord], list[DecisionRecord]]:
    """A small history: users added, a model trained, approval 3 requested by sam and approved by
    rita (entry 6), approval 4 rejected by rita (entry 8)."""
    steps = [
        ("admin", "users.add", "user:sam", payload(roles=["scientist"])),
        ("admin", "users.add", "user:rita", payload(roles=["approver"])),
        ("sam", "runs.start", "run:7", payload(graph="churn")),
        ("sam", "models.register", "model:churn/1", payload(run_id=7)),
        ("sam", "approvals.request", "approval:3", payload(model_version_id=1)),
        ("rita", "approvals.approve", "approval:3",
         payload(decision="approved", reason="AUC 0.91 on the hold-out; drift within bounds", model_version_id=1)),
        ("sam", "approvals.request", "approval:4", payload(model_version_id=2)),
        ("rita", "approvals.reject", "approval:4", payload(decision="rejected", reason="no canary yet")),
        ("sam", "models.promote", "model:churn/1", payload(stage="production")),
    ]
    decisions = [DecisionRecord(3, "approved", "AUC 0.91 on the hold-out; drift within bounds", "rita"),
                 DecisionRecord(4, "rejected", "no canary yet", "rita")]
    return build_chain(steps, keys, v1_first=v1_first), decisions


def people(*names: str) -> dict[str, SigningKey]:
    return {name: SigningKey.generate() for name in names}


def long_unsigned_chain(count: int) -> Iterator[EntryRecord]:
    """``count`` unsigned scheme-2 entries, made one at a time (for the streaming tests)."""
    prev = GENESIS
    for number in range(1, count + 1):
        text = json.dumps({"n": number, "note": "x" * 200})
        digest = v2_hash(number, number, "sam", "runs.log", f"run:{number}", text, prev)
        yield EntryRecord(number, number, "sam", "runs.log", f"run:{number}", text, prev, digest, 2)
        prev = digest
