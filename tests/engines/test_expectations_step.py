"""A data_source step with expectations fails naming each violation, or passes (issue 17)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.engines.support import Chain
from workbench.errors import InvalidInputError


def test_a_data_source_with_expectations_fails_naming_each(chain: Chain, tmp_path: Path) -> None:
    from workbench.engines.runtime.step import run_spec

    csv = tmp_path / "people.csv"
    pd.DataFrame({"age": [30, -2, 40], "region": ["north", "west", "south"], "target": [0, 1, 0]}).to_csv(csv, index=False)
    spec = {"columns": {"age": {"min": 0}, "region": {"allowed": ["north", "south"]}}}
    with pytest.raises(InvalidInputError) as failed:
        run_spec(chain.spec("people", "data_source", {"format": "csv", "path": str(csv), "expectations": spec}, {}))
    said = str(failed.value)
    assert "node 'people'" in said and "breaks 2 of its expectations" in said
    assert "column 'age': expected values ≥ 0" in said and "column 'region': expected only" in said
    fine = chain.run("people_ok", "data_source", {"format": "csv", "path": str(csv),
                                                  "expectations": {"rows": {"min": 3}}})
    assert fine.result["metrics"]["rows"] == 3
