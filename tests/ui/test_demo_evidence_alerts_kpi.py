"""On a store the demo built, as its people see it: the approval dialog shows the evidence
frozen with the request (the champion of that moment, counts as integers, both confusion
matrices, lineage as a tree with local times, whole tab labels, a dialog that fits 1366×768);
the alerts of the canary are counted on one row per episode; and the KPI impact of the
demo's deployment is one answer in the KPI review, the CLI, the demo summary and the card."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from tests.support.cli import run_ok
from workbench.demo.scenario import MODEL
from workbench.store import open_store
from workbench.ui.formatting import local_time
from workbench.ui.views.approvals import TABS

KPI = "profit per application"


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def window(qtbot, demo_store: str, settings: QSettings):  # noqa: ANN001
    from workbench.ui.main_window import MainWindow

    store = open_store(demo_store)
    shown = MainWindow(store, "newcomer", settings=settings)
    qtbot.addWidget(shown)
    shown.show()
    yield shown
    shown.close()
    qtbot.wait(700)
    qtbot.waitUntil(lambda: shown.tasks.busy == 0, timeout=60_000)
    store.close()


def _requests(url: str) -> tuple[dict[int, object], object]:
    store = open_store(url)
    with store.read() as uow:
        found = {r.id: r for r in uow.approvals.all()}
        champion = uow.models.by_alias(MODEL, "champion")
    store.close()
    return found, champion


def test_a_decided_request_shows_the_evidence_as_it_was_made(qtbot, window, demo_store: str) -> None:  # noqa: ANN001
    requests, champion_now = _requests(demo_store)
    retrain = next(r for r in requests.values() if r.evidence["model"]["version"] == champion_now.version
                   and r.status == "approved")
    window.switch_role("approver")
    view = window.view("approvals")
    dialog = view.dialog_for(retrain.id)
    qtbot.addWidget(dialog)
    dialog.show()

    # the champion the request was made against (version 1), not today's (the candidate itself)
    table = dialog.metrics_table
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    assert headers[1] == f"candidate v{champion_now.version}" and headers[2] == "champion v1 (then)"
    cells = {table.item(r, 0).text(): [table.item(r, c).text() for c in range(1, 4)] for r in range(table.rowCount())}
    assert cells["n_test"][0] == str(retrain.evidence["model"]["metrics"]["n_test"])  # a count, no decimals
    assert not cells["n_test"][0].endswith(".0000") and cells["accuracy"][2] not in ("0", "0.0000")
    assert "version 1" in dialog.metrics_note.text()

    # both confusion matrices, integer counts that add up to the hold-out rows
    for role, n_test in (("candidate", retrain.evidence["model"]["metrics"]["n_test"]),
                         ("champion", retrain.evidence["champion"]["metrics"]["n_test"])):
        matrix = dialog.confusion_tables[role]
        values = [matrix.item(i, j).text() for i in range(matrix.rowCount()) for j in range(matrix.columnCount())]
        assert matrix.rowCount() == matrix.columnCount() == 2
        assert all(v.isdigit() for v in values) and sum(int(v) for v in values) == n_test

    # lineage: a tree with local times, no epoch milliseconds, no JSON braces
    tree = dialog.tabs.widget(TABS.index("Lineage"))
    texts = []
    stack = [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())]
    while stack:
        item = stack.pop()
        texts.append((item.text(0), item.text(1)))
        stack += [item.child(i) for i in range(item.childCount())]
    assert dict(texts)["trained at"] == local_time(retrain.evidence["model"]["trained_at"])
    assert not any(re.fullmatch(r"1\d{12}", value) for _, value in texts)
    assert not any(value.startswith("{") for _, value in texts)
    assert {"model", "parameters", "training data", "environment", "request"} <= {k for k, _ in texts}

    # whole tab labels, and a dialog that fits the 1366x768 screen
    bar = dialog.tabs.tabBar()
    metrics = bar.fontMetrics()
    for i in range(bar.count()):
        assert bar.tabRect(i).width() >= metrics.horizontalAdvance(bar.tabText(i)), bar.tabText(i)
        assert bar.tabRect(i).right() <= bar.width(), bar.tabText(i)
    screen = dialog.screen().availableGeometry()
    assert dialog.width() <= screen.width() and dialog.height() <= screen.height()
    # decided: the decision and its reason instead of an editor
    assert not dialog.reason.isVisible() and retrain.decision.reason in dialog.notice.text()
    dialog.close()


def test_a_request_for_the_champion_itself_says_so(qtbot, window, demo_store: str) -> None:  # noqa: ANN001
    requests, champion_now = _requests(demo_store)
    again = [r for r in requests.values() if (r.evidence.get("champion") or {}).get("id") == r.model_version_id]
    assert again, "the demo's triggered re-run asks again for the champion"
    window.switch_role("approver")
    dialog = window.view("approvals").dialog_for(again[0].id)
    qtbot.addWidget(dialog)
    assert "already was the champion" in dialog.metrics_note.text()
    assert "champion" not in dialog.confusion_tables  # one matrix: they are the same model
    dialog.close()


def test_the_demo_leaves_one_alert_per_episode_with_its_count(qtbot, window, demo_store: str) -> None:  # noqa: ANN001
    store = open_store(demo_store)
    with store.read() as uow:
        alerts = uow.alerts.all()
    store.close()
    canary = [a for a in alerts if a.source.endswith("/canary")]
    assert 1 <= len(canary) <= 2, [a.message for a in canary]  # not one per window and run
    assert sum(a.count for a in canary) >= 6
    holding = [(a.source, a.kind, a.condition) for a in alerts if a.cleared_at is None]
    assert len(holding) == len(set(holding))

    window.switch_role("operator")
    view = window.view("alerts")
    view.show_all.setChecked(True)
    qtbot.waitUntil(lambda: view.table.rowCount() == len(alerts), timeout=20_000)
    columns = [view.table.horizontalHeaderItem(c).text() for c in range(view.table.columnCount())]
    busiest = max(alerts, key=lambda a: a.count)
    row = next(r for r in range(view.table.rowCount()) if view.table.item(r, 0).text() == str(busiest.id))
    cell = {name: view.table.item(row, c) for c, name in enumerate(columns)}
    assert cell["count"].text() == str(busiest.count)
    assert cell["first seen"].text() == local_time(busiest.created_at)
    assert cell["last seen"].text() == local_time(busiest.last_seen_at)
    assert cell["message"].text() == busiest.message and cell["message"].toolTip() == busiest.message
    assert view.table.rowHeight(row) > view.table.fontMetrics().height() * 1.5  # wrapped, not cut


def test_the_kpi_impact_of_the_demo_deployment_is_one_answer_everywhere(qtbot, window, demo_store: str,
                                                                        tmp_path: Path) -> None:  # noqa: ANN001
    window.switch_role("analyst")
    view = window.view("kpis")
    view.choose(KPI, MODEL)
    qtbot.waitUntil(lambda: view.review is not None and view.review.impact.result is not None
                    and view.review.kpi.name == KPI, timeout=60_000)
    table = view.impact_table
    gui = {table.item(r, 0).text(): (table.item(r, 2).text(), table.item(r, 4).text())
           for r in range(table.rowCount())}
    store = open_store(demo_store)
    with store.read() as uow:
        version = uow.models.by_alias(MODEL, "champion").version
    store.close()
    level, p = gui[f"{MODEL} v{version}"]
    stated = f"{MODEL} v{version} deployed"

    cli = run_ok("--store", demo_store, "--user", "newcomer", "kpi", "impact", KPI, "--model", MODEL).stdout
    card_path = tmp_path / "card.html"
    run_ok("--store", demo_store, "--user", "newcomer", "report", "model", MODEL, str(version), "-o", str(card_path))
    card = card_path.read_text(encoding="utf-8")
    folder = Path(demo_store.removeprefix("sqlite:///")).parent / "files"
    demo_lines = json.loads((folder / "summary.json").read_text(encoding="utf-8"))["kpi_impact"]

    for where, text in (("CLI", cli), ("model card", card.replace("<li>", "\n")),
                        ("demo summary", "\n".join(demo_lines))):
        line = next((ln for ln in text.splitlines() if stated in ln), None)
        assert line is not None, f"{where} does not state the impact of {stated}"
        assert f"level change {level} " in line and f"p={p})" in line, f"{where}: {line}"
