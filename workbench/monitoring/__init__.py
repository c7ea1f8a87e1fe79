"""Pure numeric monitoring analytics: drift, data deviation, canary divergence, A/B tests,
label-free performance estimates and KPI impact.

numpy, pandas and scipy only at import time (statsmodels and scikit-learn are imported
inside the functions that need them); no Qt and no store access: callers pass data in and
write the plain dataclasses that come back to the store themselves.

Modules: ``profile`` (reference profiles), ``univariate`` (method kernels), ``methods``
(names, defaults, thresholds), ``drift`` (``compare``), ``report``, ``deviation``,
``multivariate``, ``windowing``, ``cbpe``, ``canary``, ``abtest``, ``kpi``, ``io``.
"""

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
