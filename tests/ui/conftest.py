"""Fixtures of the UI tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings


@pytest.fixture
def demo_window(qtbot: Any, demo_store: str, tmp_path: Path) -> Iterator[Any]:
    """A workbench window on a private copy of the demo store, acting as ``newcomer`` (every
    role), on a first start (no saved layout), shown; closed with its store afterwards. Its store
    is ``demo_window.store``."""
    from workbench.store import open_store
    from workbench.ui.main_window import MainWindow

    store = open_store(demo_store)
    window = MainWindow(store, "newcomer", settings=QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    yield window
    window.close()
    store.close()
