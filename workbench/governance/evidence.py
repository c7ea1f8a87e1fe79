"""The approval request's evidence as typed, frozen values: one parse (``Evidence.from_json``)
of the JSON the store keeps with each request (written by ``orchestrator.evidence`` and the
approval gate), read by the approval services, the approval dialog and the model card.

Rules: the stored JSON is unchanged; the parse is tolerant of requests stored by older
versions (a missing key gives its default or None, a value of the wrong type is dropped),
so every request ever stored can be shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

JsonDict = Mapping[str, Any]


def _dict(value: object) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {}


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float | str):
        try:
            return int(value)
        except ValueError:
            return None
    return None


def _float(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _str(value: object) -> str | None:
    return None if value is None else str(value)


def _numbers(value: object) -> dict[str, float]:
    return {str(k): v for k, v in _dict(value).items()  # counts stay ints (shown without decimals)
            if isinstance(v, int | float) and not isinstance(v, bool)}


@dataclass(frozen=True)
class ModelSummary:
    """A model version as captured with the request (the candidate, or the champion then)."""

    name: str | None = None
    version: int | None = None
    id: int | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    trained_by: str | None = None
    trained_at: int | None = None
    confusion_matrix: dict[str, Any] | None = None
    lineage: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: object) -> ModelSummary | None:
        """The summary in ``data``; None when there is none (no champion then)."""
        if not isinstance(data, Mapping) or not data:
            return None
        matrix = data.get("confusion_matrix")
        return cls(name=_str(data.get("name")), version=_int(data.get("version")), id=_int(data.get("id")),
                   metrics=_numbers(data.get("metrics")), trained_by=_str(data.get("trained_by")),
                   trained_at=_int(data.get("trained_at")),
                   confusion_matrix=dict(matrix) if isinstance(matrix, Mapping) and matrix else None,
                   lineage=_dict(data.get("lineage")))


@dataclass(frozen=True)
class DatasetRef:
    """A dataset in the candidate's ancestry."""

    artifact_id: int | None = None
    sha256: str | None = None
    source: str | None = None
    source_sha256: str | None = None
    rows: int | None = None

    @classmethod
    def from_json(cls, data: JsonDict) -> DatasetRef:
        return cls(artifact_id=_int(data.get("artifact_id")), sha256=_str(data.get("sha256")),
                   source=_str(data.get("source")), source_sha256=_str(data.get("source_sha256")),
                   rows=_int(data.get("rows")))


@dataclass(frozen=True)
class PolicyCheck:
    """A policy of the gate and whether the evidence met it."""

    name: str
    holds: bool
    detail: str

    @classmethod
    def from_json(cls, data: JsonDict) -> PolicyCheck:
        return cls(name=str(data.get("name") or ""), holds=bool(data.get("holds")),
                   detail=str(data.get("detail") or ""))


@dataclass(frozen=True)
class FairnessFigure:
    """The candidate's fairness on one sensitive column: the headline figures and the whole
    report (groups and differences with intervals, as ``fairness_rows`` shows them)."""

    column: str
    parity_ratio: float | None
    equalized_odds_difference: float | None
    report: dict[str, Any]

    @classmethod
    def from_json(cls, column: str, data: JsonDict) -> FairnessFigure:
        return cls(column=column, parity_ratio=_float(data.get("demographic_parity_ratio")),
                   equalized_odds_difference=_float(data.get("equalized_odds_difference")), report=dict(data))


@dataclass(frozen=True)
class Evidence:
    """Everything frozen with an approval request (see ``orchestrator.evidence``)."""

    model: ModelSummary = field(default_factory=ModelSummary)
    champion: ModelSummary | None = None
    captured_at: int | None = None
    candidate_is_champion: bool = False
    deltas: dict[str, float] = field(default_factory=dict)
    evaluation: dict[str, Any] = field(default_factory=dict)
    datasets: tuple[DatasetRef, ...] = ()
    fairness: tuple[FairnessFigure, ...] = ()
    policies: tuple[PolicyCheck, ...] = ()
    approver_role: str = "approver"
    seed: int = 0

    @classmethod
    def from_json(cls, data: object) -> Evidence:
        """The evidence in a request's stored JSON; missing or malformed parts get defaults."""
        raw = _dict(data)
        return cls(
            model=ModelSummary.from_json(raw.get("model")) or ModelSummary(),
            champion=ModelSummary.from_json(raw.get("champion")),
            captured_at=_int(raw.get("captured_at")),
            candidate_is_champion=bool(raw.get("candidate_is_champion")),
            deltas=_numbers(raw.get("deltas")),
            evaluation=_dict(raw.get("evaluation")),
            datasets=tuple(DatasetRef.from_json(d) for d in raw.get("datasets") or () if isinstance(d, Mapping)),
            fairness=tuple(FairnessFigure.from_json(str(c), r) for c, r in _dict(raw.get("fairness")).items()
                           if isinstance(r, Mapping)),
            policies=tuple(PolicyCheck.from_json(p) for p in raw.get("policies") or () if isinstance(p, Mapping)),
            approver_role=str(raw.get("approver_role") or "approver"),
            seed=_int(raw.get("seed")) or 0)

    @property
    def fairness_columns(self) -> list[str]:
        return [f.column for f in self.fairness]


def direction_words(value: Any) -> str:
    """How a feature's value moves a model's output (the correlation of the value with its SHAP
    value), in words with the figure: "higher raises (+0.96)"."""
    if not isinstance(value, int | float) or value != value:
        return "mixed / not numeric"
    word = "higher raises" if value > 0.2 else "higher lowers" if value < -0.2 else "mixed"
    return f"{word} ({value:+.2f})"
