"""Issue 17: an approval gate's fairness policy. The evaluate step measures fairness over a
sensitive column; the gate requires a demographic-parity ratio, and the request the risk
officer sees says whether it holds and by how much."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
from sklearn.datasets import load_breast_cancer

from tests.support.store_setup import cast_store
from workbench.graph import load_template, save
from workbench.orchestrator.runner import RunDriver
from workbench.services.models import decide, list_approvals
from workbench.services.runs import start_run


def test_the_request_shows_whether_the_parity_policy_holds(tmp_path: Path) -> None:
    store = cast_store(f"sqlite:///{tmp_path / 'store.db'}")
    frame = load_breast_cancer(as_frame=True).frame
    frame["band"] = np.where(frame["mean radius"] > frame["mean radius"].median(), "large", "small")
    frame.to_csv(tmp_path / "cancer.csv", index=False)
    graph = load_template("approval")
    graph.set_param("data", "format", "csv")
    graph.set_param("data", "path", "cancer.csv")
    graph.set_param("evaluate", "sensitive_features", ["band"])
    graph.set_param("approve", "min_parity_ratio", 0.8)
    path = tmp_path / "fair.yaml"
    save(graph, path)
    run = start_run(store, "bob", path, detach=False)
    ended: dict[str, str] = {}
    driver = threading.Thread(target=lambda: ended.setdefault("status", RunDriver(store, run.id, poll_s=0.2).drive()))
    driver.start()
    deadline = time.monotonic() + 240
    requests = []
    while not requests and time.monotonic() < deadline:
        requests = list_approvals(store, "rita", "open")
        time.sleep(0.3)
    assert requests, "no approval request appeared"
    evidence = requests[0].evidence
    (policy,) = evidence["policies"]
    ratio = evidence["fairness"]["band"]["demographic_parity_ratio"]
    assert policy["name"] == "demographic-parity ratio ≥ 0.8"
    assert policy["holds"] is (ratio >= 0.8) and f"band: {ratio:.3f}" in policy["detail"]
    assert set(evidence["fairness"]["band"]["groups"]) == {"large", "small"}
    decide(store, "rita", requests[0].id, "rejected", "selection rates differ too much between bands")
    driver.join(120)
    assert ended.get("status") == "rejected"
    store.close()
