"""Which estimator classes a graph may name: the estimator allow-list.

A graph file is untrusted input. Naming a class in it makes a training step import the
class's module, so the ``estimator`` parameter may name only:

* a scikit-learn estimator: ``sklearn.<module>.<Class>`` (e.g.
  ``sklearn.linear_model.LogisticRegression``) where the class is defined inside
  scikit-learn, derives from ``sklearn.base.BaseEstimator`` and has ``fit`` and ``predict``;
* a class that an installed plug-in declares in the entry point group
  ``mlops_workbench.estimators`` (``name = "package.module:Class"``); the graph names it
  ``package.module.Class``. Declare it under the module that defines the class, which is the
  name its saved models carry.

``estimator_refusal(name)`` says why ``name`` is not allowed, or ``None`` when it is. It decides
from the text first: a name outside ``sklearn.`` and outside the plug-ins' declarations is
refused without importing anything; only scikit-learn's own modules are imported to check a
``sklearn.`` name (once per name). Plug-in declarations are read from the installed packages'
metadata, not by importing them. Graph validation and the training step both ask here, so a
graph that slipped past validation is refused again before anything is imported.

Rules: standard library only at module level (the step runtime ships this module to remote
hosts); scikit-learn is imported inside functions.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import re
from importlib import metadata

__all__ = [
    "ENTRY_POINT_GROUP",
    "allowed_text",
    "estimator_refusal",
    "plugin_estimators",
]

ENTRY_POINT_GROUP = "mlops_workbench.estimators"

_PATH_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+\Z")
_SKLEARN_TEXT = "use a scikit-learn estimator such as sklearn.linear_model.LogisticRegression"


def plugin_estimators() -> tuple[str, ...]:
    """The class names installed plug-ins declare in ``mlops_workbench.estimators``, sorted.

    Read from package metadata on every call (cheap), so a plug-in installed while the
    workbench runs counts; nothing is imported. A malformed declaration is ignored."""
    try:
        found = metadata.entry_points(group=ENTRY_POINT_GROUP)
    except Exception:  # a broken installation must not open the allow-list or crash
        return ()
    names = set()
    for ep in found:
        module, _, attr = str(ep.value).partition(":")
        name = f"{module.strip()}.{attr.strip()}"
        if attr and _PATH_RE.match(name):
            names.add(name)
    return tuple(sorted(names))


def allowed_text() -> str:
    """What an ``estimator`` may name, in words (for error messages)."""
    plugins = plugin_estimators()
    if not plugins:
        return f"{_SKLEARN_TEXT}, or a class an installed plug-in declares in " \
            f"{ENTRY_POINT_GROUP!r}"
    return f"{_SKLEARN_TEXT}, or a plug-in estimator: {', '.join(plugins)}"


def estimator_refusal(name: object, *, deep: bool = True) -> str | None:
    """Why ``name`` may not be used as an estimator (the message names it), or ``None``.

    ``deep=False`` applies only the rules that need no import (the editor's live check, which
    must not spend a second importing scikit-learn on every open); planning a run and the
    training step always check deeply."""
    text = str(name).strip()
    if not _PATH_RE.match(text):
        return (f"estimator {text!r} is not an import path like "
                "'sklearn.linear_model.LogisticRegression'")
    if text in plugin_estimators():
        return None
    if not text.startswith("sklearn."):
        return f"estimator {text!r} is not allowed: {allowed_text()}"
    return _sklearn_refusal(text) if deep else None


@functools.lru_cache(maxsize=512)
def _sklearn_refusal(name: str) -> str | None:
    module_name, _, class_name = name.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return f"estimator {name!r}: scikit-learn has no module {module_name!r}"
    cls = getattr(module, class_name, None)
    if cls is None:
        return f"estimator {name!r}: module {module_name!r} has no {class_name!r}"
    from sklearn.base import BaseEstimator

    if (not inspect.isclass(cls) or not issubclass(cls, BaseEstimator)
            or not str(cls.__module__).startswith("sklearn.")
            or not hasattr(cls, "fit") or not hasattr(cls, "predict")):
        return f"estimator {name!r} is not a scikit-learn estimator with fit() and predict()"
    return None
