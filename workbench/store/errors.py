"""Errors raised by the store: each says which store and what to do."""

from __future__ import annotations

from workbench.errors import InvalidInputError, UnusableInputError


class StoreError(UnusableInputError):
    """The store cannot be used: bad URL, unreachable database, unreadable file."""


class StoreSchemaError(StoreError):
    """The store's schema does not match this version of the workbench."""


class StoreReadOnlyError(StoreError):
    """A write was attempted through a read-only store."""


class NotFoundError(InvalidInputError):
    """A named entity (user, run, model version, …) does not exist."""


class ConflictError(InvalidInputError):
    """The write clashes with what is already stored (duplicate name, stale state)."""
