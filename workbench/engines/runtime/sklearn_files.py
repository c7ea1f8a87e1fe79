"""scikit-learn model files: written and read with skops, never with pickle.

``dump_estimator(estimator, path)`` writes a skops file (``skops.io``, a zip of a JSON schema and
numpy arrays) with deterministic bytes: skops names objects and array files by memory
address, so ids are renumbered in schema order, array files renamed to match and entries
written sorted with a fixed time — the same fitted model gives the same sha256 on any machine
(the artifact cache and reproducible re-runs rely on it). ``load_estimator(data, where)`` rebuilds the estimator from those bytes only when
every type the file names is trusted; it never unpickles.

Trusted types are (1) what skops trusts by default: Python primitives and containers, numpy
and scipy types and ufuncs, every public scikit-learn estimator and a few of its loss and
link types; (2) the estimator classes installed plug-ins declare (``workbench.estimators``);
(3) ``TRUSTED_SKLEARN_TYPES``, the scikit-learn internals that fitted built-in estimators hold
(decision trees, the histogram gradient boosting predictor, MLP optimisers, calibrators,
Tweedie losses). Not trusted, so refused when a model is saved: neighbour search trees
(``KDTree``/``BallTree``: compiled code indexes their arrays unchecked), Gaussian process
kernels, and the ``functools.partial`` a histogram gradient boosting model with native
categorical features holds. A
file that names any other type is refused with ``UntrustedModelError`` listing the types, and
nothing of it is rebuilt, so the named modules are never imported. The same check runs when a
model is saved: a fitted estimator that holds other types fails its training step instead of
producing a file nobody may load.

Trees are arrays that scikit-learn's compiled code walks without bounds checks, and skops can
vouch for a type but not for its contents, so after rebuilding every ``Tree`` and
``TreePredictor`` is checked: child indices point forwards inside the tree, features exist in
the data the owning estimator takes, categorical bitsets exist. A file that fails is refused.

A joblib pickle (what earlier workbench versions wrote) is refused, never loaded: unpickling
runs whatever code the file names. Retraining the model writes it again in this format.

Rules: skops and scikit-learn are imported inside functions.
"""

from __future__ import annotations

import io
import json
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from workbench.errors import InvalidInputError, UnusableInputError, WorkbenchError

__all__ = [
    "MODEL_FORMAT",
    "TRUSTED_SKLEARN_TYPES",
    "UntrustedModelError",
    "canonical_bytes",
    "dump_estimator",
    "is_pickle",
    "load_estimator",
    "untrusted_types",
]

MODEL_FORMAT = "skops"

TRUSTED_SKLEARN_TYPES = frozenset({
    "sklearn.tree._tree.Tree",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
    "sklearn.neural_network._stochastic_optimizers.SGDOptimizer",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn._loss.loss.HalfTweedieLoss",
    "sklearn._loss.loss.HalfTweedieLossIdentity",
})
_TREE = "sklearn.tree._tree.Tree"
_TREE_PREDICTOR = "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"
_MAX_WALK = 200_000
_RETRAIN = "run the model's training node again to write it as a skops file"


class UntrustedModelError(WorkbenchError):
    """A model file names types the workbench does not load, or is a pickle."""

    exit_code = 2


def is_pickle(data: bytes) -> bool:
    """Whether ``data`` looks like a pickle stream (protocol 2 or later) or a joblib file."""
    return data[:1] == b"\x80" or data[:6] == b"ZF\x00\x00\x00\x00"


def _is_skops(data: bytes) -> bool:
    if data[:2] != b"PK":
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "schema.json" in archive.namelist()
    except zipfile.BadZipFile:
        return False


_UNNEEDED_ON_IMPORT = "sklearn.externals.array_api_compat.torch"


def _skops_io() -> Any:
    """``skops.io``, imported without PyTorch where nothing has imported PyTorch yet.

    On its first import skops lists scikit-learn's estimators (``sklearn.utils.all_estimators``),
    and the walk over scikit-learn's packages imports each package it passes, among them the
    array-API shim for PyTorch, which imports torch: 1.1 of the 2.6 s that loading a model took
    in every scoring step and service. The walk skips a package that cannot be imported, and
    estimators are never listed from ``sklearn.externals``, so that one package is held back
    for the length of the import: what skops trusts is the same, and the shim imports normally
    afterwards for anyone who asks for it."""
    # once skops.io is in sys.modules (perhaps half-imported by another thread: the import
    # below waits for it) nothing is held back
    held = not {"skops.io", "torch", _UNNEEDED_ON_IMPORT} & sys.modules.keys()
    if held:
        sys.modules[_UNNEEDED_ON_IMPORT] = None  # type: ignore[assignment]  # import fails at once
    try:
        import skops.io as sio
    finally:
        if held and sys.modules.get(_UNNEEDED_ON_IMPORT, False) is None:
            del sys.modules[_UNNEEDED_ON_IMPORT]
    return sio


def _trusted() -> frozenset[str]:
    from workbench.estimators import plugin_estimators

    return TRUSTED_SKLEARN_TYPES | frozenset(plugin_estimators())


def _listed(data: bytes, where: str) -> list[str]:
    """The types of ``data`` (a skops file) that skops does not trust by itself."""
    sio = _skops_io()

    try:
        return list(sio.get_untrusted_types(data=data))
    except Exception as exc:
        raise UnusableInputError(f"not a readable skops model file: {exc}", where=where) from None


def untrusted_types(data: bytes, where: str) -> list[str]:
    """The types ``data`` (a skops file) names that the workbench does not trust, sorted."""
    trusted = _trusted()
    return sorted(t for t in _listed(data, where) if t not in trusted)


def dump_estimator(estimator: Any, path: Path, where: str) -> None:
    """Write ``estimator`` to ``path`` as a skops file; refuse one nobody could load."""
    sio = _skops_io()

    data = canonical_bytes(sio.dumps(estimator))
    refused = untrusted_types(data, where)
    if refused:
        raise InvalidInputError(
            f"the fitted {type(estimator).__name__} holds types a workbench model file may not "
            f"hold: {', '.join(refused)}", where=where,
            hint="choose another estimator; a model file holds only the types listed in "
                 "workbench.engines.runtime.sklearn_files")
    Path(path).write_bytes(data)


def canonical_bytes(data: bytes) -> bytes:
    """``data`` (a skops file) rewritten without memory addresses (see the module doc)."""
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        schema = json.loads(source.read("schema.json"))
        members = {n: source.read(n) for n in source.namelist() if n != "schema.json"}
    ids: dict[int, int] = {}
    names: dict[str, str] = {}

    def renumber(node: Any) -> Any:
        if isinstance(node, list):
            return [renumber(v) for v in node]
        if not isinstance(node, dict):
            return node
        out = {}
        for key, value in node.items():
            if key == "__id__" and type(value) is int:
                out[key] = ids.setdefault(value, len(ids) + 1)
            elif key == "file" and isinstance(value, str) and value in members:
                suffix = "." + value.rsplit(".", 1)[-1] if "." in value else ""
                out[key] = names.setdefault(value, f"{len(names) + 1}{suffix}")
            else:
                out[key] = renumber(value)
        return out

    schema = renumber(schema)
    files = {names.get(n, n): content for n, content in members.items()}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as target:
        entries = [("schema.json", json.dumps(schema, indent=2).encode("utf-8")),
                   *sorted(files.items())]
        for name, content in entries:
            info = zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            target.writestr(info, content)
    return buffer.getvalue()


def load_estimator(data: bytes, where: str) -> Any:
    """Rebuild an estimator from skops bytes whose types are all trusted, then check its trees."""
    if not _is_skops(data):
        if is_pickle(data):
            raise UntrustedModelError(
                "the model file is a pickle (joblib), which can run any code when it is "
                "loaded; it was not loaded", where=where, hint=_RETRAIN)
        raise UntrustedModelError("the model file is not a skops file; it was not loaded",
                                  where=where, hint=_RETRAIN)
    listed = _listed(data, where)
    trusted = _trusted()
    refused = sorted(t for t in listed if t not in trusted)
    if refused:
        raise UntrustedModelError(
            f"the model file names type(s) the workbench does not trust: {', '.join(refused)}; "
            "it was not loaded", where=where,
            hint="only scikit-learn types and estimators of installed plug-ins are loaded; "
                 "retrain the model from an allowed estimator")
    sio = _skops_io()

    try:
        estimator = sio.loads(data, trusted=listed)
    except Exception as exc:
        raise UnusableInputError(f"cannot rebuild the model from its skops file: {exc}",
                                 where=where) from None
    check_trees(estimator, where)
    return estimator


# ---------------------------------------------------------------------- content checks
def _type_name(obj: Any) -> str:
    return f"{type(obj).__module__}.{type(obj).__qualname__}"


def _children(obj: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(obj, dict):
        yield from ((str(k), v) for k, v in obj.items())
    elif isinstance(obj, list | tuple):
        yield from (("", v) for v in obj)
    elif isinstance(obj, np.ndarray):
        if obj.dtype == object:
            yield from (("", v) for v in obj.ravel())
    elif hasattr(obj, "__dict__") and not isinstance(obj, type):
        yield from vars(obj).items()


def check_trees(estimator: Any, where: str) -> None:
    """Refuse trees whose arrays would make scikit-learn read outside them (see module doc)."""
    seen: set[int] = set()
    stack: list[tuple[Any, Any, int | None]] = [(estimator, None, None)]
    while stack:
        obj, owner, ensemble_width = stack.pop()
        if id(obj) in seen or isinstance(obj, str | bytes | int | float | bool | type(None)):
            continue
        seen.add(id(obj))
        if len(seen) > _MAX_WALK:
            raise UntrustedModelError("the model holds too many objects to check", where=where)
        name = _type_name(obj)
        if name == _TREE:
            _check_tree(obj, owner, ensemble_width, where)
            continue
        if name == _TREE_PREDICTOR:
            _check_tree_predictor(obj, owner, where)
            continue
        width = getattr(obj, "n_features_in_", None) if hasattr(obj, "get_params") else None
        _check_boosting_shape(obj, where)
        for key, child in _children(obj):
            if key == "estimators_":
                child_width = width
            elif isinstance(obj, dict | list | tuple | np.ndarray) or key == "tree_":
                child_width = ensemble_width
            else:
                child_width = None
            child_owner = obj if hasattr(obj, "get_params") else owner
            stack.append((child, child_owner, child_width))


def _refuse(what: str, where: str) -> UntrustedModelError:
    return UntrustedModelError(f"the model file holds a malformed {what}; it was not loaded",
                               where=where, hint=_RETRAIN)


def _width(owner: Any) -> int:
    width = getattr(owner, "n_features_in_", None)
    if not isinstance(width, int | np.integer) or width < 1:
        raise UntrustedModelError("a tree in the model file has no owner that says how many "
                                  "features it takes; it was not loaded", where="")
    return int(width)


def _check_forward(left: np.ndarray, right: np.ndarray, leaf: np.ndarray) -> bool:
    n = len(left)
    index = np.arange(n)
    inner = ~leaf
    return bool(np.all((left[inner] > index[inner]) & (left[inner] < n)
                       & (right[inner] > index[inner]) & (right[inner] < n)))


def _check_tree(tree: Any, owner: Any, ensemble_width: int | None, where: str) -> None:
    try:
        width = _width(owner)
    except UntrustedModelError:
        raise _refuse("decision tree (no feature count)", where) from None
    n = int(tree.node_count)
    left, right = np.asarray(tree.children_left), np.asarray(tree.children_right)
    feature = np.asarray(tree.feature)
    leaf = left == -1
    if (n < 1 or len(left) != n or len(right) != n or len(feature) != n
            or np.asarray(tree.value).shape[0] != n or int(tree.n_features) != width
            or (ensemble_width is not None and width > int(ensemble_width))
            or np.any(right[leaf] != -1) or not _check_forward(left, right, leaf)
            or np.any((feature[~leaf] < 0) | (feature[~leaf] >= width))):
        raise _refuse("decision tree", where)


def _check_tree_predictor(predictor: Any, owner: Any, where: str) -> None:
    from sklearn.ensemble._hist_gradient_boosting.common import PREDICTOR_RECORD_DTYPE

    try:
        width = _width(owner)
    except UntrustedModelError:
        raise _refuse("gradient boosting tree (no feature count)", where) from None
    nodes = np.asarray(predictor.nodes)
    if nodes.dtype != PREDICTOR_RECORD_DTYPE or nodes.ndim != 1 or len(nodes) < 1:
        raise _refuse("gradient boosting tree", where)
    leaf = nodes["is_leaf"].astype(bool)
    left, right = nodes["left"].astype(np.int64), nodes["right"].astype(np.int64)
    feature = nodes["feature_idx"].astype(np.int64)
    categorical = nodes["is_categorical"].astype(bool) & ~leaf
    bitsets = np.asarray(predictor.raw_left_cat_bitsets)
    if not _check_forward(left, right, leaf) or np.any(feature[~leaf] >= width):
        raise _refuse("gradient boosting tree", where)
    if categorical.any():
        mapper = getattr(owner, "_bin_mapper", None)
        is_cat = np.asarray(getattr(mapper, "is_categorical_", []))
        if (bitsets.ndim != 2 or np.any(nodes["bitset_idx"][categorical] >= len(bitsets))
                or len(is_cat) != width or not _categories_fit(mapper, is_cat)):
            raise _refuse("gradient boosting tree (categories)", where)


def _categories_fit(mapper: Any, is_cat: np.ndarray) -> bool:
    """Known categories are written into 256-bit sets: each must be a value in [0, 256)."""
    thresholds = getattr(mapper, "bin_thresholds_", None)
    if thresholds is None or len(thresholds) != len(is_cat):
        return False
    for f_idx in np.flatnonzero(is_cat):
        values = np.asarray(thresholds[f_idx], dtype=np.float64)
        if np.any((values < 0) | (values >= 256) | ~np.isfinite(values)):
            return False
    return True


def _check_boosting_shape(obj: Any, where: str) -> None:
    """Gradient boosting adds each stage's trees into one column per class without bounds
    checks: the stage array must have exactly one column per tree of an iteration."""
    stages = getattr(obj, "estimators_", None)
    per_iteration = getattr(obj, "n_trees_per_iteration_", None)
    if (not isinstance(stages, np.ndarray) or per_iteration is None
            or _type_name(obj).split(".")[1:2] != ["ensemble"]):
        return
    classes = getattr(obj, "classes_", None)
    expected = 1 if classes is None or len(classes) <= 2 else len(classes)
    init = getattr(obj, "init_", None)
    init_classes = getattr(init, "classes_", None)
    if (stages.ndim != 2 or stages.shape[1] != int(per_iteration) or int(per_iteration) != expected
            or (classes is not None and init_classes is not None
                and len(init_classes) != len(classes))):
        raise _refuse("gradient boosting model (stage shape)", where)
