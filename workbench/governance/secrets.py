"""Secrets (SSH key passphrases, database passwords) live in the OS keyring, never in the
store, a graph file or a log.

Entries are kept under the service name ``mlops-workbench`` with a user name of the form
``<kind>:<name>`` (``ssh-passphrase:gpu-box``, ``postgres:postgresql://bob@db:5432/prod``).
A machine without a usable keyring (a headless server: ``keyring.backends.fail.Keyring``) is
told so plainly; the secret can then be typed for the session only and is held in memory,
never written anywhere. A plain-text file backend (``keyrings.alt``) is not the OS keyring and
is used only when ``PYTHON_KEYRING_BACKEND`` names it explicitly (the tests do).
"""

from __future__ import annotations

import os
import threading

from workbench.errors import UnusableInputError

SERVICE = "mlops-workbench"
_session: dict[str, str] = {}
_lock = threading.Lock()


class KeyringUnavailableError(UnusableInputError):
    """No OS keyring can hold the secret on this machine."""


def secret_id(kind: str, name: str) -> str:
    return f"{kind}:{name}"


def keyring_status() -> tuple[bool, str]:
    """Whether a real keyring backend is available, and a line that says which (or why not)."""
    try:
        import keyring
        from keyring.backends import fail
    except ImportError:
        return False, "the 'keyring' package is not installed"
    backend = keyring.get_keyring()
    name = f"{type(backend).__module__}.{type(backend).__name__}"
    if isinstance(backend, fail.Keyring):
        return False, ("no OS keyring is available on this machine (install and unlock a Secret Service "
                       "such as GNOME Keyring or KWallet, or use macOS Keychain / Windows Credential Manager)")
    explicit = os.environ.get("PYTHON_KEYRING_BACKEND", "")
    if type(backend).__module__.startswith("keyrings.alt") and explicit != name:
        return False, f"the keyring backend {name} stores secrets in a plain file; it is not the OS keyring"
    return True, name


def remember_for_session(kind: str, name: str, secret: str) -> None:
    """Hold a typed secret in memory for this process only."""
    with _lock:
        _session[secret_id(kind, name)] = secret


def store_secret(kind: str, name: str, secret: str) -> None:
    ok, why = keyring_status()
    if not ok:
        raise KeyringUnavailableError(f"cannot store the {kind} secret for {name!r}: {why}",
                                      hint="type it when asked instead; it is kept for this session only")
    import keyring

    keyring.set_password(SERVICE, secret_id(kind, name), secret)


def get_secret(kind: str, name: str) -> str | None:
    """The secret from this session's memory, else from the OS keyring, else None."""
    with _lock:
        if secret_id(kind, name) in _session:
            return _session[secret_id(kind, name)]
    ok, _ = keyring_status()
    if not ok:
        return None
    import keyring

    return keyring.get_password(SERVICE, secret_id(kind, name))


def delete_secret(kind: str, name: str) -> None:
    with _lock:
        _session.pop(secret_id(kind, name), None)
    ok, _ = keyring_status()
    if ok:
        import keyring
        from keyring.errors import PasswordDeleteError

        try:
            keyring.delete_password(SERVICE, secret_id(kind, name))
        except PasswordDeleteError:
            pass
