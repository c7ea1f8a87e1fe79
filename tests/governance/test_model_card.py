"""The model card: an HTML page a parser reads, with every section, filled from a real run
(trained, approved with a reason, promoted, scored)."""

from __future__ import annotations

import threading
import time
from html.parser import HTMLParser
from pathlib import Path

from tests.support.cli import workbench
from tests.support.store_setup import cast_store
from workbench.graph import load_template, save
from workbench.orchestrator.runner import RunDriver
from workbench.services.models import decide
from workbench.services.runs import start_run

SECTIONS = ("lineage", "training-data", "metrics", "importance", "explanations", "fairness", "approvals", "deployments", "kpi-impact", "drift", "canary", "audit")


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.sections: list[str] = []
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append(tag)
        if tag == "section":
            self.sections.append(dict(attrs)["id"])

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_model_card_of_an_approved_champion(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    store = cast_store(url)
    save(load_template("approval"), tmp_path / "approval.yaml")
    run = start_run(store, "bob", tmp_path / "approval.yaml", detach=False)
    done: list[str] = []
    driver = threading.Thread(target=lambda: done.append(RunDriver(store, run.id, poll_s=0.2).drive()))
    driver.start()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with store.read() as uow:
            requests = uow.approvals.all(status="open")
        if requests:
            break
        time.sleep(0.2)
    decide(store, "rita", requests[0].id, "approved", "meets the bar for screening support")
    driver.join(timeout=120)
    assert done == ["succeeded"]
    store.close()

    out = tmp_path / "card.html"
    result = workbench("--store", url, "--user", "anna", "report", "model", "breast_cancer", "1", "-o", str(out))
    assert result.returncode == 0, result.stderr
    parser = _Collector()
    parser.feed(out.read_text(encoding="utf-8"))
    parser.close()
    assert tuple(parser.sections[:len(SECTIONS)]) == SECTIONS
    text = " ".join(parser.text)
    assert "meets the bar for screening support" in text and "rita" in text
    assert "accuracy" in text and "95 % interval" in text and "[0." in text
    assert "models.alias" in text and "approvals.approve" in text
    assert "svg" in parser.tags or "None recorded" in text
    assert "http://" not in out.read_text().replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_the_card_states_the_fairness_captured_with_the_latest_request() -> None:
    from types import SimpleNamespace

    from workbench.governance.model_card import _fairness_section
    from workbench.monitoring.fairness import group_report

    report = group_report([1, 0, 1, 0], [1, 0, 0, 0], ["a", "a", "b", "b"], positive=1, n_boot=20)
    older = SimpleNamespace(id=1, evidence={})
    latest = SimpleNamespace(id=2, evidence={"fairness": {"region": report}, "policies": [
        {"name": "demographic-parity ratio ≥ 0.8", "holds": False, "detail": "region: 0.000"}]})
    html = _fairness_section([latest, older])
    assert "approval request 2" in html and "does not hold" in html
    assert "<td>a</td>" in html and "<td>b</td>" in html and "<h3>region</h3>" in html
    assert "No fairness figures" in _fairness_section([older])
