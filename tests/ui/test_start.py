"""The README's first command: ``workbench`` with no arguments opens the window on a fresh
embedded store, creating it and making the person who started it its admin."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.support.cli import no_traceback, workbench


def test_first_start_creates_the_embedded_store_and_opens_the_window(tmp_path: Path) -> None:
    env = {"XDG_DATA_HOME": str(tmp_path / "data"), "QT_QPA_PLATFORM": "offscreen",
           "WORKBENCH_UI_QUIT_AFTER_MS": "800", "WORKBENCH_USER": "newcomer"}
    result = workbench(env=env)
    assert result.returncode == 0, result.stderr
    assert no_traceback(result)
    db = tmp_path / "data" / "mlops-workbench" / "workbench.db"
    assert db.exists()
    with sqlite3.connect(db) as conn:
        roles = conn.execute("SELECT u.name, r.role FROM users u JOIN user_roles r ON r.user_id = u.id").fetchall()
    assert roles == [("newcomer", "admin")]
    again = workbench(env=env)  # the second start opens the same store without re-creating it
    assert again.returncode == 0, again.stderr


def test_main_window_shows_only_the_users_roles(qtbot, tmp_path: Path) -> None:
    from PySide6.QtCore import QSettings

    from workbench.store import init_store
    from workbench.ui.app import prepare_store
    from workbench.ui.main_window import MainWindow

    url = f"sqlite:///{tmp_path / 'store.db'}"
    init_store(url, "alice")
    session, note = prepare_store(url, "alice")
    assert note == "" and session.name == "alice" and not session.proven
    store = session.store
    window = MainWindow(store, "alice", settings=QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    assert [window.role_box.itemData(i) for i in range(window.role_box.count())] == ["admin"]
    assert window.view("users") is not None and window.view("audit") is not None
    window.close()
    store.close()


def test_shared_store_with_an_old_schema_is_not_upgraded_silently(tmp_path: Path, postgres_url: str) -> None:
    from workbench.store import Store
    from workbench.store.migrate import upgrade

    store = Store(postgres_url)
    upgrade(store, "0001")
    store.close()
    env = {"QT_QPA_PLATFORM": "offscreen", "WORKBENCH_UI_QUIT_AFTER_MS": "300"}
    result = workbench("--store", postgres_url, env=env)
    assert result.returncode == 2 and "older schema" in result.stderr and no_traceback(result)
