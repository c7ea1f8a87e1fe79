"""A store with the usual cast, for end-to-end tests: alice (admin), bob (scientist,
engineer), rita (approver), olga (operator), anna (analyst)."""

from __future__ import annotations

from workbench.services.users import add_user
from workbench.store import Store, init_store, open_store

CAST = {"bob": ["scientist", "engineer"], "rita": ["approver"], "olga": ["operator"], "anna": ["analyst"]}


def cast_store(url: str) -> Store:
    init_store(url, "alice")
    store = open_store(url)
    for name, roles in CAST.items():
        add_user(store, "alice", name, roles)
    return store
