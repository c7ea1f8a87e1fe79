"""The chain verifier over plain records: every kind of tampering is named with its entry."""

from __future__ import annotations

import dataclasses
import tracemalloc
from collections.abc import Iterator

from tests.governance.audit_chain import (
    GENESIS,
    build_chain,
    head_of,
    key_records,
    long_unsigned_chain,
    payload,
    people,
    rechain,
    story,
    v2_hash,
)
from workbench.governance.audit_verify import (
    DecisionRecord,
    EntryRecord,
    entry_hash_v2,
    verify_chain,
)
from workbench.governance.signing import SigningKey
from workbench.store.repos.audit import entry_hash


def _setup() -> tuple[dict[str, SigningKey], list[EntryRecord], list[DecisionRecord]]:
    keys = people("admin", "sam", "rita")
    chain, decisions = story(keys)
    return keys, chain, decisions


def test_v2_hash_is_the_specified_length_prefixed_sha256() -> None:
    assert entry_hash_v2(5, 17, "rita", "a.b", "s", "{}", GENESIS) == v2_hash(5, 17, "rita", "a.b", "s", "{}", GENESIS)
    # lengths count code points, and the framing keeps fields from running into each other
    assert entry_hash_v2(1, 2, "ré", "x", "", "", GENESIS) == v2_hash(1, 2, "ré", "x", "", "", GENESIS)
    assert entry_hash_v2(1, 2, "ab", "c", "", "", GENESIS) != entry_hash_v2(1, 2, "a", "bc", "", "", GENESIS)


def test_the_store_scheme_v1_is_what_the_helper_computes() -> None:
    from tests.governance.audit_chain import v1_hash

    assert entry_hash(3, 9, "sam", "runs.start", "run:1", '{"a":1}', GENESIS) == \
        v1_hash(3, 9, "sam", "runs.start", "run:1", '{"a":1}', GENESIS)


def test_an_intact_chain_with_old_unsigned_v1_entries_before_signed_v2_entries_verifies() -> None:
    keys, chain, decisions = _setup()
    assert [e.hash_version for e in chain[:3]] == [1, 1, 2] and chain[0].signature is None
    report = verify_chain(iter(chain), key_records(keys), head_of(chain), decisions,
                          asserted=lambda e: e.actor == "sam")
    assert report.ok, report.problem
    assert (report.entries, report.signed, report.unsigned, report.asserted) == (9, 7, 2, 5)
    assert report.head == head_of(chain) and report.decisions == 2
    assert report.broken_id is None and report.problem == ""


def test_an_empty_chain_with_no_head_verifies() -> None:
    report = verify_chain([], [], None)
    assert report.ok and report.entries == 0 and report.head == (0, GENESIS)


def test_an_edited_payload_is_named_as_changed_content() -> None:
    keys, chain, decisions = _setup()
    chain[3] = dataclasses.replace(chain[3], payload_text=payload(run_id=8))
    report = verify_chain(chain, key_records(keys), head_of(chain), decisions)
    assert not report.ok and report.broken_id == 4
    assert "entry 4" in report.problem and "changed" in report.problem
    assert report.entries == 3  # the walk stopped at the first bad entry


def test_an_edited_v1_payload_is_caught_by_the_v1_scheme() -> None:
    keys, chain, _ = _setup()
    chain[1] = dataclasses.replace(chain[1], payload_text=payload(roles=["admin"]))
    report = verify_chain(chain, key_records(keys), head_of(chain))
    assert not report.ok and report.broken_id == 2 and "changed" in report.problem


def test_a_deleted_entry_is_named_as_missing() -> None:
    keys, chain, decisions = _setup()
    del chain[4]
    report = verify_chain(chain, key_records(keys), head_of(chain), decisions)
    assert not report.ok and report.broken_id == 5
    assert "entry 5 is missing" in report.problem


def test_deleting_the_newest_entries_is_a_head_mismatch() -> None:
    keys, chain, _ = _setup()
    head = head_of(chain)
    report = verify_chain(chain[:-2], key_records(keys), head)
    assert not report.ok and report.broken_id == 8
    assert "head mismatch" in report.problem and "entry 7" in report.problem and "entry 9" in report.problem


def test_a_head_with_another_hash_is_a_head_mismatch() -> None:
    keys, chain, _ = _setup()
    report = verify_chain(chain, key_records(keys), (9, "f" * 64))
    assert not report.ok and report.broken_id == 9 and "head mismatch" in report.problem


def test_a_broken_link_is_named() -> None:
    keys, chain, _ = _setup()
    chain[5] = dataclasses.replace(chain[5], prev_hash="a" * 64)
    report = verify_chain(chain, key_records(keys), head_of(chain))
    assert not report.ok and report.broken_id == 6 and "broken link" in report.problem


def test_a_consistent_rewrite_without_the_private_keys_fails_on_the_signature() -> None:
    """The table owner edits entry 3 and recomputes every later hash, every link and the head;
    hashes all agree, but the signatures were made over the old hashes."""
    keys, chain, decisions = _setup()
    chain[2] = dataclasses.replace(chain[2], payload_text=payload(graph="churn-evil"))
    rewritten = rechain(chain, 2)
    report = verify_chain(rewritten, key_records(keys), head_of(rewritten), decisions)
    assert not report.ok and report.broken_id == 3
    assert "bad signature" in report.problem and "entry 3" in report.problem


def test_a_signature_by_another_persons_key_is_refused() -> None:
    keys, chain, _ = _setup()
    forged = {**keys, "rita": keys["sam"]}  # sam signs what claims to be rita's approval
    chain = rechain(chain, 5, forged)
    report = verify_chain(chain, key_records(keys), head_of(chain))
    assert not report.ok and report.broken_id == 6
    assert "sam's key" in report.problem and "not a key of rita" in report.problem


def test_a_signature_by_an_unregistered_key_is_refused() -> None:
    keys, chain, _ = _setup()
    stranger = {**keys, "rita": SigningKey.generate()}
    chain = rechain(chain, 5, stranger)
    report = verify_chain(chain, key_records(keys), head_of(chain))
    assert not report.ok and report.broken_id == 6 and "unknown key" in report.problem


def test_an_unsigned_entry_after_a_signed_one_is_refused() -> None:
    keys, chain, _ = _setup()
    chain[6] = dataclasses.replace(chain[6], key_id=None, signature=None)
    report = verify_chain(chain, key_records(keys), head_of(chain))
    assert not report.ok and report.broken_id == 7 and "entry 7 is not signed" in report.problem


def test_a_signature_without_its_key_id_is_refused() -> None:
    keys, chain, _ = _setup()
    chain[4] = dataclasses.replace(chain[4], key_id=None)
    report = verify_chain(chain, key_records(keys), head_of(chain))
    assert not report.ok and report.broken_id == 5


def test_a_registered_key_whose_id_is_not_its_fingerprint_is_a_swapped_key() -> None:
    keys, chain, _ = _setup()
    records = key_records(keys)
    records[2] = dataclasses.replace(records[2], public_key=SigningKey.generate().public_key)
    report = verify_chain(chain, records, head_of(chain))
    assert not report.ok and "rita" in report.problem and "swapped" in report.problem


def test_an_edited_decision_reason_is_caught_against_its_audit_entry() -> None:
    keys, chain, decisions = _setup()
    decisions[0] = dataclasses.replace(decisions[0], reason="looked fine")
    report = verify_chain(chain, key_records(keys), head_of(chain), decisions)
    assert not report.ok and report.broken_id == 6
    assert report.problem == "approval 3's reason in approval_decisions differs from audit entry 6"


def test_an_edited_decision_or_decider_is_caught() -> None:
    keys, chain, decisions = _setup()
    flipped = [dataclasses.replace(decisions[0], decision="rejected"), decisions[1]]
    report = verify_chain(chain, key_records(keys), head_of(chain), flipped)
    assert not report.ok and "approval 3's decision" in report.problem
    other = [decisions[0], dataclasses.replace(decisions[1], decided_by="sam")]
    report = verify_chain(chain, key_records(keys), head_of(chain), other)
    assert not report.ok and report.problem == "approval 4's decider in approval_decisions differs from audit entry 8"


def test_a_decision_without_audit_entry_and_an_entry_without_decision_are_caught() -> None:
    keys, chain, decisions = _setup()
    planted = [*decisions, DecisionRecord(5, "approved", "trust me", "rita")]
    report = verify_chain(chain, key_records(keys), head_of(chain), planted)
    assert not report.ok and "approval 5" in report.problem and "no audit entry" in report.problem
    report = verify_chain(chain, key_records(keys), head_of(chain), decisions[1:])
    assert not report.ok and report.broken_id == 6 and "approval 3" in report.problem
    # without decisions at all, nothing is cross-checked
    assert verify_chain(chain, key_records(keys), head_of(chain)).ok


def test_a_person_with_two_keys_may_sign_with_either() -> None:
    keys = people("sam")
    later = people("sam")
    chain = build_chain([("sam", "a", "s", "{}")] * 3, keys)
    chain = rechain(chain, 2, later)
    report = verify_chain(chain, [*key_records(keys), *key_records(later)], head_of(chain))
    assert report.ok and report.signed == 3


def test_the_walk_streams_and_does_not_hold_the_entries() -> None:
    """20,000 entries from a generator: the walk keeps a bounded amount of memory (holding the
    records would take several megabytes)."""
    count = 20_000

    def entries() -> Iterator[EntryRecord]:
        return long_unsigned_chain(count)

    last = list(entries())[-1]
    tracemalloc.start()
    report = verify_chain(entries(), [], (count, last.hash))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert report.ok and report.entries == count and report.unsigned == count
    assert peak < 1_000_000, f"the walk held {peak} bytes"
