"""docs/architecture.md lists the layers of the import contract, in its order, and names every
contract that `lint-imports` checks."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_architecture_doc_matches_the_contracts() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    (layers,) = [c["layers"] for c in config if c["type"] == "layers"]
    doc = (ROOT / "docs" / "architecture.md").read_text()
    table = doc.split("<!-- layers:", 1)[1].split("\n\n", 1)[0]
    listed = re.findall(r"^\| `(workbench\.[a-z_.]+)` \|", table, flags=re.MULTILINE)
    assert listed == layers
    contracts = doc.split("## Contracts", 1)[1].split("\n## ", 1)[0]
    assert len(re.findall(r"^\d+\. \*\*", contracts, flags=re.MULTILINE)) == len(config)
