"""Ed25519 keys: signatures over entry hashes, OpenSSH-style fingerprints, and the private key
kept in the keyring (or, without one, in this process only)."""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from workbench.errors import UnusableInputError
from workbench.governance import secrets
from workbench.governance.signing import (
    SigningKey,
    generate,
    key_id_of,
    load_or_create,
    verify_bundle_signature,
    verify_signature,
)

HASH = hashlib.sha256(b"an audit entry").hexdigest()


def test_a_signature_verifies_only_for_its_hash_and_its_key() -> None:
    key, other = generate(), generate()
    signature = key.sign_entry(HASH)
    assert verify_signature(key.public_key, HASH, signature)
    assert not verify_signature(key.public_key, hashlib.sha256(b"another").hexdigest(), signature)
    assert not verify_signature(other.public_key, HASH, signature)
    flipped = bytearray(base64.b64decode(signature))
    flipped[0] ^= 1
    assert not verify_signature(key.public_key, HASH, base64.b64encode(bytes(flipped)).decode())


def test_malformed_keys_and_signatures_do_not_verify() -> None:
    key = generate()
    signature = key.sign_entry(HASH)
    assert not verify_signature("not base64!", HASH, signature)
    assert not verify_signature(base64.b64encode(b"short").decode(), HASH, signature)
    assert not verify_signature(key.public_key, HASH, signature[:-8])
    assert not verify_signature(key.public_key, "é" * 64, signature)


def test_an_entry_signature_is_not_a_bundle_signature() -> None:
    key = generate()
    assert verify_bundle_signature(key.public_key, HASH, key.sign_bundle(HASH))
    assert not verify_bundle_signature(key.public_key, HASH, key.sign_entry(HASH))
    assert not verify_signature(key.public_key, HASH, key.sign_bundle(HASH))


def test_the_key_id_is_the_openssh_fingerprint_of_the_raw_public_key() -> None:
    key = generate()
    raw = base64.b64decode(key.public_key)
    assert len(raw) == 32
    expected = "SHA256:" + base64.b64encode(hashlib.sha256(raw).digest()).decode().rstrip("=")
    assert key.key_id == key_id_of(key.public_key) == expected
    assert len(key.key_id) == len("SHA256:") + 43 and "=" not in key.key_id


def test_the_private_key_round_trips_and_is_not_in_the_repr() -> None:
    key = generate()
    secret = key.to_secret()
    again = SigningKey.from_secret(secret)
    assert again.key_id == key.key_id and again.public_key == key.public_key
    assert verify_signature(key.public_key, HASH, again.sign_entry(HASH))
    assert secret.split(":", 1)[1] not in repr(key)


@pytest.fixture
def no_keyring() -> Iterator[None]:
    """The machine has no OS keyring: keyring's own 'fail' backend, as on a headless server."""
    import keyring
    from keyring.backends import fail

    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        yield
    finally:
        keyring.set_keyring(before)


def _files_containing(root: Path, text: str) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and text.encode() in p.read_bytes()]


def test_load_or_create_keeps_the_key_in_the_keyring() -> None:
    assert secrets.keyring_status()[0]
    key, created = load_or_create("store-1", "rita")
    assert created and not key.ephemeral
    assert secrets.get_secret("signing-key", "rita@store-1") == key.to_secret()
    again, created_again = load_or_create("store-1", "rita")
    assert not created_again and again.key_id == key.key_id and not again.ephemeral
    other, created_other = load_or_create("store-2", "rita")
    assert created_other and other.key_id != key.key_id


def test_without_a_keyring_the_key_lives_in_this_process_only(no_keyring: None, tmp_path: Path) -> None:
    assert not secrets.keyring_status()[0]
    key, created = load_or_create("store-9", "sam")
    assert created and key.ephemeral
    again, created_again = load_or_create("store-9", "sam")
    assert not created_again and again.ephemeral and again.key_id == key.key_id
    # nothing under the user's data or config folders holds the private key
    private = key.to_secret().split(":", 1)[1]
    for folder in (os.environ["XDG_DATA_HOME"], os.environ["XDG_CONFIG_HOME"], str(tmp_path)):
        assert not _files_containing(Path(folder), private) if Path(folder).exists() else True


def test_a_damaged_keyring_entry_is_reported_without_showing_it() -> None:
    secrets.store_secret("signing-key", "eve@store-1", "hunter2-not-a-key")
    with pytest.raises(UnusableInputError) as raised:
        load_or_create("store-1", "eve")
    assert "signing-key:eve@store-1" in str(raised.value) and "hunter2" not in str(raised.value)
