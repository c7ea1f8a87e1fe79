"""Several workbench processes on one store (issue 16's acceptance), on a SQLite file and on the
session's real PostgreSQL, which checks passwords: each person signs in with their own login.

``shared_store`` (one per module and store kind) holds the cast — alice (admin), bob (scientist,
engineer), sam (scientist), rita (approver), olga (operator) — and graph ``churn`` version 1.
``Workbench`` is one open desktop workbench in its own OS process (``workbench_process``);
``cli`` runs the ``workbench`` command as a person, also in its own process. Timings are
shortened through the product's own settings: presence refreshes every second and expires after
three (``WORKBENCH_PRESENCE_*``), open workbenches send due notifications every half second
(``WORKBENCH_OUTBOX_INTERVAL_S``).
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import ROOT
from tests.support.logins import as_login, know_password
from tests.support.store_setup import training_graph

CAST = {"bob": ["scientist", "engineer"], "sam": ["scientist"], "rita": ["approver"],
        "olga": ["operator"]}
PRESENCE_TTL_S = 3.0  # the readers' time-to-live; the heartbeat is a third of it (1 s)
TIMINGS = {"WORKBENCH_PRESENCE_TTL_S": str(PRESENCE_TTL_S), "WORKBENCH_PRESENCE_REFRESH_S": "1",
           "WORKBENCH_OUTBOX_INTERVAL_S": "0.5"}


@dataclass
class SharedStore:
    kind: str  # "sqlite" or "postgresql"
    url: str  # the database administrator's URL on PostgreSQL
    home: Path  # this "machine's" data folder (keyring, graph bases): shared by its processes
    graph_file: Path  # graph churn, as saved as version 1

    def env(self, person: str) -> dict[str, str]:
        """The environment of a process ``person`` starts on this machine."""
        config = self.home / "config" / person  # each open window keeps its own settings
        return {**os.environ, **TIMINGS, "PYTHONPATH": str(ROOT), "XDG_DATA_HOME": str(self.home / "data"),
                "XDG_CONFIG_HOME": str(config), "WORKBENCH_USER": person}

    def sign_in(self, person: str) -> list[str]:
        return ["--store", as_login(self.url, person), "--user", person]

    def cli(self, person: str, *args: str, stdin: str | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """``workbench ARGS`` run by ``person``, to its end."""
        return subprocess.run([sys.executable, "-m", "workbench", *self.sign_in(person), *args],
                              capture_output=True, text=True, env=self.env(person), cwd=ROOT,
                              input=stdin, timeout=timeout, check=False)

    def start_cli(self, person: str, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen([sys.executable, "-m", "workbench", *self.sign_in(person), *args],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=self.env(person), cwd=ROOT)

    def open_as(self, person: str) -> Any:
        """An in-process session signed in as ``person`` (for reading what the store holds)."""
        from workbench.services.session import open_session

        return open_session(as_login(self.url, person), person)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shared_store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> SharedStore:
    from workbench.graph import load
    from workbench.services.graph_history import save_graph
    from workbench.services.users import add_user
    from workbench.store import init_store

    home = tmp_path_factory.mktemp(f"collab-{request.param}")
    if request.param == "sqlite":
        url = f"sqlite:///{home / 'store.db'}"
    else:
        url = request.getfixturevalue("postgres_server").create_database()
    init_store(url, "alice", admin_password=know_password(url, "alice") if request.param == "postgresql" else None)
    shared = SharedStore(request.param, url, home, training_graph(home / "churn.yaml", "churn_model", "churn"))
    admin = shared.open_as("alice")
    try:
        for name, roles in CAST.items():
            add_user(admin.store, "alice", name, roles,
                     password=know_password(url, name) if request.param == "postgresql" else None)
    finally:
        admin.close()
    bob = shared.open_as("bob")
    try:
        save_graph(bob.store, "bob", load(shared.graph_file), message="first version")
    finally:
        bob.close()
    return shared


class Workbench:
    """One open desktop workbench of ``person`` in its own process (see ``workbench_process``)."""

    def __init__(self, shared: SharedStore, person: str):
        self.person = person
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self.seen: list[dict[str, Any]] = []
        self.errors: list[str] = []
        self.ready: dict[str, Any] = {}  # its "ready" report: pid, whether it sends, roles
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.collab.workbench_process", *shared.sign_in(person)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=shared.env(person), cwd=ROOT)
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._read_errors, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.startswith("{"):
                self.events.put(json.loads(line))
        self.events.put({"event": "exited", "at": time.time()})

    def _read_errors(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            if "propagateSizeHints" not in line:
                self.errors.append(line.rstrip())

    def send(self, **command: Any) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()

    def wait_for(self, event: str, where: Callable[[dict[str, Any]], bool] = lambda e: True,
                 timeout: float = 10.0, after: float = 0.0) -> dict[str, Any]:
        """The first report ``event`` made after ``after`` (epoch s; already received or coming)
        for which ``where`` holds."""
        def wanted(got: dict[str, Any]) -> bool:
            return got["event"] == event and got["at"] > after and where(got)

        for seen in self.seen:
            if wanted(seen):
                return seen
        deadline = time.monotonic() + timeout
        while True:
            try:
                got = self.events.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"{self.person}'s workbench did not report {event!r} within "
                                     f"{timeout} s; it said: {self.seen[-8:]}; stderr: {self.errors[-15:]}") from None
            self.seen.append(got)
            if got["event"] == "exited" and event != "exited":
                raise AssertionError(f"{self.person}'s workbench exited: {self.errors[-15:]}")
            if got["event"] == "error" and event != "error":
                raise AssertionError(f"{self.person}'s workbench could not do it: {got['text']}")
            if wanted(got):
                return got

    def drain(self) -> None:
        """Take in what it reported so far."""
        while True:
            try:
                self.seen.append(self.events.get_nowait())
            except queue.Empty:
                return

    def kill(self) -> None:
        """Gone without a word (a crash, a pulled cable)."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def quit(self) -> None:
        if self.process.poll() is None:
            try:
                self.send(do="quit")
                self.process.wait(10)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait(10)


OpenWorkbenches = Callable[..., list[Workbench]]


@pytest.fixture(scope="module")
def open_workbenches(shared_store: SharedStore) -> Iterator[OpenWorkbenches]:
    """Start people's workbenches at once on the module's store, each in its own process, and
    wait until their windows are up; every one started is closed at the end of the module."""
    started: list[Workbench] = []

    def start(*people: str) -> list[Workbench]:
        these = [Workbench(shared_store, person) for person in people]
        started.extend(these)
        for workbench in these:
            workbench.ready = workbench.wait_for("ready", timeout=60)
        return these

    yield start
    for workbench in started:
        workbench.quit()
