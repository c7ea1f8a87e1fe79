"""The store chooser, adding a target, and the model card from the GUI."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from tests.support.store_setup import cast_store, run_to_end, training_graph


@pytest.fixture
def store(tmp_path: Path):
    opened = cast_store(f"sqlite:///{tmp_path / 'store.db'}")
    yield opened
    opened.close()


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)


def test_opening_another_sqlite_store_from_the_window(qtbot, store, settings, tmp_path: Path) -> None:  # noqa: ANN001
    from workbench.ui.main_window import MainWindow
    from workbench.ui.store_dialog import StoreDialog

    window = MainWindow(store, "alice", settings=settings)
    qtbot.addWidget(window)
    dialog = StoreDialog(window)
    dialog.sqlite.setChecked(True)
    dialog.path.setText(str(tmp_path / "other.db"))
    url = dialog.url()
    assert url == f"sqlite:///{tmp_path / 'other.db'}"
    other = window.open_store(url)
    assert other is not None and (tmp_path / "other.db").exists()
    qtbot.addWidget(other)
    assert other.roles == ("admin",) and "other.db" in other.windowTitle()
    other.close()


def test_a_postgres_password_goes_to_the_keyring_only(qtbot, settings, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import keyring

    from workbench.ui.store_dialog import StoreDialog

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "keyring"))
    dialog = StoreDialog()
    qtbot.addWidget(dialog)
    dialog.postgres.setChecked(True)
    dialog.user.setText("bob")
    dialog.password.setText("s3cret-pw")
    dialog.remember.setChecked(True)
    url = dialog.url()
    assert url == "postgresql+psycopg://bob:s3cret-pw@127.0.0.1:5432/workbench"
    stored = keyring.get_password("mlops-workbench", "postgres:postgresql+psycopg://bob@127.0.0.1:5432/workbench")
    assert stored == "s3cret-pw"
    dialog.password.clear()  # next time the keyring supplies it
    assert dialog.url() == url
    settings.sync()
    assert b"s3cret" not in Path(settings.fileName()).read_bytes() if Path(settings.fileName()).exists() else True


def test_adding_a_target_and_writing_a_model_card_from_the_gui(qtbot, store, settings, tmp_path: Path) -> None:  # noqa: ANN001
    from workbench.ui.main_window import MainWindow

    assert run_to_end(store, "bob", training_graph(tmp_path / "g.yaml", "card_model", "card")) == "succeeded"

    window = MainWindow(store, "bob", settings=settings)
    qtbot.addWidget(window)
    window.show()
    window.switch_role("engineer")
    targets = window.view("targets")
    targets.add("cluster", "spark", {"master": "spark://127.0.0.1:7077", "conf": {}})
    qtbot.waitUntil(lambda: targets.table.rowCount() == 2, timeout=20_000)
    with store.read() as uow:
        assert uow.targets.get("cluster").params["master"] == "spark://127.0.0.1:7077"
    models = window.view("models")
    qtbot.waitUntil(lambda: models.table.rowCount() == 1, timeout=20_000)
    models.table.selectRow(0)
    card = tmp_path / "card.html"
    models.write_card(str(card))
    qtbot.waitUntil(card.exists, timeout=60_000)
    assert "Model card: card_model version 1" in card.read_text()
    window.close()
