"""Multivariate drift: PCA reconstruction error and a domain-classifier test.

Both encode a frame the same way, fitted on the reference (``Encoder``): numeric columns
are imputed with the reference median; categorical and boolean columns with their most
frequent reference value and one-hot encoded over their ``max_categories`` most frequent
reference categories (anything else falls in one "other" column); every encoded column is
standardised by the reference mean and standard deviation (1 where it is 0).

* **PCA reconstruction** (``fit_pca_drift``): principal components of the encoded reference
  (eigen-decomposition of its covariance) are kept until they explain ``variance`` (65%) of
  it. A row's error is the Euclidean distance between it and its reconstruction. The
  reference is cut into consecutive chunks of ``chunk_size`` rows (default: a tenth of it);
  the mean error of each chunk gives ``mean ± sigma·std`` (3σ) as the band; a current
  window drifted when its mean error leaves the band. Use a chunk size close to the size
  of the windows that will be compared: the band's width depends on it.
* **Domain classifier** (``domain_classifier_drift``): up to ``max_rows`` rows of each side
  labelled 0 (reference) and 1 (current); a gradient-boosting classifier's out-of-fold ROC
  AUC says how well they can be told apart. The threshold is the ``1 - alpha`` quantile of
  the same AUC with the labels permuted ``permutations`` times; the p-value is
  ``(1 + #{permuted >= observed}) / (1 + permutations)``.

scikit-learn is imported inside the classifier function only.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from workbench.errors import InvalidInputError
from workbench.monitoring.columns import detect_kind, numeric_column

MULTIVARIATE_COLUMN = "*all"  # how the columns-together test is named among the per-column drift results


@dataclass(frozen=True)
class MultivariateResult:
    method: str
    statistic: float
    drifted: bool
    lower: float | None = None
    upper: float | None = None
    p_value: float | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class Encoder:
    numeric: tuple[str, ...]
    medians: np.ndarray
    categorical: tuple[str, ...]
    categories: tuple[tuple, ...]
    modes: tuple
    means: np.ndarray
    scales: np.ndarray

    @property
    def columns(self) -> tuple[str, ...]:
        return self.numeric + self.categorical

    def raw(self, frame: pd.DataFrame) -> np.ndarray:
        missing = [c for c in self.columns if c not in frame.columns]
        if missing:
            raise InvalidInputError(
                f"the data lacks column(s) the reference had: {', '.join(missing)}"
            )
        width = len(self.numeric) + sum(len(c) + 1 for c in self.categories)
        out = np.empty((len(frame), width), dtype=np.float64)
        for i, name in enumerate(self.numeric):
            values = pd.to_numeric(frame[name], errors="coerce").to_numpy(
                np.float64, na_value=np.nan
            )
            values = np.where(np.isfinite(values), values, self.medians[i])
            out[:, i] = values
        at = len(self.numeric)
        for name, cats, mode in zip(self.categorical, self.categories, self.modes, strict=True):
            series = frame[name].astype(object).where(frame[name].notna(), mode)
            where = pd.Index(list(cats), dtype=object).get_indexer(series)
            block = out[:, at : at + len(cats) + 1]
            block[:] = 0.0
            where = np.where(where < 0, len(cats), where)
            block[np.arange(len(frame)), where] = 1.0
            at += len(cats) + 1
        return out

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        matrix = self.raw(frame)
        matrix -= self.means
        matrix /= self.scales
        return matrix


def fit_encoder(
    reference: pd.DataFrame, columns: Sequence[str] | None = None, max_categories: int = 20
) -> Encoder:
    if not isinstance(reference, pd.DataFrame) or reference.shape[0] < 2:
        raise InvalidInputError("multivariate drift needs a reference DataFrame of 2+ rows")
    names = [str(c) for c in (columns if columns is not None else reference.columns)]
    numeric, categorical, medians, categories, modes = [], [], [], [], []
    for name in names:
        if name not in reference.columns:
            raise InvalidInputError(f"column {name!r} is not in the reference")
        kind = detect_kind(reference[name])
        if kind == "numeric":
            values = numeric_column(reference[name]).values
            if values.shape[0] == 0:
                continue  # all missing: nothing to learn
            numeric.append(name)
            medians.append(float(np.median(values)))
        elif kind in ("categorical", "boolean"):
            counts = reference[name].astype(object).value_counts(dropna=True)
            if counts.empty:
                continue
            categorical.append(name)
            categories.append(tuple(counts.index[:max_categories]))
            modes.append(counts.index[0])
    if not numeric and not categorical:
        raise InvalidInputError("no column of the reference can be encoded for multivariate drift")
    partial = Encoder(
        tuple(numeric),
        np.asarray(medians),
        tuple(categorical),
        tuple(categories),
        tuple(modes),
        np.zeros(0),
        np.ones(0),
    )
    matrix = partial.raw(reference)
    means = matrix.mean(axis=0)
    scales = matrix.std(axis=0)
    scales[scales == 0] = 1.0
    return Encoder(
        tuple(numeric),
        np.asarray(medians),
        tuple(categorical),
        tuple(categories),
        tuple(modes),
        means,
        scales,
    )


@dataclass(frozen=True, eq=False)
class PcaDriftModel:
    encoder: Encoder
    components: np.ndarray  # (features, k), orthonormal columns
    explained: float
    chunk_size: int
    chunk_errors: np.ndarray
    lower: float
    upper: float

    @property
    def n_components(self) -> int:
        return int(self.components.shape[1])

    def errors(self, frame: pd.DataFrame) -> np.ndarray:
        """Per-row reconstruction error (Euclidean distance to the reconstruction)."""
        x = self.encoder.transform(frame)
        projected = x @ self.components
        squared = np.einsum("ij,ij->i", x, x) - np.einsum("ij,ij->i", projected, projected)
        return np.sqrt(np.clip(squared, 0.0, None))

    def compare(self, current: pd.DataFrame) -> MultivariateResult:
        if not isinstance(current, pd.DataFrame) or current.shape[0] == 0:
            raise InvalidInputError("the current data has no rows", where="current data")
        value = float(np.mean(self.errors(current)))
        return MultivariateResult(
            method="pca_reconstruction",
            statistic=value,
            drifted=not (self.lower <= value <= self.upper),
            lower=self.lower,
            upper=self.upper,
            detail={
                "n_components": self.n_components,
                "explained_variance": self.explained,
                "chunk_size": self.chunk_size,
                "n_rows": int(current.shape[0]),
            },
        )


def fit_pca_drift(
    reference: pd.DataFrame,
    *,
    columns: Sequence[str] | None = None,
    variance: float = 0.65,
    chunk_size: int | None = None,
    sigma: float = 3.0,
    max_categories: int = 20,
) -> PcaDriftModel:
    if not 0 < variance <= 1:
        raise InvalidInputError(f"variance must be in (0, 1], got {variance!r}")
    encoder = fit_encoder(reference, columns, max_categories)
    x = encoder.transform(reference)
    cov = (x.T @ x) / x.shape[0]
    eigenvalues, vectors = np.linalg.eigh(cov)
    order = np.argsort(eigenvalues)[::-1]
    eigenvalues = np.clip(eigenvalues[order], 0.0, None)
    vectors = vectors[:, order]
    total = eigenvalues.sum()
    share = np.cumsum(eigenvalues) / total if total > 0 else np.ones_like(eigenvalues)
    k = int(min(np.searchsorted(share, variance - 1e-12) + 1, len(eigenvalues)))
    size = chunk_size or max(len(reference) // 10, 1)
    if size > len(reference) // 2:
        raise InvalidInputError(
            f"chunk_size {size} leaves fewer than two reference chunks of {len(reference)} rows"
        )
    partial = PcaDriftModel(encoder, vectors[:, :k], float(share[k - 1]), size, np.zeros(0), 0, 0)
    errors = partial.errors(reference)
    n_chunks = len(errors) // size
    chunk_errors = errors[: n_chunks * size].reshape(n_chunks, size).mean(axis=1)
    centre, spread = float(chunk_errors.mean()), float(chunk_errors.std(ddof=1))
    return PcaDriftModel(
        encoder,
        vectors[:, :k],
        float(share[k - 1]),
        size,
        chunk_errors,
        centre - sigma * spread,
        centre + sigma * spread,
    )


def pca_reconstruction_drift(
    reference: pd.DataFrame, current: pd.DataFrame, **options: Any
) -> MultivariateResult:
    """Fit on ``reference`` (chunks of ``len(current)`` rows unless given) and compare."""
    if isinstance(current, pd.DataFrame) and "chunk_size" not in options:
        options["chunk_size"] = min(len(current), max(len(reference) // 2, 1)) or None
    return fit_pca_drift(reference, **options).compare(current)


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """ROC AUC from ranks (Mann–Whitney U), ties counted half; NaN when one class is absent."""
    labels = np.asarray(labels).astype(bool)
    n_pos = int(labels.sum())
    n_neg = labels.shape[0] - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    from scipy.stats import rankdata

    ranks = rankdata(scores)
    return float((ranks[labels].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def domain_classifier_drift(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    *,
    columns: Sequence[str] | None = None,
    max_rows: int = 10_000,
    folds: int = 3,
    permutations: int = 20,
    alpha: float = 0.05,
    seed: int = 0,
    classifier: Any = None,
) -> MultivariateResult:
    """Can a classifier tell reference rows from current ones? (AUC against a permutation null)."""
    from sklearn.base import clone
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import StratifiedKFold
    from threadpoolctl import threadpool_limits

    if not isinstance(current, pd.DataFrame) or len(current) < folds:
        raise InvalidInputError(f"the current data needs at least {folds} rows")
    if len(reference) < folds:
        raise InvalidInputError(f"the reference needs at least {folds} rows")
    if permutations < 1 or not 0 < alpha < 1:
        raise InvalidInputError("permutations must be >= 1 and alpha in (0, 1)")
    rng = np.random.default_rng(seed)

    def sample(frame: pd.DataFrame) -> pd.DataFrame:
        if len(frame) <= max_rows:
            return frame
        return frame.iloc[np.sort(rng.choice(len(frame), max_rows, replace=False))]

    ref, cur = sample(reference), sample(current)
    encoder = fit_encoder(ref, columns)
    x = np.vstack([encoder.transform(ref), encoder.transform(cur)])
    y = np.concatenate([np.zeros(len(ref), int), np.ones(len(cur), int)])
    model = (
        classifier
        if classifier is not None
        else HistGradientBoostingClassifier(
            max_iter=40, max_leaf_nodes=15, learning_rate=0.2, random_state=seed
        )
    )

    def cv_auc(labels: np.ndarray, split_seed: int) -> float:
        out = np.empty(len(labels))
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=split_seed)
        for train, test in splitter.split(x, labels):
            fitted = clone(model).fit(x[train], labels[train])
            out[test] = fitted.predict_proba(x[test])[:, 1]
        return roc_auc(labels, out)

    # OpenMP threads cost more than they give on a few thousand rows (and much more on a
    # busy machine): small problems are fitted on one thread.
    limit = threadpool_limits(1) if len(y) < 50_000 else contextlib.nullcontext()
    with limit:
        observed = cv_auc(y, seed)
        null = np.array([cv_auc(rng.permutation(y), seed + 1 + i) for i in range(permutations)])
    threshold = float(np.quantile(null, 1 - alpha))
    p_value = float((1 + np.sum(null >= observed)) / (1 + permutations))
    return MultivariateResult(
        method="domain_classifier",
        statistic=observed,
        drifted=bool(observed > threshold),
        upper=threshold,
        p_value=p_value,
        detail={
            "n_reference": len(ref),
            "n_current": len(cur),
            "folds": folds,
            "permutations": permutations,
            "null_mean": float(null.mean()),
        },
    )
