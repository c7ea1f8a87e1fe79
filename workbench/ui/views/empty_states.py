"""What the monitoring plots say when a source has no data for them — why, and which source
or node would have it — and the note under the label-free estimate. Plain words for the
operator; no Qt here.

Rules: a reason names the source, the kind of node that writes the missing data, and where
to look instead — another source of this store whose name suggests it has the data, when
there is one (a hint, never a promise)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

NO_STORE_DATA = ("No monitoring results in this store yet: run a graph with inference, drift monitor or canary "
                 "nodes, or the demo (workbench demo).")


def elsewhere(source: str, known: Iterable[str], word: str) -> str:
    """' (such as 'x')' for the first other source whose last part contains ``word``."""
    names = sorted(s for s in known if word in s.rsplit("/", 1)[-1] and s != source)
    return f" (such as '{names[0]}')" if names else ""


def reading(source: str) -> str:
    return f"Reading '{source}'…"


def no_drift(source: str, known: Iterable[str]) -> str:
    return (f"No drift results for '{source}'. A drift monitor node writes them for the prediction windows it "
            f"watches: choose a drift monitor's source{elsewhere(source, known, 'drift')}, or add a drift "
            f"monitor to the graph and run it.")


def no_divergence(source: str, known: Iterable[str]) -> str:
    return (f"No canary divergence for '{source}'. A canary comparator node writes it when champion and "
            f"challenger score the same traffic: choose a comparator's source"
            f"{elsewhere(source, known, 'canary')}, or run the canary template.")


def no_windows(source: str, known: Iterable[str]) -> str:
    return (f"No prediction windows for '{source}'. Batch and REST inference nodes write them: choose an "
            f"inference node's source{elsewhere(source, known, 'champion')}.")


def no_latency(source: str, known: Iterable[str], windows: int) -> str:
    if not windows:
        return no_windows(source, known)
    return (f"The {windows} prediction windows of '{source}' carry no latency: batch and REST inference do "
            f"not record one. A window whose summary has latency_ms (milliseconds, or p50/p99) is drawn here.")


def no_performance(source: str, known: Iterable[str], result: Any, failure: str | None = None) -> str:
    """Why there is no label-free estimate; ``result`` is a ``services.monitoring.Performance``
    (or None while it is computed)."""
    if failure is not None:
        return f"No label-free estimate for '{source}': {failure}"
    if result is None:
        return f"Estimating the accuracy of '{source}'…"
    if not result.points:
        return (f"No prediction windows for '{source}', so there is nothing to estimate: choose an inference "
                f"node's source{elsewhere(source, known, 'champion')}.")
    return (f"The {len(result.points)} prediction windows of '{source}' have no score histogram of a binary "
            f"classifier, which the estimate (CBPE) needs, and no labels have arrived for them (logged under "
            f"'{source}#labels').")


def estimate_note(result: Any) -> str:
    """How the label-free estimate (a ``services.monitoring.Performance``) was made."""
    if result.calibration == "isotonic":
        how = f"calibrated (isotonic) on {result.reference_rows} labelled predictions"
    elif result.reference_rows:
        how = f"raw scores kept (calibrating on {result.reference_rows} labelled predictions did not improve them)"
    else:
        how = "raw scores taken as probabilities (no labelled reference of both classes)"
    labelled = sum(p.n_labelled for p in result.points)
    n, estimated = len(result.points), sum(p.estimated_accuracy is not None for p in result.points)
    gaps = "" if estimated == n else f" ({n - estimated} have no score histogram of a binary classifier)"
    return (f"CBPE, threshold {result.threshold:g}, {how}; estimated for {estimated} of {n} windows{gaps}; "
            f"{labelled} labelled predictions" + ("" if labelled else f" (true labels are logged under "
                                                                  f"'{result.source}#labels')"))
