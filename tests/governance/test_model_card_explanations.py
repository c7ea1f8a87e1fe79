"""Issue 17: the model card's Explanations section — the demo's champion card lists each
feature's mean |SHAP| with its direction, and the figures are the model's own on its hold-out
rows (recomputed here by hand)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from workbench.store import open_store


def test_the_demo_champion_card_explains_the_model_on_its_hold_out_rows(demo_store: str, tmp_path: Path) -> None:
    from workbench.engines.runtime.explain import shap_explanation
    from workbench.engines.runtime.models import load_model
    from workbench.engines.runtime.split import split_mask
    from workbench.orchestrator.artifacts import ArtifactStore
    from workbench.services.reports import write_model_card

    demo_card = Path(demo_store.removeprefix("sqlite:///")).parent / "files" / "model_card.html"
    assert '<section id="explanations"><h2>Explanations (SHAP)</h2>' in demo_card.read_text(encoding="utf-8")

    store = open_store(demo_store)
    try:
        with store.read() as uow:
            version = uow.models.by_alias("credit_default", "champion")
            model = uow.artifacts.get(version.artifact_id)
            dataset = next(a for a in uow.artifacts.ancestry(model.id) if a.kind == "dataset")
        card = write_model_card(store, "newcomer", "credit_default", version.version, tmp_path / "card.html")
        html = card.read_text(encoding="utf-8")
        section = html[html.index('<section id="explanations">'):]
        section = section[:section.index("</section>")]
        found = re.findall(r"<tr><td>([a-z_]+)</td><td>([0-9.]+)</td><td>([^<]+)</td></tr>", section)
        assert {f for f, _, _ in found} == {"income", "debt_ratio", "age", "credit_lines", "late_payments",
                                            "employment_years", "channel"}
        by_feature = {f: (float(v), d) for f, v, d in found}
        assert by_feature["debt_ratio"][1].startswith("higher values raise it")
        assert by_feature["channel"][1] == "mixed / not numeric"  # a text column has no direction
        # the same figures by hand
        import pandas as pd

        artifacts = ArtifactStore.for_store(store.url)
        meta = model.lineage["meta"]
        predictor = load_model(artifacts.path(model.sha256), model.sha256, meta, artifacts.root)
        frame = pd.read_parquet(artifacts.path(dataset.sha256))
        split = meta.get("split") or {}
        test = frame[split_mask(frame["row_id"].to_numpy(), float(split.get("test_fraction", 0.2)),
                                int(split.get("seed", 0)))]
        summary = shap_explanation(predictor, test.head(2000), max_rows=100, n_background=30).summary()
        for entry in summary:
            assert by_feature[entry.feature][0] == pytest.approx(entry.mean_abs, abs=5e-5)
        assert "Each row's values add up to its output" in section
    finally:
        store.close()
