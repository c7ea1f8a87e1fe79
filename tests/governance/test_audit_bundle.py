"""Exported audit bundles verify with no store, and any edit to one fails it — also through
``workbench audit verify --bundle``."""

from __future__ import annotations

import hashlib
import json
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.governance.audit_chain import (
    head_of,
    key_records,
    long_unsigned_chain,
    people,
    rechain,
    story,
)
from tests.support.cli import no_traceback, workbench
from workbench.errors import UnusableInputError
from workbench.governance.audit_bundle import verify_bundle, write_bundle
from workbench.governance.signing import SigningKey

Lines = list[dict]


def _bundle(tmp_path: Path, *, signed: bool = True) -> tuple[Path, dict[str, SigningKey]]:
    keys = people("admin", "sam", "rita")
    chain, decisions = story(keys)
    path = tmp_path / "audit.jsonl"
    written = write_bundle(path, "postgresql://db/prod", iter(chain), iter(key_records(keys)), head_of(chain),
                           iter(decisions), signer=keys["rita"] if signed else None,
                           exported_by="rita" if signed else None)
    assert written == 9
    return path, keys


def _lines(path: Path) -> Lines:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _text(obj: dict) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"


def _write(path: Path, lines: Lines) -> None:
    path.write_text("".join(_text(x) for x in lines), encoding="utf-8")


def _reseal(lines: Lines, signer: SigningKey | None = None) -> None:
    """Recompute the head line's digest (and signature) after an edit, as a forger would."""
    digest = hashlib.sha256("".join(_text(x) for x in lines[:-1]).encode("utf-8")).hexdigest()
    lines[-1]["digest"] = digest
    if signer is not None:
        lines[-1]["key_id"], lines[-1]["signature"] = signer.key_id, signer.sign_bundle(digest)


def test_a_bundle_is_json_lines_in_the_documented_order_and_verifies_offline(tmp_path: Path) -> None:
    path, keys = _bundle(tmp_path)
    lines = _lines(path)
    assert lines[0]["format"] == "mlops-workbench audit bundle" and lines[0]["version"] == 1
    kinds = [next(k for k in ("key", "entry", "decision", "head") if k in x) for x in lines[1:]]
    assert kinds == ["key"] * 3 + ["entry"] * 9 + ["decision"] * 2 + ["head"]
    report = verify_bundle(path)
    assert report.ok, report.problem
    assert (report.entries, report.signed, report.unsigned, report.decisions) == (9, 7, 2, 2)
    assert report.head == (9, lines[12]["entry"]["hash"])
    assert report.notes == (f"exported from postgresql://db/prod by rita on {lines[0]['exported_at']}, "
                            f"signed with key {keys['rita'].key_id}",)


def test_an_unsigned_bundle_verifies_and_says_what_it_cannot_prove(tmp_path: Path) -> None:
    path, _ = _bundle(tmp_path, signed=False)
    report = verify_bundle(path)
    assert report.ok and "not signed by whoever exported it" in report.notes[0]


def _edit_payload(lines: Lines) -> None:
    lines[6]["entry"]["payload_text"] = '{"run_id":8}'


def _delete_entry(lines: Lines) -> None:
    del lines[7]


def _delete_newest_and_move_head(lines: Lines) -> None:
    del lines[12]
    lines[-1]["head"] = {"id": 8, "hash": lines[11]["entry"]["hash"]}
    lines[-1]["counts"]["entries"] = 8


def _swap_key(lines: Lines) -> None:
    other = SigningKey.generate()
    lines[3]["key"]["public_key"] = other.public_key
    lines[3]["key"]["key_id"] = other.key_id


def _edit_reason(lines: Lines) -> None:
    lines[13]["decision"]["reason"] = "looked fine"


def _delete_decision(lines: Lines) -> None:
    del lines[14]


def _delete_key(lines: Lines) -> None:
    del lines[1]


def _delete_head(lines: Lines) -> None:
    del lines[-1]


def _relabel_store(lines: Lines) -> None:
    lines[0]["store"] = "sqlite:///elsewhere.db"


def _claim_sam_exported_it(lines: Lines) -> None:
    lines[0]["exported_by"] = "sam"
    _reseal(lines)


def _edit_and_reseal_without_a_key(lines: Lines) -> None:
    _edit_timestamp(lines)
    _reseal(lines)


def _truncate_and_sign_as_stranger(lines: Lines) -> None:
    _delete_newest_and_move_head(lines)
    _reseal(lines, SigningKey.generate())


def _edit_timestamp(lines: Lines) -> None:
    lines[1]["key"]["registered_at"] += 1


EDITS: dict[str, tuple[Callable[[Lines], None], str]] = {
    "payload": (_edit_payload, "entry 3 (runs.start by sam) was changed"),
    "deleted entry": (_delete_entry, "entry 4 is missing"),
    "newest entries and head": (_delete_newest_and_move_head, "digest"),
    "swapped key": (_swap_key, "unknown key"),
    "decision reason": (_edit_reason, "approval 3's reason in approval_decisions differs from audit entry 6"),
    "deleted decision": (_delete_decision, "approval 4"),
    "deleted key": (_delete_key, "counts 3 keys but the bundle holds 2"),
    "deleted head": (_delete_head, "cut short"),
    "store label": (_relabel_store, "digest"),
    "resealed without the exporter's key": (_edit_and_reseal_without_a_key, "export signature does not verify"),
    "exporter": (_claim_sam_exported_it, "not a key of its exporter sam"),
    "truncated and signed by a stranger": (_truncate_and_sign_as_stranger, "not a key of its exporter rita"),
    "key registration time": (_edit_timestamp, "digest"),
}


@pytest.mark.parametrize("name", list(EDITS))
def test_any_edit_fails_the_bundle(tmp_path: Path, name: str) -> None:
    path, _ = _bundle(tmp_path)
    lines = _lines(path)
    edit, expected = EDITS[name]
    edit(lines)
    _write(path, lines)
    report = verify_bundle(path)
    assert not report.ok and expected in report.problem, report.problem


def test_a_consistent_rewrite_inside_a_bundle_fails_on_the_signatures(tmp_path: Path) -> None:
    keys = people("admin", "sam", "rita")
    chain, decisions = story(keys)
    chain[2] = chain[2].__class__(**{**chain[2].__dict__, "payload_text": '{"graph":"evil"}'})
    rewritten = rechain(chain, 2)
    path = tmp_path / "rewritten.jsonl"
    write_bundle(path, "prod", rewritten, key_records(keys), head_of(rewritten), decisions)
    report = verify_bundle(path)
    assert not report.ok and report.broken_id == 3 and "bad signature" in report.problem


def test_a_damaged_line_and_a_reordered_bundle_fail(tmp_path: Path) -> None:
    path, _ = _bundle(tmp_path)
    text = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(text[:5]) + text[5][:40] + "\n" + "".join(text[6:]), encoding="utf-8")
    report = verify_bundle(path)
    assert not report.ok and "line 6 of the bundle is not valid JSON" in report.problem
    path.write_text("".join([text[0], text[4], *text[1:4], *text[5:]]), encoding="utf-8")
    report = verify_bundle(path)
    assert not report.ok and "line 3 of the bundle holds a key out of its place" in report.problem
    path.write_text("".join(text[:6]) + '{"entry": {"id": "6"}}\n' + "".join(text[6:]), encoding="utf-8")
    assert "not a well-formed entry" in verify_bundle(path).problem


def test_an_unreadable_file_is_unusable_not_broken(tmp_path: Path) -> None:
    with pytest.raises(UnusableInputError, match="cannot read the audit bundle"):
        verify_bundle(tmp_path / "missing.jsonl")
    other = tmp_path / "notes.txt"
    other.write_text("hello\n")
    with pytest.raises(UnusableInputError, match="not an audit bundle"):
        verify_bundle(other)
    path, _ = _bundle(tmp_path)
    lines = _lines(path)
    lines[0]["version"] = 99
    _write(path, lines)
    with pytest.raises(UnusableInputError, match="version 99 is not supported"):
        verify_bundle(path)


def test_the_command_line_verifies_a_bundle_without_a_store(tmp_path: Path) -> None:
    path, _ = _bundle(tmp_path)
    nowhere = f"sqlite:///{tmp_path / 'no-such-folder' / 'store.db'}"
    ok = workbench("--store", nowhere, "audit", "verify", "--bundle", str(path))
    assert ok.returncode == 0, ok.stderr
    assert "audit bundle intact: 9 entries" in ok.stdout and "signed with key" in ok.stdout
    assert not (tmp_path / "no-such-folder").exists()
    as_json = workbench("audit", "verify", "--bundle", str(path), "--json")
    assert as_json.returncode == 0 and json.loads(as_json.stdout)["entries"] == 9

    lines = _lines(path)
    _edit_reason(lines)
    _write(path, lines)
    broken = workbench("audit", "verify", "--bundle", str(path))
    assert broken.returncode == 1 and no_traceback(broken)
    assert "audit bundle BROKEN at entry 6: approval 3's reason" in broken.stderr

    missing = workbench("audit", "verify", "--bundle", str(tmp_path / "missing.jsonl"))
    assert missing.returncode == 2 and no_traceback(missing) and "cannot read the audit bundle" in missing.stderr


def test_writing_and_verifying_a_long_bundle_streams_its_entries(tmp_path: Path) -> None:
    """10,000 entries pass through both ways without being held (they would take megabytes)."""
    from workbench.governance.audit_verify import EntryRecord

    count = 10_000

    def entries() -> Iterator[EntryRecord]:
        return long_unsigned_chain(count)

    last = list(entries())[-1]
    path = tmp_path / "long.jsonl"
    tracemalloc.start()
    write_bundle(path, "prod", entries(), [], (count, last.hash))
    _, written_peak = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    report = verify_bundle(path)
    _, verified_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert report.ok and report.entries == count
    assert written_peak < 1_000_000 and verified_peak < 1_000_000, (written_peak, verified_peak)
