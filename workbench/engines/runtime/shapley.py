"""Shapley-value explanations of a model's predictions (SHAP values), numpy and pandas only.

Each explained row gets one value per feature and output; the values of a row add up to
``f(x) − E[f(background)]`` exactly (``base`` is that expectation), which the tests check.
A feature "absent" from a coalition takes the background rows' values (the interventional
definition SHAP's ``Independent`` masker and ``KernelExplainer`` use).

Three ways to compute them, chosen by ``explain``:

* ``additive_values`` — exact for models whose output is a sum of one function per raw feature:
  linear models (a scikit-learn linear estimator, alone or after the workbench's one-hot
  encoding), explained in their own output space — the log-odds of the positive class for
  logistic regression (``decision_function``), the prediction for a regressor. For a plain
  linear model this is ``coef × (x − background mean)``; it needs ``d + 1`` model calls;
* ``exact_values`` — all ``2^d`` coalitions (small feature counts), any model;
* ``permutation_values`` — the sampling estimator of Štrumbelj & Kononenko (2014) for any
  model (trees, ensembles, torch networks): ``n_permutations`` seeded orderings of the
  features, each followed by its reverse (antithetic pairs); a feature's value is the mean of
  its marginal contributions. Every ordering telescopes from ``E[f(background)]`` to ``f(x)``,
  so additivity holds exactly whatever the number of orderings; the sampling error shrinks as
  ``1/sqrt(n_permutations)``.

Output space of the model-agnostic ways: classifiers are explained as class probabilities
(binary: the positive class ``classes[1]``; more classes: one output per class), regressors
as their prediction. Rows are explained in chunks; ``progress`` hears a step per chunk (and
may cancel there) and ``deadline`` (a ``time.monotonic()`` value) stops the work with an
``ExplanationTooSlow`` error naming what to reduce.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from workbench.errors import InvalidInputError, WorkbenchError
from workbench.progress import Progress, quietly

Model = Callable[[pd.DataFrame], np.ndarray]  # rows → (n, outputs)
LINEAR_MODULE = "sklearn.linear_model"
EXACT_UP_TO = 2 ** 10  # coalitions evaluated exactly at most (d ≤ 10 when cheaper than sampling)


class ExplanationTooSlow(WorkbenchError):
    """Explaining the rows took longer than allowed."""


@dataclass(frozen=True)
class FeatureSummary:
    feature: str
    mean_abs: float  # mean |SHAP| over the explained rows (summed over outputs)
    direction: float  # correlation of the feature's value with its SHAP value (NaN: not numeric)


@dataclass(frozen=True)
class Explanation:
    features: tuple[str, ...]
    outputs: tuple[str, ...]  # what each output column explains, e.g. "log-odds of 'yes'"
    values: np.ndarray  # (rows, features, outputs)
    base: np.ndarray  # (outputs,) E[f(background)]
    method: str
    rows: pd.DataFrame  # the explained rows' feature values

    def summary(self) -> list[FeatureSummary]:
        """Global importance: mean |SHAP| per feature, most important first, with direction."""
        magnitude = np.abs(self.values).mean(axis=0).sum(axis=1) if len(self.values) else np.zeros(len(self.features))
        found = []
        for j, feature in enumerate(self.features):
            found.append(FeatureSummary(feature, float(magnitude[j]),
                                        _direction(self.rows[feature], self.values[:, j, :].sum(axis=1))))
        return sorted(found, key=lambda s: s.mean_abs, reverse=True)

    def to_json(self, *, per_row: bool = True) -> dict[str, Any]:
        """Plain data: features, outputs, base, method, the summary and (``per_row``) the values."""
        out: dict[str, Any] = {
            "features": list(self.features), "outputs": list(self.outputs), "method": self.method,
            "base": [float(b) for b in self.base], "rows": int(len(self.values)),
            "summary": [{"feature": s.feature, "mean_abs": s.mean_abs,
                         "direction": None if math.isnan(s.direction) else s.direction} for s in self.summary()]}
        if per_row:
            out["values"] = np.round(self.values, 10).tolist()
        return out


def _direction(values: pd.Series, contributions: np.ndarray) -> float:
    numeric = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)
    ok = ~np.isnan(numeric)
    if ok.sum() < 3 or np.std(numeric[ok]) == 0 or np.std(contributions[ok]) == 0:
        return float("nan")
    return float(np.corrcoef(numeric[ok], contributions[ok])[0, 1])


# ---------------------------------------------------------------------- coalitions
def _composite(x: pd.DataFrame, background: pd.DataFrame, masks: np.ndarray) -> pd.DataFrame:
    """For each row i of ``x`` and coalition mask ``masks[i, c]`` (features present), every
    background row with the present features taken from row i: ``len(x) × C × len(bg)`` rows."""
    n, c = masks.shape[0], masks.shape[1]
    m = len(background)
    columns = {}
    for j, name in enumerate(x.columns):
        xs = np.repeat(x[name].to_numpy(), c * m)
        bs = np.tile(background[name].to_numpy(), n * c)
        take = np.repeat(masks[:, :, j].reshape(-1), m)
        columns[name] = np.where(take, xs, bs)
        if x[name].dtype == background[name].dtype and x[name].dtype != object:
            columns[name] = columns[name].astype(x[name].dtype)
    return pd.DataFrame(columns)


def _coalition_means(f: Model, x: pd.DataFrame, background: pd.DataFrame, masks: np.ndarray) -> np.ndarray:
    """``v[i, c, k]`` = mean over the background of output k with coalition ``masks[i, c]``."""
    n, c = masks.shape[0], masks.shape[1]
    out = np.asarray(f(_composite(x, background, masks)), dtype=np.float64)
    out = out.reshape(n, c, len(background), -1)
    return out.mean(axis=2)


def exact_values(f: Model, x: pd.DataFrame, background: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Shapley values over all ``2^d`` coalitions: ``(values (n, d, k), base (k,))``."""
    d = x.shape[1]
    subsets = [s for size in range(d + 1) for s in combinations(range(d), size)]
    index = {s: i for i, s in enumerate(subsets)}
    masks = np.zeros((len(subsets), d), dtype=bool)
    for i, s in enumerate(subsets):
        masks[i, list(s)] = True
    v = _coalition_means(f, x, background, np.broadcast_to(masks, (len(x), *masks.shape)))
    values = np.zeros((len(x), d, v.shape[2]))
    for s in subsets:
        if len(s) == d:
            continue
        weight = math.factorial(len(s)) * math.factorial(d - len(s) - 1) / math.factorial(d)
        for j in range(d):
            if j not in s:
                values[:, j, :] += weight * (v[:, index[tuple(sorted((*s, j)))], :] - v[:, index[s], :])
    return values, v[0, index[()], :]


def permutation_values(f: Model, x: pd.DataFrame, background: pd.DataFrame, *, n_permutations: int = 10,
                       seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Antithetic permutation sampling (see the module docstring): ``(values, base)``."""
    d = x.shape[1]
    rng = np.random.default_rng(seed)
    orders = []
    for _ in range(max(1, (n_permutations + 1) // 2)):
        order = rng.permutation(d)
        orders += [order, order[::-1]]
    # coalitions: for each ordering, its first k features for k = 0..d
    masks = np.zeros((len(orders), d + 1, d), dtype=bool)
    for p, order in enumerate(orders):
        for k in range(1, d + 1):
            masks[p, k, order[:k]] = True
    flat = masks.reshape(-1, d)
    keep = np.ones(len(flat), dtype=bool)
    keep[::d + 1] = False  # the empty coalition is the same for every row: computed once
    inner = flat[keep]
    v_inner = _coalition_means(f, x, background, np.broadcast_to(inner, (len(x), *inner.shape)))
    base = np.asarray(f(background), dtype=np.float64).reshape(len(background), -1).mean(axis=0)
    k_out = v_inner.shape[2]
    flat_v = np.empty((len(x), len(flat), k_out))
    flat_v[:, keep, :] = v_inner
    flat_v[:, ~keep, :] = base
    v = flat_v.reshape(len(x), len(orders), d + 1, k_out)
    values = np.zeros((len(x), d, k_out))
    for p, order in enumerate(orders):
        values[:, order, :] += v[:, p, 1:, :] - v[:, p, :-1, :]
    return values / len(orders), base


def additive_values(g: Model, x: pd.DataFrame, background: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Exact values of a model additive in its raw features (see the module docstring)."""
    d = x.shape[1]
    reference = background.iloc[[0]].reset_index(drop=True)
    eye = np.eye(d, dtype=bool)[None, :, :]
    at_x = _coalition_means(g, x, reference, np.broadcast_to(eye, (len(x), d, d)))  # (n, d, k)
    at_bg = _coalition_means(g, background, reference, np.broadcast_to(eye, (len(background), d, d)))
    base = np.asarray(g(background), dtype=np.float64).reshape(len(background), -1).mean(axis=0)
    return at_x - at_bg.mean(axis=0)[None, :, :], base


def linear_values(coef: np.ndarray, x: np.ndarray, background: np.ndarray) -> np.ndarray:
    """``coef × (x − background mean)`` for a linear model on numeric features: ``(n, d)``."""
    return (np.asarray(x, np.float64) - np.asarray(background, np.float64).mean(axis=0)) * np.asarray(coef, np.float64)


# ---------------------------------------------------------------------- models
def _linear_margin(predictor: Any) -> tuple[Model, tuple[str, ...]] | None:
    """The margin function of a scikit-learn linear model (after one-hot encoding at most)."""
    estimator = getattr(predictor, "estimator", None)
    if estimator is None:
        return None
    final = estimator.steps[-1][1] if hasattr(estimator, "steps") else estimator
    steps = [s for _, s in estimator.steps[:-1]] if hasattr(estimator, "steps") else []
    if not type(final).__module__.startswith(LINEAR_MODULE) or not hasattr(final, "coef_"):
        return None
    if any(type(s).__name__ != "ColumnTransformer" for s in steps):
        return None
    features = list(predictor.features)
    if predictor.is_classifier:
        if len(predictor.classes) != 2 or not hasattr(estimator, "decision_function"):
            return None
        name = "log-odds" if type(final).__name__ in ("LogisticRegression", "LogisticRegressionCV") else "margin"
        return (lambda df: np.asarray(estimator.decision_function(df[features]), np.float64).reshape(-1, 1),
                (f"{name} of {predictor.classes[1]!r}",))
    return (lambda df: np.asarray(estimator.predict(df[features]), np.float64).reshape(-1, 1),
            (f"prediction of {predictor.target or 'the target'}",))


def _agnostic(predictor: Any) -> tuple[Model, tuple[str, ...]]:
    if predictor.is_classifier:
        probe = predictor.proba_matrix
        classes = list(predictor.classes)
        if len(classes) == 2:
            return (lambda df: np.asarray(probe(df))[:, 1:2],
                    (f"probability of {classes[1]!r}",))
        return (lambda df: np.asarray(probe(df)), tuple(f"probability of {c!r}" for c in classes))
    return (lambda df: np.asarray(predictor.predict(df), np.float64).reshape(-1, 1),
            (f"prediction of {predictor.target or 'the target'}",))


def explain(predictor: Any, rows: pd.DataFrame, background: pd.DataFrame, *, n_permutations: int = 10,
            seed: int = 0, chunk: int = 16, progress: Progress | None = None,
            deadline: float | None = None, where: str = "explanations", additive: bool = True) -> Explanation:
    """SHAP values of ``rows`` for a loaded ``Predictor`` against ``background`` rows;
    ``additive=False`` explains linear models too in the model-agnostic output space (class
    probabilities), so that they compare with other models."""
    progress = quietly(progress)
    features = tuple(predictor.features)
    missing = [c for c in features if c not in rows.columns or c not in background.columns]
    if missing:
        raise InvalidInputError(f"the rows lack the feature column(s) {', '.join(missing[:10])} the model needs",
                                where=where, hint="explain rows with the columns the model was trained on")
    if len(background) == 0:
        raise InvalidInputError("no background rows to explain against", where=where,
                                hint="give the explanation at least one background row")
    if predictor.is_classifier and predictor.proba_matrix(background.head(1)) is None:
        raise InvalidInputError("the model gives no class probabilities, which its explanation needs",
                                where=where, hint="use an estimator with predict_proba")
    x = rows.loc[:, list(features)].reset_index(drop=True)
    bg = background.loc[:, list(features)].reset_index(drop=True)
    d = len(features)
    linear = _linear_margin(predictor) if additive else None
    sampled = 2 * max(1, (n_permutations + 1) // 2) * (d - 1)
    if linear is not None:
        (f, outputs), way = linear, "additive"
        method = f"exact (additive model), {len(bg)} background rows"
    else:
        f, outputs = _agnostic(predictor)
        way = "exact" if 2 ** d <= min(EXACT_UP_TO, max(sampled, 4)) else "sampled"
        method = (f"exact (all {2 ** d} coalitions), {len(bg)} background rows" if way == "exact" else
                  f"permutation sampling ({sampled // max(d - 1, 1)} orderings, seed {seed}), {len(bg)} background rows")

    def work(part: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        if way == "additive":
            return additive_values(f, part, bg)
        if way == "exact":
            return exact_values(f, part, bg)
        return permutation_values(f, part, bg, n_permutations=n_permutations, seed=seed)

    parts, base = [], np.zeros(len(outputs))
    total = max(1, math.ceil(len(x) / chunk))
    for i, start in enumerate(range(0, len(x), chunk)):
        progress.step(i, total, f"explaining rows {start + 1}–{min(start + chunk, len(x))} of {len(x)}")
        if deadline is not None and time.monotonic() > deadline:
            raise ExplanationTooSlow(f"explaining {len(x)} rows took too long (stopped after {start})", where=where,
                                     hint="explain fewer rows at a time, or use fewer background rows")
        values, base = work(x.iloc[start:start + chunk].reset_index(drop=True))
        parts.append(values)
    if not parts:
        base = np.asarray(f(bg), np.float64).reshape(len(bg), -1).mean(axis=0)
    progress.step(total, total, "explained")
    values = np.concatenate(parts) if parts else np.zeros((0, d, len(outputs)))
    return Explanation(features, outputs, values, np.asarray(base, np.float64), method, x)
