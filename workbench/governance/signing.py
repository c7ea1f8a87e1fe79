"""Each person's Ed25519 signing key, and checking signatures over audit entries.

What is signed is an audit entry's hash: the bytes ``b"mlops-workbench audit entry\\n"`` followed
by the hash's 64 hex digits (ASCII). The prefix keeps an entry signature from ever being taken
for a signature over anything else (an exported bundle's digest is signed under
``b"mlops-workbench audit bundle\\n"``). Public keys and signatures travel as base64 text of their
raw bytes (32 and 64). A key is named by its fingerprint, as OpenSSH names keys:
``SHA256:`` + unpadded base64 of sha256 over the raw public key.

Rules:

* The private key lives in the person's OS keyring (``workbench.governance.secrets``, kind
  ``signing-key``, name ``PERSON@STORE_ID``) and is never written to a file, a log or a message;
  ``SigningKey``'s repr leaves it out.
* On a machine without a usable keyring the key is made for this process only and the key says
  so (``ephemeral``): what it signs still verifies, but the next session has another key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass, field

from workbench.errors import InvalidInputError, UnusableInputError
from workbench.governance import secrets

ENTRY_PREFIX = b"mlops-workbench audit entry\n"
BUNDLE_PREFIX = b"mlops-workbench audit bundle\n"
SECRET_KIND = "signing-key"
_SECRET_FORMAT = "ed25519-raw:"
_session_only: set[str] = set()  # keys held in this process's memory only


def _b64decode(text: str, size: int, what: str) -> bytes:
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, AttributeError):
        raise InvalidInputError(f"{what} is not base64 text") from None
    if len(raw) != size:
        raise InvalidInputError(f"{what} has {len(raw)} bytes; an Ed25519 {what} has {size}")
    return raw


def _message(prefix: bytes, digest: str) -> bytes:
    try:
        return prefix + digest.encode("ascii")
    except (UnicodeEncodeError, AttributeError):
        raise InvalidInputError(f"a signed hash is hex text, not {digest!r}") from None


def key_id_of(public_key_b64: str) -> str:
    """The key's fingerprint ``SHA256:…``; raises ``InvalidInputError`` for a malformed key."""
    raw = _b64decode(public_key_b64, 32, "public key")
    return "SHA256:" + base64.b64encode(hashlib.sha256(raw).digest()).decode("ascii").rstrip("=")


def _verify(prefix: bytes, public_key_b64: str, digest: str, signature_b64: str) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        public = Ed25519PublicKey.from_public_bytes(_b64decode(public_key_b64, 32, "public key"))
        public.verify(_b64decode(signature_b64, 64, "signature"), _message(prefix, digest))
    except (InvalidInputError, InvalidSignature, ValueError):
        return False
    return True


def verify_signature(public_key_b64: str, entry_hash: str, signature_b64: str) -> bool:
    """Whether ``signature_b64`` is the key's signature over the entry hash (False when malformed)."""
    return _verify(ENTRY_PREFIX, public_key_b64, entry_hash, signature_b64)


def verify_bundle_signature(public_key_b64: str, digest: str, signature_b64: str) -> bool:
    """Whether ``signature_b64`` is the key's signature over an exported bundle's digest."""
    return _verify(BUNDLE_PREFIX, public_key_b64, digest, signature_b64)


@dataclass(frozen=True)
class SigningKey:
    """A person's key pair. ``key_id`` and ``public_key`` are public; the private half is not
    shown by ``repr`` and leaves the object only through ``to_secret`` (for the keyring)."""

    key_id: str
    public_key: str
    _private: bytes = field(repr=False, compare=False)
    ephemeral: bool = False

    @classmethod
    def generate(cls, *, ephemeral: bool = False) -> SigningKey:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        return cls._from_raw(_raw_private(Ed25519PrivateKey.generate()), ephemeral=ephemeral)

    @classmethod
    def from_secret(cls, text: str, *, ephemeral: bool = False) -> SigningKey:
        """The key from ``to_secret``'s text; raises ``InvalidInputError`` when it is not one."""
        if not text.startswith(_SECRET_FORMAT):
            raise InvalidInputError("the stored signing key is not in the form 'ed25519-raw:BASE64'")
        return cls._from_raw(_b64decode(text[len(_SECRET_FORMAT):], 32, "private key"), ephemeral=ephemeral)

    @classmethod
    def _from_raw(cls, raw: bytes, *, ephemeral: bool) -> SigningKey:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        public_raw = Ed25519PrivateKey.from_private_bytes(raw).public_key().public_bytes(
            Encoding.Raw, PublicFormat.Raw)
        public = base64.b64encode(public_raw).decode("ascii")
        return cls(key_id=key_id_of(public), public_key=public, _private=raw, ephemeral=ephemeral)

    def to_secret(self) -> str:
        """The private key as text for the OS keyring. Never write it to a file or a log."""
        return _SECRET_FORMAT + base64.b64encode(self._private).decode("ascii")

    def sign_entry(self, entry_hash: str) -> str:
        """The base64 signature over an audit entry's hash."""
        return self._sign(ENTRY_PREFIX, entry_hash)

    def sign_bundle(self, digest: str) -> str:
        """The base64 signature over an exported bundle's sha256 digest (hex)."""
        return self._sign(BUNDLE_PREFIX, digest)

    def _sign(self, prefix: bytes, digest: str) -> str:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        signature = Ed25519PrivateKey.from_private_bytes(self._private).sign(_message(prefix, digest))
        return base64.b64encode(signature).decode("ascii")


def _raw_private(key: object) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

    return key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())  # type: ignore[attr-defined]


def generate() -> SigningKey:
    """A new key pair (not stored anywhere)."""
    return SigningKey.generate()


def secret_name(store_id: str, person: str) -> str:
    return f"{person}@{store_id}"


def load_or_create(store_id: str, person: str) -> tuple[SigningKey, bool]:
    """``person``'s key for the store and whether it was just made.

    Read from this session's memory or the OS keyring; made and saved to the keyring when there
    is none. Without a usable keyring (or when saving to it fails) the new key is held for this
    process only and comes back with ``ephemeral=True``: tell the person their signatures come
    from a key that will not outlive the session."""
    name = secret_name(store_id, person)
    usable, _ = secrets.keyring_status()
    try:
        stored = secrets.get_secret(SECRET_KIND, name)
    except Exception as exc:  # a locked or broken keyring backend: say so, never guess
        raise UnusableInputError(f"cannot read {person}'s signing key for store {store_id} from the keyring: "
                                 f"{type(exc).__name__}", hint="unlock the OS keyring and try again") from None
    if stored is not None:
        try:
            return SigningKey.from_secret(stored, ephemeral=not usable or name in _session_only), False
        except InvalidInputError as exc:
            raise UnusableInputError(
                f"the keyring entry {SECRET_KIND}:{name} does not hold a signing key ({exc.message})",
                hint="remove that keyring entry; a new key is then made and registered on next sign-in",
            ) from None
    key = SigningKey.generate(ephemeral=not usable)
    if usable:
        try:
            secrets.store_secret(SECRET_KIND, name, key.to_secret())
            return key, True
        except Exception:  # noqa: BLE001 - any backend failure: fall back to this session only
            key = SigningKey._from_raw(key._private, ephemeral=True)
    secrets.remember_for_session(SECRET_KIND, name, key.to_secret())
    _session_only.add(name)
    return key, True


__all__ = ["BUNDLE_PREFIX", "ENTRY_PREFIX", "SigningKey", "generate", "key_id_of", "load_or_create",
           "verify_bundle_signature", "verify_signature"]
