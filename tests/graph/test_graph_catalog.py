"""The node catalog: built-in kinds, parameter checks and plug-in kinds from entry points."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from workbench.graph import (
    Catalog,
    DuplicateNodeKindError,
    Graph,
    InvalidParameterError,
    NodeKind,
    ParamSpec,
    PortSpec,
    UnknownNodeKindError,
    default_catalog,
    reset_default_catalog,
    validate_param,
)
from workbench.graph import catalog as catalog_module
from workbench.graph.builtin_kinds import BUILTIN_KINDS
from workbench.graph.catalog import kinds_by_category

BUILTIN_IDS = {
    "data_source",
    "train_sklearn",
    "train_torch",
    "train_spark",
    "evaluate",
    "approval_gate",
    "promote",
    "ensemble",
    "inference",
    "comparator",
    "drift_monitor",
    "kpi_source",
    "trigger",
}


def _ports(specs: tuple[PortSpec, ...]) -> dict[str, tuple[str, bool, bool]]:
    return {p.name: (p.type, p.required, p.multiple) for p in specs}


def test_builtin_kinds_and_their_ports() -> None:
    cat = default_catalog()
    assert set(cat.kinds()) >= BUILTIN_IDS
    get = cat.get
    assert _ports(get("data_source").outputs) == {"data": ("dataset", False, False)}
    for trainer in ("train_sklearn", "train_torch", "train_spark"):
        assert _ports(get(trainer).inputs) == {
            "data": ("dataset", True, False),
            "trigger": ("signal", False, False),
        }
        assert _ports(get(trainer).outputs) == {
            "model": ("model", False, False),
            "metrics": ("metrics", False, False),
        }
    assert _ports(get("evaluate").inputs) == {
        "model": ("model", True, False),
        "data": ("dataset", True, False),
    }
    assert _ports(get("approval_gate").inputs) == {
        "model": ("model", True, False),
        "metrics": ("metrics", False, False),
    }
    assert _ports(get("promote").outputs) == {"model": ("model", False, False)}
    assert _ports(get("ensemble").inputs) == {"models": ("model", True, True)}
    assert _ports(get("inference").inputs) == {
        "model": ("model", False, False),
        "data": ("dataset", True, False),
    }
    assert _ports(get("inference").outputs) == {"predictions": ("predictions", False, False)}
    assert _ports(get("comparator").outputs) == {
        "metrics": ("metrics", False, False),
        "alert": ("signal", False, False),
    }
    assert _ports(get("drift_monitor").inputs)["predictions"] == ("predictions", False, False)
    assert _ports(get("kpi_source").outputs) == {"kpi": ("kpi", False, False)}
    assert _ports(get("trigger").inputs) == {"alert": ("signal", False, True)}
    assert _ports(get("trigger").outputs) == {"start": ("signal", False, False)}


def test_builtin_parameters() -> None:
    cat = default_catalog()
    ds = cat.get("data_source")
    assert ds.param("format").choices == ("csv", "parquet", "sql", "builtin", "table")
    assert (
        ds.default_params()["builtin"] == "breast_cancer"
        and ds.default_params()["target"] == "target"
    )
    assert cat.get("train_sklearn").param("estimator").type == "import_path"
    torch = cat.get("train_torch")
    assert torch.param("device").choices == ("auto", "cpu", "cuda", "mps")
    assert (torch.param("epochs").default, torch.param("epochs").min) == (20, 1)
    gate = cat.get("approval_gate").default_params()
    assert gate == {"approver_role": "approver", "expires_after_hours": 72.0, "min_parity_ratio": 0.0}
    promote = cat.get("promote")
    assert promote.param("model_name").required and promote.param("model_name").default is None
    assert promote.param("alias").choices == ("candidate", "challenger", "champion", "archived")
    assert cat.get("inference").param("alias").choices == (
        "",
        "champion",
        "challenger",
        "candidate",
    )
    assert cat.get("comparator").param("traffic_split").max == 1
    assert cat.get("drift_monitor").default_params()["consecutive_windows"] == 3
    assert cat.get("trigger").param("on").choices == (
        "schedule",
        "model_promoted",
        "drift_alert",
        "manual",
    )
    groups = kinds_by_category(cat)
    assert "training" in groups and [k.kind for k in groups["data"]] == [
        "data_source",
        "kpi_source",
        "transform",
    ]


def test_every_param_type_is_checked() -> None:
    kind = NodeKind(
        "all_types",
        "All types",
        params=(
            ParamSpec("s", "str"),
            ParamSpec("i", "int", min=0, max=10),
            ParamSpec("f", "float"),
            ParamSpec("b", "bool"),
            ParamSpec("c", "choice", choices=("a", "b")),
            ParamSpec("m", "mapping"),
            ParamSpec("l", "list"),
            ParamSpec("p", "path"),
            ParamSpec("ip", "import_path"),
        ),
    )
    good: dict[str, Any] = {
        "s": "x",
        "i": 10,
        "f": 2,
        "b": False,
        "c": "b",
        "m": {"k": [1, {"x": None}]},
        "l": [1, "a", None],
        "p": "/tmp/x.csv",
        "ip": "pkg.mod.Name",
    }
    for name, value in good.items():
        assert validate_param(kind, name, value) == value
    bad: dict[str, Any] = {
        "s": 1,
        "i": 11,
        "f": "1.0",
        "b": 1,
        "c": "z",
        "m": [1],
        "l": {"a": 1},
        "p": "a\x00b",
        "ip": "NoDots",
    }
    for name, value in bad.items():
        with pytest.raises(InvalidParameterError, match=f"'{name}'"):
            validate_param(kind, name, value, node_id="n1")
    with pytest.raises(InvalidParameterError, match="node 'n1'"):
        validate_param(kind, "unknown", 1, node_id="n1")
    with pytest.raises(InvalidParameterError):
        validate_param(kind, "m", {"k": object()})


def test_kind_definitions_are_checked() -> None:
    with pytest.raises(ValueError):
        NodeKind("bad kind", "x")
    with pytest.raises(ValueError):
        NodeKind("k", "x", inputs=(PortSpec("a", "dataset"), PortSpec("a", "model")))
    with pytest.raises(ValueError):
        NodeKind("k", "x", params=(ParamSpec("n", "int", default="x"),))
    with pytest.raises(ValueError):
        ParamSpec("n", "complex")
    with pytest.raises(ValueError):
        ParamSpec("n", "choice")
    with pytest.raises(ValueError):
        PortSpec("in", "")


def test_catalog_registry() -> None:
    cat = Catalog([BUILTIN_KINDS[0]])
    assert cat.kinds() == ["data_source"] and "data_source" in cat and len(cat) == 1
    with pytest.raises(DuplicateNodeKindError):
        cat.register(BUILTIN_KINDS[0])
    cat.register(BUILTIN_KINDS[0], replace=True)
    with pytest.raises(UnknownNodeKindError) as info:
        cat.get("trian")
    assert info.value.known == ("data_source",) and "known: data_source" in str(info.value)
    assert cat.find("trian") is None
    with pytest.raises(TypeError):
        cat.register("data_source")  # type: ignore[arg-type]


@dataclass
class FakeEntryPoint:
    name: str
    obj: Any

    def load(self) -> Any:
        if isinstance(self.obj, Exception):
            raise self.obj
        return self.obj


SCORER = NodeKind(
    "custom_scorer",
    "Custom scorer",
    inputs=(PortSpec("data", "dataset", required=True),),
    outputs=(PortSpec("predictions", "predictions"),),
    params=(ParamSpec("threshold", "float", default=0.5, min=0, max=1),),
)
FEATURES = NodeKind("feature_store", "Feature store", outputs=(PortSpec("data", "dataset"),))
EXPLAIN = NodeKind("explain", "Explain", inputs=(PortSpec("model", "model"),))


def test_entry_points_add_kinds_and_broken_plugins_are_skipped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    eps = [
        FakeEntryPoint("one", SCORER),
        FakeEntryPoint("many", [FEATURES]),
        FakeEntryPoint("factory", lambda: [EXPLAIN]),
        FakeEntryPoint("broken", ImportError("no module named plugin")),
        FakeEntryPoint("clash", BUILTIN_KINDS[0]),
        FakeEntryPoint("junk", 42),
    ]
    seen_groups: list[str] = []

    def entry_points(group: str) -> list[FakeEntryPoint]:
        seen_groups.append(group)
        return eps

    monkeypatch.setattr(catalog_module.metadata, "entry_points", entry_points)
    reset_default_catalog()
    try:
        cat = default_catalog()
        assert default_catalog() is cat  # built once, lazily
        assert seen_groups == ["workbench.node_kinds"]
        assert {"custom_scorer", "feature_store", "explain"} <= set(cat.kinds())
        assert len(cat.load_errors) == 3
        assert any("broken" in e for e in cat.load_errors)
        g = Graph()  # the editor needs no change to use plug-in kinds
        g.add_node("feature_store", id="fs")
        g.add_node("custom_scorer", id="cs")
        g.connect("fs", "data", "cs", "data")
        with pytest.raises(InvalidParameterError):
            g.set_param("cs", "threshold", 2)
    finally:
        monkeypatch.undo()
        reset_default_catalog()
    assert "custom_scorer" not in default_catalog()


def test_listing_entry_points_may_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(group: str) -> list[Any]:
        raise RuntimeError("broken metadata")

    cat = Catalog()
    cat.load_entry_points(entry_points=boom)
    assert cat.kinds() == [] and "broken metadata" in cat.load_errors[0]


def test_graph_with_its_own_catalog() -> None:
    g = Graph(catalog=Catalog([SCORER]))
    g.add_node("custom_scorer")
    with pytest.raises(UnknownNodeKindError):
        g.add_node("data_source")
