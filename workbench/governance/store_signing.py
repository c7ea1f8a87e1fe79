"""The signer a store uses to sign audit entries: each person's key from their OS keyring
(``governance.signing.load_or_create``), kept in memory for the life of the process.

A store calls ``key_for(person)`` before it writes an entry as that person, registers the
public key in the store the first time, and signs the entry's hash with it. A machine without a usable keyring gets a key for this process only
(``ephemeral``): its signatures verify, and the next process registers another key.
"""

from __future__ import annotations

import threading
from typing import Any

from workbench.governance.signing import SigningKey, load_or_create


class KeyringSigner:
    def __init__(self, store: Any):
        self._store_id = store.store_id()
        self._keys: dict[str, SigningKey] = {}
        self._lock = threading.Lock()

    def key_for(self, person: str) -> SigningKey:
        with self._lock:
            key = self._keys.get(person)
            if key is None:
                key, _ = load_or_create(self._store_id, person)
                self._keys[person] = key
            return key

    @property
    def ephemeral(self) -> bool:
        return any(k.ephemeral for k in self._keys.values())
