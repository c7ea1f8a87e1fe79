"""Shared fixtures: a private PostgreSQL for the session, and stores on SQLite and PostgreSQL.

Qt runs offscreen in tests; the keyring is a file-backed test keyring in a temp dir; no test
reads or writes the real user data directory.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def _offscreen_screen() -> str:
    """Qt offscreen, on a screen of a laptop's size (1366×768 unless WORKBENCH_TEST_SCREEN says
    WIDTHxHEIGHT), so that layouts are tested on the space a person has."""
    import json
    import tempfile

    width, height = (int(v) for v in os.environ.get("WORKBENCH_TEST_SCREEN", "1366x768").split("x"))
    config = Path(tempfile.gettempdir()) / f"workbench-offscreen-{width}x{height}.json"
    # no pretend window frame: a maximised window then covers exactly the screen, as under a window manager
    config.write_text(json.dumps({"windowFrameMargins": False, "screens": [{"name": "test", "x": 0, "y": 0, "width": width, "height": height,
                                               "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}))
    return f"offscreen:configfile={config}"


if "QT_QPA_PLATFORM" not in os.environ:
    os.environ["QT_QPA_PLATFORM"] = _offscreen_screen()
os.environ["PYTHON_KEYRING_BACKEND"] = "keyrings.alt.file.PlaintextKeyring"

import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support import postgres  # noqa: E402
from tests.support.components import need  # noqa: E402


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep tests away from the real user's data dir, store and keyring."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.delenv("WORKBENCH_STORE", raising=False)
    monkeypatch.setenv("WORKBENCH_USER", "tester")


@pytest.fixture(scope="session")
def postgres_server():
    ok, why = postgres.available()
    need(ok, why)
    try:
        server = postgres.start()
    except RuntimeError as exc:
        need(False, str(exc))
        raise
    yield server
    server.stop()


@pytest.fixture
def postgres_url(postgres_server) -> str:
    """A fresh, empty database on the session's server."""
    return postgres_server.create_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same test on the embedded SQLite store and on a real PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def store(store_url: str):
    """An initialised store whose admin is 'admin'."""
    from workbench.store import init_store, open_store

    init_store(store_url, "admin")
    opened = open_store(store_url)
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def demo_store_master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo built once per test session (about half a minute) as a newcomer's first command
    builds it — ``workbench demo --headless`` in a child process: the folder holding ``store.db``,
    its artifacts, the demo's files and what the command printed (``DEMO_OUTPUT``). Tests never
    change it; they take ``demo_store`` (a private copy)."""
    from tests.support.cli import DEMO_OUTPUT, no_traceback, workbench

    given = os.environ.get("WORKBENCH_TEST_DEMO")  # a child test run reuses its parent's demo
    if given:
        return Path(given)
    folder = tmp_path_factory.mktemp("demo-master")
    result = workbench("--store", f"sqlite:///{folder / 'store.db'}", "--user", "newcomer", "demo", "--headless",
                       "--folder", str(folder / "files"), timeout=900)
    assert result.returncode == 0 and no_traceback(result), result.stdout[-3000:] + result.stderr[-3000:]
    (folder / DEMO_OUTPUT).write_text(result.stdout, encoding="utf-8")
    return folder


@pytest.fixture
def demo_store(demo_store_master: Path, tmp_path: Path) -> str:
    """A private copy of the session's demo store (database, artifacts, files): its URL. The
    acting user ``newcomer`` holds every role."""
    import shutil

    copy = tmp_path / "demo"
    shutil.copytree(demo_store_master, copy)
    return f"sqlite:///{copy / 'store.db'}"
