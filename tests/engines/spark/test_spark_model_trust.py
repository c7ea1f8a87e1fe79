"""A saved Spark ML pipeline is untrusted input: scoring refuses one that names classes outside
Spark ML or Python stages (whose modules pyspark would import) before loading anything."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest

from tests.engines.spark.conftest import SparkChain
from tests.engines.spark.test_spark_local import _labelled
from workbench.engines.runtime.models import UntrustedModelError
from workbench.engines.spark.mllib import check_spark_model


def _record(folder: Path, cls: str, **param_map: str) -> None:
    (folder / "metadata").mkdir(parents=True)
    (folder / "metadata" / "part-00000").write_text(
        json.dumps({"class": cls, "uid": "u", "paramMap": param_map}) + "\n")


def test_spark_ml_stages_pass_and_other_classes_are_named(tmp_path: Path) -> None:
    good = tmp_path / "good"
    _record(good, "org.apache.spark.ml.PipelineModel")
    _record(good / "stages" / "0_va", "org.apache.spark.ml.feature.VectorAssembler")
    check_spark_model(good, "model.zip")
    bad = tmp_path / "bad"
    _record(bad, "org.apache.spark.ml.PipelineModel", language="Python")
    _record(bad / "stages" / "0_evil", "evilmod.Evil")
    with pytest.raises(UntrustedModelError) as caught:
        check_spark_model(bad, "model.zip")
    assert "evilmod.Evil" in str(caught.value) and "PipelineModel (metadata)" in str(caught.value)
    assert "not loaded" in str(caught.value)
    with pytest.raises(UntrustedModelError, match="not a saved Spark ML PipelineModel"):
        check_spark_model(good / "stages" / "0_va", "model.zip")


def test_scoring_a_crafted_pipeline_is_refused_without_importing_its_stage(
        on_spark: SparkChain, local_engine: object, tmp_path: Path) -> None:
    csv = tmp_path / "small.csv"
    _labelled(400, seed=5).to_csv(csv, index=False)
    data = on_spark.run("trust_data", "data_source", {"format": "csv", "path": str(csv)})
    trained = on_spark.run("trust_train", "train_spark", {"algorithm": "logistic_regression",
                                                          "max_iter": 5, "model_name": "t"},
                           {"data": [data.out("data")]})
    source = zipfile.ZipFile(trained.out("model")["path"])
    crafted = io.BytesIO()
    with zipfile.ZipFile(crafted, "w") as out:
        for name in source.namelist():
            text = source.read(name)
            if "/metadata/part-" in f"/{name}":
                record = json.loads(text.decode().splitlines()[0])
                if record["class"].endswith("PipelineModel"):
                    record["paramMap"]["language"] = "Python"
                else:
                    record["class"] = "evilmod.Evil"
                text = (json.dumps(record) + "\n").encode()
            out.writestr(name, text)
    payload = crafted.getvalue()
    path = tmp_path / "crafted.zip"
    path.write_bytes(payload)
    # the Spark driver runs with its working folder on sys.path: the stage would import
    marker = tmp_path / "imported.marker"
    driver_dir = local_engine._cwd  # type: ignore[attr-defined]
    assert driver_dir is not None
    (Path(driver_dir) / "evilmod.py").write_text(f"open({str(marker)!r}, 'w').write('x')\n"
                                                 "class Evil:\n    pass\n")
    try:
        model = {**trained.out("model"), "path": str(path),
                 "sha256": hashlib.sha256(payload).hexdigest()}
        _, outcome = on_spark.launch("trust_score", "inference", {},
                                     {"data": [data.out("data")], "model": [model]})
    finally:
        (Path(driver_dir) / "evilmod.py").unlink()
    assert not outcome.ok
    assert "evilmod.Evil" in outcome.describe_failure()
    assert not marker.exists()
