"""The demo end to end, headless, as a newcomer's first command would run it: the summary
names the alerts that fired at the injected change, the champion's model card is complete,
and afterwards every role's main view has something on it."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from tests.support.cli import no_traceback, workbench


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("demo")
    url = f"sqlite:///{folder / 'store.db'}"
    result = workbench("--store", url, "--user", "newcomer", "demo", "--headless", "--folder", str(folder / "files"),
                       timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert no_traceback(result)
    return {"url": url, "folder": folder / "files", "out": result.stdout}


def test_the_summary_names_the_alerts_at_the_injected_change(demo: dict) -> None:
    out = demo["out"]
    assert "simulation" in out.lower()
    change = int(re.search(r"the change starts on day (\d+)", out).group(1))
    fired = [int(day) for day in re.findall(r"(?:drift|canary) alert on day (\d+)", out)]
    assert fired, out
    assert all(change <= day <= change + 5 for day in fired), (change, fired)
    assert "drift alert" in out
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
    assert sections[:9] == ["lineage", "training-data", "metrics", "importance", "approvals", "deployments",
                            "drift", "canary", "audit"]
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
