"""The verifier's memory of each store: a rewritten past and a replaced key are reported even when
the chain itself verifies."""

from __future__ import annotations

import dataclasses
import json
import os
import stat
from pathlib import Path

import pytest

from tests.governance.audit_chain import head_of, key_records, payload, people, rechain, story
from workbench.errors import UnusableInputError
from workbench.governance.audit_verify import EntryRecord, KeyRecord, verify_chain
from workbench.governance.known_heads import check_and_remember, forget, known_heads_path
from workbench.governance.signing import SigningKey


def _lookup(chain: list[EntryRecord]):
    hashes = {e.id: e.hash for e in chain}
    return hashes.get


def _verified(chain: list[EntryRecord], keys: list[KeyRecord], store: str = "store-1"):
    report = verify_chain(chain, keys, head_of(chain))
    assert report.ok, report.problem
    return check_and_remember(store, report.head, _lookup(chain), keys)


def test_the_first_verification_is_remembered_in_a_private_file_under_the_data_dir() -> None:
    keys = people("admin", "sam", "rita")
    chain, _ = story(keys)
    result = _verified(chain, key_records(keys))
    assert result == [] and any("first verification" in n for n in result.notes)
    path = known_heads_path()
    assert path.is_relative_to(Path(os.environ["XDG_DATA_HOME"]))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    remembered = json.loads(path.read_text())["stores"]["store-1"]
    assert remembered["head"]["id"] == 9 and remembered["head"]["hash"] == chain[-1].hash
    assert set(remembered["keys"]) == {k.key_id for k in keys.values()}
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left


def test_a_chain_that_grew_is_remembered_again_with_a_note_for_a_new_key() -> None:
    keys = people("admin", "sam", "rita")
    chain, _ = story(keys)
    assert _verified(chain, key_records(keys)) == []
    keys["olga"] = SigningKey.generate()
    longer, _ = story(keys)
    longer = rechain([*longer, dataclasses.replace(longer[-1], id=10, actor="olga", payload_text=payload(x=1))],
                     9, keys)
    result = _verified(longer, key_records(keys))
    assert result == [] and result.notes == [f"new key for olga: {keys['olga'].key_id}"]
    assert json.loads(known_heads_path().read_text())["stores"]["store-1"]["head"]["id"] == 10


def test_a_consistent_rewrite_with_newly_registered_keys_is_a_rewritten_past() -> None:
    """The owner rewrites entry 3, re-signs everything with keys they registered in everyone's
    name: the chain verifies, but the head remembered last time no longer matches."""
    keys = people("admin", "sam", "rita")
    chain, _ = story(keys)
    assert _verified(chain, key_records(keys)) == []
    before = known_heads_path().read_bytes()
    forged = people("admin", "sam", "rita")
    chain[2] = dataclasses.replace(chain[2], payload_text=payload(graph="evil"))
    rewritten = rechain(chain, 2, forged)
    assert verify_chain(rewritten, key_records(forged), head_of(rewritten)).ok
    result = check_and_remember("store-1", head_of(rewritten), _lookup(rewritten), key_records(forged))
    assert any(p.startswith("the past was rewritten: entry 9 had hash " + chain[-1].hash[:16]) for p in result)
    assert any("when last verified on 20" in p for p in result)
    assert any(p.startswith("key replaced") for p in result)
    assert known_heads_path().read_bytes() == before  # nothing remembered from a store with problems


def test_swapping_a_key_and_re_signing_everything_is_a_replaced_key() -> None:
    """Same content, same hashes, every entry re-signed with a new key put in rita's place."""
    keys = people("admin", "sam", "rita")
    chain, _ = story(keys)
    assert _verified(chain, key_records(keys)) == []
    swapped = {**keys, "rita": SigningKey.generate()}
    resigned = rechain(chain, 0, swapped)
    assert head_of(resigned) == head_of(chain)
    report = verify_chain(resigned, key_records(swapped), head_of(resigned))
    assert report.ok
    result = check_and_remember("store-1", report.head, _lookup(resigned), key_records(swapped))
    assert result == [f"key replaced: rita's key {keys['rita'].key_id[:24]}… (first seen "
                      f"{json.loads(known_heads_path().read_text())['stores']['store-1']['keys'][keys['rita'].key_id]['first_seen']}"
                      ") is no longer registered in the store"]
    assert result.notes == [f"new key for rita: {swapped['rita'].key_id}"]


def test_a_key_registered_for_someone_else_is_a_replaced_key() -> None:
    keys = people("sam", "rita")
    chain, _ = story({**keys, "admin": keys["sam"]}, v1_first=9)
    assert _verified(chain, key_records(keys)) == []
    moved = [KeyRecord("mallory", k.key_id, k.public_key, k.registered_at) if k.person == "rita" else k
             for k in key_records(keys)]
    result = check_and_remember("store-1", head_of(chain), _lookup(chain), moved)
    assert len(result) == 1 and "was rita's" in result[0] and "for mallory" in result[0]


def test_deleted_newest_entries_with_a_rewritten_head_are_a_rewritten_past() -> None:
    keys = people("admin", "sam", "rita")
    chain, _ = story(keys)
    assert _verified(chain, key_records(keys)) == []
    shorter = chain[:6]
    assert verify_chain(shorter, key_records(keys), head_of(shorter)).ok
    result = check_and_remember("store-1", head_of(shorter), _lookup(shorter), key_records(keys))
    assert result == [f"the past was rewritten: entry 9 had hash {chain[-1].hash[:16]}… when last verified on "
                      f"{json.loads(known_heads_path().read_text())['stores']['store-1']['head']['verified_at']}"
                      ", and the store no longer holds it"]


def test_stores_are_remembered_apart_and_can_be_forgotten() -> None:
    keys = people("admin", "sam", "rita")
    chain, _ = story(keys)
    assert _verified(chain, key_records(keys), "store-a") == []
    assert _verified(chain[:4], key_records(keys), "store-b") == []
    assert _verified(chain, key_records(keys), "store-a") == []
    assert forget("store-b") and not forget("store-b")
    assert set(json.loads(known_heads_path().read_text())["stores"]) == {"store-a"}


def test_a_damaged_memory_file_is_reported_not_silently_reset() -> None:
    path = known_heads_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{ not json")
    with pytest.raises(UnusableInputError) as raised:
        check_and_remember("store-1", (0, "0" * 64), lambda _: None, [])
    assert str(path) in str(raised.value) and "move it aside" in str(raised.value)
    assert path.read_text() == "{ not json"
