"""Reading live monitoring for the signed-in user: sources, drift, canary divergence, prediction
windows (volume, latency), alerts and label-free performance estimates. Every read takes the last
id the caller saw and returns only newer rows, so an open plot never re-reads old rows."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from workbench.monitoring.deviation import Finding
from workbench.services.identity import acting, authorise
from workbench.store import Store
from workbench.store.entities import Alert, DivergenceResult, DriftResult, PredictionWindow

LABELS_SUFFIX = "#labels"
PAGE_ROWS = 100_000


def labels_source(source: str) -> str:
    """Where the true labels of ``source``'s predictions are logged (``<source>#labels``).

    Ground truth is not part of a prediction row — ``predictions.label`` is the model's own
    predicted class — so true labels arrive later as rows logged here with the same
    ``request_id`` and the true class in ``label``.
    """
    return source + LABELS_SUFFIX


@dataclass(frozen=True)
class Page:
    """Rows after the caller's last id, and the new last id (unchanged when there are none)."""

    rows: tuple[Any, ...]
    last_id: int


@dataclass(frozen=True)
class WindowPoint:
    """One prediction window as the plots show it: volume is its ``count``; ``latency_ms`` is
    usually empty (today's batch and REST window summaries carry no latency)."""

    id: int
    model_version_id: int | None
    window_start: int
    window_end: int
    count: int
    score_mean: float | None
    positive_rate: float | None
    latency_ms: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Cursor:
    """The last ids a view has seen of one source."""

    drift: int = 0
    divergence: int = 0
    windows: int = 0
    alerts: int = 0


@dataclass(frozen=True)
class Updates:
    source: str
    drift: tuple[DriftResult, ...]
    divergence: tuple[DivergenceResult, ...]
    windows: tuple[WindowPoint, ...]
    alerts: tuple[Alert, ...]
    cursor: Cursor
    findings: tuple[WindowFinding, ...] = ()  # the new windows' expectation violations

    @property
    def empty(self) -> bool:
        """Whether nothing new arrived (findings come only with new windows)."""
        return not (self.drift or self.divergence or self.windows or self.alerts)


@dataclass(frozen=True)
class PerformancePoint:
    window_id: int
    window_start: int
    window_end: int
    n: int
    estimated_accuracy: float | None  # None: not a binary classifier's window, or no scores
    realised_accuracy: float | None  # None: no labelled prediction in the window
    n_labelled: int


@dataclass(frozen=True)
class Performance:
    source: str
    points: tuple[PerformancePoint, ...]
    last_id: int
    calibration: str  # "isotonic" or "none"
    reference_rows: int  # labelled rows the calibration was fitted on (0: raw scores)
    threshold: float
    positive_class: str | None


# -- plain reads ------------------------------------------------------------------------


def monitoring_sources(store: Store, actor: str) -> list[str]:
    """Sources with drift, divergence or prediction windows (never the labels sources)."""
    with store.read() as uow:
        acting(uow, actor)
        return [s for s in uow.results.sources() if not s.endswith(LABELS_SUFFIX)]


def drift_rows(store: Store, actor: str, source: str, since_id: int = 0) -> Page:
    """Drift results of ``source`` after ``since_id`` (any user of the store may read them)."""
    with store.read() as uow:
        acting(uow, actor)
        rows = uow.results.drift(source, since_id=since_id)
    return Page(tuple(rows), rows[-1].id if rows else since_id)


def divergence_rows(store: Store, actor: str, source: str, since_id: int = 0) -> Page:
    """Canary divergence results of ``source`` after ``since_id``."""
    with store.read() as uow:
        acting(uow, actor)
        rows = uow.results.divergence(source, since_id=since_id)
    return Page(tuple(rows), rows[-1].id if rows else since_id)


def prediction_windows(store: Store, actor: str, source: str, since_id: int = 0) -> Page:
    """Windows as :class:`WindowPoint` (volume = ``count``; latency when the summary has it)."""
    with store.read() as uow:
        acting(uow, actor)
        rows = uow.predictions.windows(source, since_id=since_id)
    return Page(tuple(window_point(w) for w in rows), rows[-1].id if rows else since_id)


def window_point(window: PredictionWindow) -> WindowPoint:
    """The plotted figures of a window. Latency is the summary's ``latency_ms`` when present: a
    number (taken as the mean) or a mapping such as ``{"p50": …, "p99": …}``."""
    summary = window.summary or {}
    return WindowPoint(window.id, window.model_version_id, window.window_start, window.window_end,
                       window.count, _number(summary.get("score_mean")),
                       _number(summary.get("positive_rate")), _latency(summary.get("latency_ms")))


def updates(store: Store, actor: str, source: str, cursor: Cursor | None = None) -> Updates:
    """Everything new about ``source`` since ``cursor``, read in one transaction."""
    cursor = cursor or Cursor()
    with store.read() as uow:
        acting(uow, actor)
        drift = uow.results.drift(source, since_id=cursor.drift)
        divergence = uow.results.divergence(source, since_id=cursor.divergence)
        windows = uow.predictions.windows(source, since_id=cursor.windows)
        alerts = uow.alerts.all(source=source, since_id=cursor.alerts)
    moved = Cursor(drift[-1].id if drift else cursor.drift,
                   divergence[-1].id if divergence else cursor.divergence,
                   windows[-1].id if windows else cursor.windows,
                   alerts[-1].id if alerts else cursor.alerts)
    return Updates(source, tuple(drift), tuple(divergence), tuple(window_point(w) for w in windows),
                   tuple(alerts), moved, tuple(_window_findings(windows)))


@dataclass(frozen=True)
class WindowFinding:
    """A deviation finding of one prediction window."""

    window_id: int
    window_start: int
    window_end: int
    finding: Finding


def expectation_findings(store: Store, actor: str, source: str, since_id: int = 0
                         ) -> list[WindowFinding]:
    """The expectation violations the prediction log recorded in ``source``'s windows.

    Read from the windows' summary ``expectations`` (checked against the served node's window
    expectations), one ``deviation.Finding`` per violation; the log raised the matching
    ``deviation`` alerts when it wrote each window.
    """
    with store.read() as uow:
        acting(uow, actor)
        windows = uow.predictions.windows(source, since_id=since_id)
    return _window_findings(windows)


def _window_findings(windows: list[PredictionWindow]) -> list[WindowFinding]:
    from workbench.monitoring.deviation import expectation_findings as findings_of

    out = []
    for window in windows:
        checked = (window.summary or {}).get("expectations") or {}
        for finding in findings_of(list(checked.get("violations") or [])):
            out.append(WindowFinding(window.id, window.window_start, window.window_end, finding))
    return out


# -- alerts -----------------------------------------------------------------------------


def list_alerts(store: Store, actor: str, *, status: str | None = "open", source: str | None = None,
                since_id: int = 0, project: str | None = None) -> list[Alert]:
    """Alerts (open ones by default; ``status=None`` for all; of one project when given), oldest first."""
    with store.read() as uow:
        acting(uow, actor)
        project_id = None if project is None else uow.projects.get(project).id
        return uow.alerts.all(status=status, source=source, since_id=since_id, project_id=project_id)


def acknowledge_alert(store: Store, actor: str, alert_id: int) -> Alert:
    """Acknowledge an open alert (``alerts.acknowledge`` in the project of the alert's run)."""
    with store.write(actor) as uow:
        authorise(uow, actor, "alerts.acknowledge", uow.projects.by_id(uow.alerts.project_of(alert_id)))
        return uow.alerts.acknowledge(alert_id)


# -- label-free performance -------------------------------------------------------------


def performance(store: Store, actor: str, source: str, *, since_id: int = 0, threshold: float = 0.5,
                reference_rows: int = 500) -> Performance:
    """CBPE accuracy estimate and realised accuracy per prediction window of ``source``.

    CBPE (``workbench.monitoring.cbpe``) applies to binary classifiers (windows whose summary has a
    ``positive_rate``); a window's scores come from its ``score_histogram`` (bin centres weighted
    by counts, each score within half a bin of its true value). Calibration is isotonic on the
    first ``reference_rows`` labelled predictions (:func:`labels_source`), in id order; with no
    labelled rows of both classes the raw scores are trusted (``calibration="none"``). The realised
    accuracy of a window is the share of its labelled predictions (by time, within
    ``[window_start, window_end]``) whose predicted label equals the true one.
    """
    from workbench.monitoring.cbpe import CBPEModel, fit_cbpe

    with store.read() as uow:
        acting(uow, actor)
        windows = uow.predictions.windows(source, since_id=since_id)
        truth: dict[str, str] = {}
        for row in _logged(uow, labels_source(source)):
            if row["label"] is not None:
                truth[row["request_id"]] = row["label"]
        labelled = [r for r in _logged(uow, source) if r["request_id"] in truth] if truth else []
    ts = np.asarray([r["ts"] for r in labelled], dtype=np.int64)
    predicted = np.asarray([str(r["label"]) for r in labelled], dtype=object)
    actual = np.asarray([truth[r["request_id"]] for r in labelled], dtype=object)
    scores = np.asarray([np.nan if r["score"] is None else r["score"] for r in labelled], dtype=np.float64)

    positive = _positive_class(predicted, scores, threshold)
    model = CBPEModel(threshold, "none")
    used = 0
    if positive is not None:
        usable = np.flatnonzero(np.isfinite(scores) & (scores >= 0) & (scores <= 1))[:reference_rows]
        y = actual[usable] == positive
        if usable.size >= 2 and y.any() and not y.all():
            model = fit_cbpe(scores[usable], y, threshold=threshold)
            used = int(usable.size)

    points = []
    for window in windows:
        estimated = _estimate(model, window.summary or {})
        inside = (ts >= window.window_start) & (ts <= window.window_end)
        n_labelled = int(inside.sum())
        realised = float(np.mean(predicted[inside] == actual[inside])) if n_labelled else None
        points.append(PerformancePoint(window.id, window.window_start, window.window_end, window.count,
                                       estimated, realised, n_labelled))
    return Performance(source, tuple(points), windows[-1].id if windows else since_id, model.calibration,
                       used, threshold, positive)


def _logged(uow: Any, source: str) -> Iterator[dict[str, Any]]:
    since = 0
    while True:
        rows = uow.predictions.logged(source, since_id=since, limit=PAGE_ROWS)
        yield from rows
        if len(rows) < PAGE_ROWS:
            return
        since = rows[-1]["id"]


def _positive_class(predicted: np.ndarray, scores: np.ndarray, threshold: float) -> str | None:
    """The class the model predicts when its score is at or above the threshold."""
    above = predicted[np.isfinite(scores) & (scores >= threshold)]
    if above.size == 0:
        return None
    names, counts = np.unique(above.astype(str), return_counts=True)
    return str(names[int(np.argmax(counts))])


def _estimate(model: Any, summary: dict[str, Any]) -> float | None:
    if summary.get("positive_rate") is None:
        return None
    histogram = summary.get("score_histogram") or {}
    edges = np.asarray(histogram.get("edges") or [], dtype=np.float64)
    counts = np.asarray(histogram.get("counts") or [], dtype=np.float64)
    if edges.size < 2 or counts.size != edges.size - 1 or edges[0] < 0 or edges[-1] > 1:
        return None
    repeats = np.nan_to_num(counts).astype(np.int64).clip(0)
    if repeats.sum() == 0:
        return None
    scores = np.repeat((edges[:-1] + edges[1:]) / 2.0, repeats)
    return float(model.estimate(scores).estimated["accuracy"])


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _latency(value: Any) -> dict[str, float]:
    if _number(value) is not None:
        return {"mean": float(value)}
    if isinstance(value, dict):
        return {str(k): float(v) for k, v in value.items() if _number(v) is not None}
    return {}
