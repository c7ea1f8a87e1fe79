"""``workbench drift``, ``canary`` and ``kpi impact`` on real files, in-process and as a process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def files(tmp_path: Path) -> dict[str, Path]:
    rng = np.random.default_rng(0)
    n = 1500
    ref = pd.DataFrame(
        {"a": rng.normal(size=n), "b": rng.choice(["x", "y", "z"], n), "c": rng.integers(0, 2, n)}
    )
    cur = pd.DataFrame(
        {
            "a": rng.normal(0.6, 1, n),
            "b": rng.choice(["x", "y", "w"], n),
            "c": rng.integers(0, 2, n),
        }
    )
    paths = {"ref": tmp_path / "ref.csv", "cur": tmp_path / "cur.parquet"}
    ref.to_csv(paths["ref"], index=False)
    cur.to_parquet(paths["cur"])
    feat = rng.normal(size=n)
    p1 = 1 / (1 + np.exp(-feat))
    p2 = np.clip(p1 + rng.normal(0, 0.02, n), 0, 1)
    labels = (rng.random(n) < p1).astype(int)
    paths["champ"] = tmp_path / "champion.csv"
    paths["chall"] = tmp_path / "challenger.csv"
    pd.DataFrame({"id": range(n), "feat": feat, "score": p1, "label": labels}).to_csv(
        paths["champ"], index=False
    )
    pd.DataFrame({"id": range(n)[::-1], "feat": feat[::-1], "score": p2[::-1]}).to_csv(
        paths["chall"], index=False
    )
    days = pd.date_range("2024-01-01", periods=80, freq="D")
    kpi = 100 + 0.1 * np.arange(80) + rng.normal(0, 1, 80) + np.where(np.arange(80) >= 40, 6, 0)
    paths["kpi"] = tmp_path / "kpi.csv"
    paths["events"] = tmp_path / "events.csv"
    pd.DataFrame({"date": days.strftime("%Y-%m-%d"), "revenue": kpi}).to_csv(
        paths["kpi"], index=False
    )
    pd.DataFrame({"time": ["2024-02-10"], "name": ["model-v2"]}).to_csv(
        paths["events"], index=False
    )
    return paths


def run_json(capsys, *argv: str) -> dict:
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_drift_json_and_table(files, capsys):
    out = run_json(capsys, "drift", str(files["ref"]), str(files["cur"]))
    assert out["drifted"] is True
    assert {r["column"]: r["method"] for r in out["results"]} == {
        "a": "wasserstein",
        "b": "jensenshannon",
        "c": "jensenshannon",
    }
    assert any(f["check"] == "unseen_categories" for f in out["findings"])
    many = run_json(
        capsys,
        "drift",
        str(files["ref"]),
        str(files["cur"]),
        "--method",
        "ks",
        "--method",
        "chi2",
        "--threshold",
        "ks=0.01",
    )
    assert {(r["column"], r["method"]) for r in many["results"]} == {
        ("a", "ks"),
        ("b", "chi2"),
        ("c", "chi2"),
    }
    assert next(r for r in many["results"] if r["method"] == "ks")["threshold"] == 0.01
    assert main(["drift", str(files["ref"]), str(files["cur"])]) == 0
    text = capsys.readouterr().out
    assert text.startswith("DRIFTED") and "wasserstein" in text and "unseen_categories" in text


def test_drift_with_a_saved_profile(files, tmp_path, capsys):
    profile = tmp_path / "ref.npz"
    first = run_json(
        capsys, "drift", str(files["ref"]), str(files["cur"]), "--save-profile", str(profile)
    )
    again = run_json(capsys, "drift", str(profile), str(files["cur"]))
    assert first["results"] == again["results"]


def test_canary_pairs_by_id_and_reports_intervals(files, capsys):
    out = run_json(
        capsys,
        "canary",
        str(files["champ"]),
        str(files["chall"]),
        "--id-column",
        "id",
        "--label-column",
        "label",
    )
    assert out["column"] == "score" and out["n"] == 1500 and out["unmatched_rows"] == 0
    assert out["agreement"] > 0.9 and out["agreement_ci"]["low"] <= out["agreement"]
    assert out["mcnemar"]["p_value"] is not None and out["valid"] is True
    assert main(["canary", str(files["champ"]), str(files["chall"]), "--id-column", "id"]) == 0
    assert "agreement" in capsys.readouterr().out


def test_kpi_impact(files, capsys):
    out = run_json(capsys, "kpi", "impact", str(files["kpi"]), "--events", str(files["events"]))
    event = out["events"][0]
    assert event["name"] == "model-v2" and event["position"] == 40
    assert event["level_change"]["value"] == pytest.approx(6, abs=1.5)
    assert event["level_change"]["p_value"] < 0.001
    assert main(["kpi", "impact", str(files["kpi"]), "--events", str(files["events"])]) == 0
    assert "model-v2" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("content", "code", "message"),
    [
        (None, 2, "not found"),
        ("", 2, "is empty"),
        ("a,b,c\n", 1, "no rows"),
        ("q\n1\n2\n", 1, "share no column"),
        ("a,b,c\n,,\n,,\n", 0, None),
    ],
)
def test_drift_input_errors_give_clear_messages_and_exit_codes(
    files, tmp_path, capsys, content, code, message
):
    bad = tmp_path / "bad.csv"
    if content is not None:
        bad.write_text(content)
    assert main(["drift", str(files["ref"]), str(bad)]) == code
    captured = capsys.readouterr()
    if message:
        assert message in captured.err and "Traceback" not in captured.err
        assert captured.err.startswith("error: ")
    else:  # all-NaN columns: named findings, not NaN verdicts
        assert "all_missing" in captured.out


def test_non_numeric_values_in_numeric_column_are_a_finding(files, tmp_path, capsys):
    bad = tmp_path / "junk.csv"
    values = [str(v) for v in np.random.default_rng(1).normal(size=99).round(3)] + ["oops"]
    pd.DataFrame({"a": values}).to_csv(bad, index=False)
    out = run_json(capsys, "drift", str(files["ref"]), str(bad))
    assert any(
        f["check"] == "non_numeric_values" and f["counts"]["n_non_numeric"] == 1
        for f in out["findings"]
    )
    assert all(r["statistic"] is not None for r in out["results"])


def test_exit_codes_from_a_real_process(files, tmp_path):
    def run(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "workbench", *argv],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )

    ok = run("drift", str(files["ref"]), str(files["cur"]), "--json")
    assert ok.returncode == 0 and json.loads(ok.stdout)["drifted"] is True
    missing = run("drift", str(tmp_path / "nope.csv"), str(files["cur"]))
    assert missing.returncode == 2 and "not found" in missing.stderr
    no_rows = tmp_path / "header.csv"
    no_rows.write_text("a\n")
    invalid = run("canary", str(files["champ"]), str(no_rows))
    assert invalid.returncode == 1 and "no rows" in invalid.stderr
    assert "Traceback" not in missing.stderr + invalid.stderr


def test_drift_leaves_an_id_column_out_and_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rng = np.random.default_rng(5)
    n = 800
    ref = pd.DataFrame({"row_id": np.arange(n), "x": rng.normal(size=n)})
    cur = pd.DataFrame({"row_id": np.arange(n, 2 * n), "x": rng.normal(size=n)})
    ref.to_csv(tmp_path / "ref.csv", index=False)
    cur.to_csv(tmp_path / "cur.csv", index=False)
    args = ["drift", str(tmp_path / "ref.csv"), str(tmp_path / "cur.csv")]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert out.startswith("no dataset drift: 0 of 1 column(s)")
    assert "excluded: row_id: id-like" in out and "--include row_id" in out
    assert main([*args, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert list(report["excluded"]) == ["row_id"] and [c["column"] for c in report["columns"]] == ["x"]
    assert main([*args, "--include", "row_id", "--json"]) == 0
    assert "row_id" in [c["column"] for c in json.loads(capsys.readouterr().out)["columns"] if c["drifted"]]
    assert main([*args, "--id-column", "x"]) == 1
    err = capsys.readouterr().err
    assert "no column is left to check" in err and "x: declared an id column" in err and "--include" in err
    assert main([*args, "--exclude", "nope"]) == 1
    assert "no column 'nope'" in capsys.readouterr().err
