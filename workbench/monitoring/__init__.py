"""Pure numeric monitoring analytics: drift, data deviation, canary divergence, A/B tests,
label-free performance estimates and KPI impact.

numpy, pandas and scipy only at import time of a module (statsmodels and scikit-learn are imported
inside the functions that need them); no Qt and no store access: callers pass data in and
write the plain dataclasses that come back to the store themselves.

Modules: ``profile`` (reference profiles), ``univariate`` (method kernels), ``methods``
(names, defaults, thresholds), ``drift`` (``compare``), ``report``, ``deviation``,
``multivariate``, ``windowing``, ``cbpe``, ``canary``, ``abtest``, ``kpi``, ``io``.

The package imports none of its modules itself: a name below is imported from its module the
first time it is asked for (PEP 562), so the command line, which loads this package to list its
commands, does not pay for scipy.stats, and a step that needs one kernel loads only its module.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what a reader and a type checker see; at run time _MODULE_OF does the work
    from workbench.monitoring.abtest import ABTestResult, ab_test, two_proportion_ztest, welch_ttest
    from workbench.monitoring.canary import (
        CanaryResult,
        McNemarResult,
        TrafficCheck,
        cohen_kappa,
        compare_predictions,
        mcnemar_test,
        same_traffic,
    )
    from workbench.monitoring.cbpe import CBPEEstimate, CBPEModel, fit_cbpe
    from workbench.monitoring.columns import KINDS, detect_kind
    from workbench.monitoring.deviation import DeviationSettings, Finding
    from workbench.monitoring.drift import check_deviation, compare
    from workbench.monitoring.kpi import (
        CrossCorrelation,
        EventImpact,
        ImpactResult,
        deployment_impact,
        lagged_cross_correlation,
        regularise,
    )
    from workbench.monitoring.methods import (
        DEFAULT_DRIFT_THRESHOLD,
        DEFAULT_SIGNIFICANCE,
        METHODS,
        default_method,
    )
    from workbench.monitoring.multivariate import (
        MultivariateResult,
        PcaDriftModel,
        domain_classifier_drift,
        fit_pca_drift,
        pca_reconstruction_drift,
    )
    from workbench.monitoring.profile import (
        CategoricalProfile,
        NumericProfile,
        ProfileSettings,
        ReferenceProfile,
        fit_profile,
    )
    from workbench.monitoring.report import ColumnVerdict, DriftReport, MethodResult, json_safe
    from workbench.monitoring.windowing import Alert, WindowedMonitor, WindowResult

_NAMES = {
    "abtest": ("ABTestResult", "ab_test", "two_proportion_ztest", "welch_ttest"),
    "canary": (
        "CanaryResult", "McNemarResult", "TrafficCheck", "cohen_kappa", "compare_predictions",
        "mcnemar_test", "same_traffic",
    ),
    "cbpe": ("CBPEEstimate", "CBPEModel", "fit_cbpe"),
    "columns": ("KINDS", "detect_kind"),
    "deviation": ("DeviationSettings", "Finding"),
    "drift": ("check_deviation", "compare"),
    "kpi": (
        "CrossCorrelation", "EventImpact", "ImpactResult", "deployment_impact",
        "lagged_cross_correlation", "regularise",
    ),
    "methods": ("DEFAULT_DRIFT_THRESHOLD", "DEFAULT_SIGNIFICANCE", "METHODS", "default_method"),
    "multivariate": (
        "MultivariateResult", "PcaDriftModel", "domain_classifier_drift", "fit_pca_drift",
        "pca_reconstruction_drift",
    ),
    "profile": (
        "CategoricalProfile", "NumericProfile", "ProfileSettings", "ReferenceProfile",
        "fit_profile",
    ),
    "report": ("ColumnVerdict", "DriftReport", "MethodResult", "json_safe"),
    "windowing": ("Alert", "WindowedMonitor", "WindowResult"),
}
"""Each module of the package → the names it exports through it."""
_MODULE_OF = {name: module for module, names in _NAMES.items() for name in names}


def __getattr__(name: str) -> Any:
    """An exported name, imported from its module the first time it is asked for."""
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_MODULE_OF})

__all__ = [
    "DEFAULT_DRIFT_THRESHOLD",
    "DEFAULT_SIGNIFICANCE",
    "KINDS",
    "METHODS",
    "ABTestResult",
    "Alert",
    "CBPEEstimate",
    "CBPEModel",
    "CanaryResult",
    "CategoricalProfile",
    "ColumnVerdict",
    "CrossCorrelation",
    "DeviationSettings",
    "DriftReport",
    "EventImpact",
    "Finding",
    "ImpactResult",
    "McNemarResult",
    "MethodResult",
    "MultivariateResult",
    "NumericProfile",
    "PcaDriftModel",
    "ProfileSettings",
    "ReferenceProfile",
    "TrafficCheck",
    "WindowResult",
    "WindowedMonitor",
    "ab_test",
    "check_deviation",
    "cohen_kappa",
    "compare",
    "compare_predictions",
    "default_method",
    "deployment_impact",
    "detect_kind",
    "domain_classifier_drift",
    "fit_cbpe",
    "fit_pca_drift",
    "fit_profile",
    "json_safe",
    "lagged_cross_correlation",
    "mcnemar_test",
    "pca_reconstruction_drift",
    "regularise",
    "same_traffic",
    "two_proportion_ztest",
    "welch_ttest",
]
