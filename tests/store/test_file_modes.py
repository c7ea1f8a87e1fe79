"""A new embedded store is readable by its owner only (the folder when new, the database and
SQLite's -wal and -shm files); an existing file keeps the permissions its owner gave it."""

from __future__ import annotations

import os
import sqlite3
import stat
from contextlib import closing
from pathlib import Path

from workbench.store import init_store


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_finding_12_a_new_store_is_private_to_its_owner(tmp_path: Path) -> None:
    old = os.umask(0o022)  # a usual umask would leave a new file readable by everyone
    try:
        db = tmp_path / "new" / "folder" / "store.db"
        init_store(f"sqlite:///{db}", "alice")
        assert mode(db) == 0o600
        assert mode(db.parent) == 0o700  # the store's own folder; folders above it are the system's
        with closing(sqlite3.connect(db)) as conn:  # while a workbench has it open in WAL mode
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("CREATE TABLE scratch (x)")
            conn.commit()
            wal = db.with_name("store.db-wal")
            assert wal.exists() and mode(wal) == 0o600
    finally:
        os.umask(old)


def test_an_existing_file_keeps_its_permissions(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    db.touch()
    os.chmod(db, 0o640)  # the owner chose to share it with a group
    init_store(f"sqlite:///{db}", "alice")
    assert mode(db) == 0o640
