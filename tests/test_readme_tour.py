"""The README's short tour runs as written: its code block, after the first line (which puts
``workbench`` on the PATH — here the test's own interpreter does), runs line by line in a
fresh folder with a fresh store, and every line exits 0. Lines ending in ``# example`` name
hosts of the reader's own and are left out; a line ending in ``&`` runs in the background
(a service; the test waits for its ``--port``) until the tour's ``kill`` stops it."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def tour_lines() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## A short tour"):]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block, "the tour has no bash block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def _code(line: str) -> tuple[str, str]:
    """``(command, comment)``: the line split at its first ``#`` outside quotes."""
    quote = ""
    for i, char in enumerate(line):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"`":
            quote = char
        elif char == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip(), line[i:]
    return line.rstrip(), ""


def tour_script(lines: list[str]) -> str:
    out = ["set -u", "trap 'kill $(jobs -p) 2>/dev/null' EXIT"]
    for line in lines[1:]:
        command, comment = _code(line)
        if not command or comment.rstrip().endswith("# example"):
            continue
        out.append(f"echo {shlex.quote('$ ' + command)}")
        if command.endswith("&"):
            out.append(command)
            port = re.search(r"--port (\d+)", command)
            if port:
                out.append(f"for i in $(seq 240); do (echo > /dev/tcp/127.0.0.1/{port.group(1)}) 2>/dev/null "
                           "&& break; sleep 0.5; done")
            continue
        out.append(f"{command} || {{ echo {shlex.quote('TOUR FAILED: ' + command)} >&2; exit 1; }}")
    return "\n".join(out) + "\n"


def test_the_first_line_puts_workbench_on_the_path_and_examples_are_marked() -> None:
    lines = tour_lines()
    assert lines[0].startswith("source .venv/bin/activate")
    for line in lines:
        if "10.0.0." in line or "--target cluster" in line:
            assert line.rstrip().endswith("# example"), line
    assert not any(re.search(r"\b(?:approve|runs show|runs logs) \d", line) and "demo" in line for line in lines)


def test_the_readme_tour_runs_as_written(tmp_path: Path) -> None:
    script = tour_script(tour_lines())
    (tmp_path / "tour.sh").write_text(script, encoding="utf-8")
    bin_dir = Path(sys.executable).parent
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKBENCH_")}
    env.update(PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}", HOME=str(tmp_path),
               PYTHONPATH=str(ROOT), WORKBENCH_USER="tour-reader")
    assert (bin_dir / "workbench").exists(), "the workbench console script is not installed beside python"
    result = subprocess.run(["bash", str(tmp_path / "tour.sh")], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=300, check=False)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-6000:]
    tour = tmp_path / "tour"
    for name in ("tour.db", "churn.yaml", "canary.yaml", "retrain.yaml", "card.html", "data.csv",
                 "reference.csv", "current.parquet", "champion.csv", "challenger.csv", "kpi.csv",
                 "deployments.csv", "visits.csv"):
        assert (tour / name).exists(), name
    assert "approval request 1 approved by rita" in out
    assert "run 1 succeeded" in out
    assert "version id None" not in out and "(no version was champion before)" in out
    assert "excluded: row_id: id-like" in out
    assert re.search(r"sent \d+ request\(s\).*: (\d+) answered, 0 failed", out), out[-3000:]
    assert "audit trail intact" in out
    assert "Demo (a simulation) finished" in out
    assert "B is better than A" in out                      # abtest compare on the sample visits
    assert "*all" in out                                    # drift --multivariate pca: the columns together
    assert "explanations: mean |SHAP|" in out and "label-free estimates:" in out   # approvals show 1
    findings = result.stdout.split("$ workbench alerts findings")[-1]   # the demo's broken expectations
    assert "channel" in findings and "debt_ratio" in findings, findings[-3000:]
