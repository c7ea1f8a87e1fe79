"""The audit trail view as an admin uses it: Verify chain says how many entries are signed and
that the embedded store only asserts who wrote them; a tampered entry is named."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from PySide6.QtCore import QSettings

from workbench.governance.store_signing import KeyringSigner
from workbench.store import init_store, open_store


def _window(qtbot, url: str, tmp_path: Path):  # noqa: ANN001, ANN202
    from workbench.ui.main_window import MainWindow

    store = open_store(url)
    store.enable_signing(KeyringSigner(store))
    window = MainWindow(store, "ada", settings=QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    return window, store


def test_verify_chain_says_what_is_signed_and_what_is_only_asserted(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    db = tmp_path / "store.db"
    url = f"sqlite:///{db}"
    init_store(url, "ada")
    window, store = _window(qtbot, url, tmp_path)
    with store.write("ada") as uow:
        uow.users.add("bob", ["scientist"])
    view = window.view("audit")
    view.verify_button.click()
    qtbot.waitUntil(lambda: view.result.text() != "", timeout=20_000)
    assert "intact: 4 entries verified, 2 signed" in view.result.text()
    assert "asserted identity" in view.result.text()
    identity = window.statusBar().findChild(type(view.result), "identity")
    assert "asserted identity, embedded store" in identity.text()
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE audit_log SET payload = '{}' WHERE id = 4")
    view.result.setText("")
    view.verify_button.click()
    qtbot.waitUntil(lambda: view.result.text() != "", timeout=20_000)
    assert view.result.text().startswith("BROKEN at entry 4")
    window.close()
    qtbot.waitUntil(lambda: window.tasks.busy == 0, timeout=20_000)
    store.close()
