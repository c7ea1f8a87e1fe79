"""The demo end to end, headless, as a newcomer's first command would run it: the summary
names the alerts that fired at the injected change, the champion's model card is complete,
and afterwards every role's main view has something on it."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from tests.support.cli import DEMO_OUTPUT, workbench


@pytest.fixture
def demo(demo_store_master: Path, demo_store: str) -> dict:
    """The session's demo, built by ``workbench demo --headless`` (see ``demo_store_master``): a
    private copy of its store, the files it wrote and what it printed."""
    out = (demo_store_master / DEMO_OUTPUT).read_text(encoding="utf-8")
    return {"url": demo_store, "folder": demo_store_master / "files", "out": out}


def test_the_summary_names_the_alerts_at_the_injected_change(demo: dict) -> None:
    out = demo["out"]
    assert "simulation" in out.lower()
    change = int(re.search(r"the change starts on day (\d+)", out).group(1))
    fired = [int(day) for day in re.findall(r"(?:drift|canary) alert on day (\d+)", out)]
    assert fired, out
    assert all(change <= day <= change + 5 for day in fired), (change, fired)
    assert "drift alert" in out
    # the lender's expectations of an application break on the day of the change itself
    broken = re.findall(r"deviation alert on day (\d+) [^\n]*column '(\w+)'", out)
    assert {column for _, column in broken} == {"channel", "debt_ratio"}, out
    assert all(int(day) == change for day, _ in broken) and "'partner'" in out
    assert re.search(r"\d+ of \d+ requests answered", out)
    assert "became the champion" in out and "level change" in out
    runs = re.findall(r"run \d+: (\w+)", out)
    assert runs.count("succeeded") >= 3 and "failed" not in runs and "running" not in runs


def test_the_champions_model_card_is_complete(demo: dict) -> None:
    card = Path(demo["folder"]) / "model_card.html"
    sections: list[str] = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list) -> None:
            if tag == "section":
                sections.append(dict(attrs)["id"])

    Collect().feed(card.read_text(encoding="utf-8"))
    expected = ["lineage", "training-data", "metrics", "importance", "approvals", "deployments", "drift", "canary",
                "audit"]
    assert [s for s in sections if s in expected] == expected, sections  # each there, in order (more may come)
    text = card.read_text(encoding="utf-8")
    assert "demo-risk-officer" in text and "<svg" in text and "95 % interval" in text


def test_every_role_view_has_something_on_it(qtbot, demo: dict, tmp_path: Path) -> None:
    from workbench.store import open_store
    from workbench.ui.main_window import MainWindow

    store = open_store(demo["url"])
    window = MainWindow(store, "newcomer", settings=QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    assert set(window.roles) == {"scientist", "engineer", "analyst", "operator", "approver", "admin"}
    checks = {
        "scientist": ("graph", lambda v: len(v.editor.graph.nodes) > 5),
        "engineer": ("runs", lambda v: v.runs.rowCount() >= 3),
        "approver": ("approvals", lambda v: v.table.rowCount() >= 3),
        "operator": ("monitoring", lambda v: v.source_box.count() >= 1),
        "analyst": ("kpis", lambda v: v.kpi_box.count() >= 1),
        "admin": ("users", lambda v: v.table.rowCount() >= 3),
    }
    for role, (view_id, has_content) in checks.items():
        window.switch_role(role)
        view = window.view(view_id)
        assert view is not None, role
        qtbot.waitUntil(lambda v=view, check=has_content: check(v), timeout=30_000)
    window.close()
    store.close()


def _json(*args: str) -> object:
    import json

    result = workbench(*args, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_a_second_demo_leaves_the_persons_own_work_and_the_first_demo_alone(demo: dict, tmp_path: Path) -> None:
    import time

    store = ("--store", demo["url"], "--user", "newcomer")
    graph = tmp_path / "mine.yaml"
    assert workbench("graph", "new", "--template", "approval", "-o", str(graph)).returncode == 0
    first_runs = _json(*store, "runs", "list", "--limit", "1000", "--json")
    started = workbench(*store, "run", str(graph))
    assert started.returncode == 0, started.stderr
    mine = int(started.stdout.strip())
    deadline = time.monotonic() + 120
    while True:  # the person's own run reaches its approval gate
        open_requests = [r for r in _json(*store, "approvals", "list", "--status", "open", "--json")
                         if r["run_id"] == mine]
        if open_requests or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert open_requests, "the person's own run never reached its approval gate"
    try:
        again = workbench(*store, "demo", "--headless", "--folder", str(tmp_path / "elsewhere"), timeout=300)
        assert again.returncode == 0, again.stderr
        assert "already built" in again.stdout and "new store" in again.stdout
        # the first demo's run descriptions, as the first build printed them, not "started by manual"
        described = re.findall(r"run (\d+): \w+ — (.+)", demo["out"])
        for run_id, what in described:
            assert f"run {run_id}: " in again.stdout and what in again.stdout, (run_id, what, again.stdout)
        assert f"run {mine}:" not in again.stdout  # the person's run is not the demo's
        request = _json(*store, "approvals", "list", "--json")
        still = next(r for r in request if r["id"] == open_requests[0]["id"])
        assert still["status"] == "open" and still["decision"] is None
        after_runs = _json(*store, "runs", "list", "--limit", "1000", "--json")
        assert len(after_runs) == len(first_runs) + 1  # only the person's own run is new
        assert not (tmp_path / "elsewhere").exists()
        reset = workbench(*store, "demo", "--headless", "--reset")
        assert reset.returncode == 1 and "audit trail" in reset.stderr and "new store" in reset.stderr
        assert len(_json(*store, "runs", "list", "--limit", "1000", "--json")) == len(after_runs)
    finally:
        workbench(*store, "runs", "cancel", str(mine))
