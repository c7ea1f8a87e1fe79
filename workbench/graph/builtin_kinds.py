"""The node kinds the workbench ships: data, training, gates, serving, monitoring, triggers.

Rules: plain ``NodeKind`` data only, no behaviour (engines and the orchestrator give the
kinds meaning). Kind ids, port names and parameter names are part of the file format: rename
one only together with a file-format upgrade step.
"""

from __future__ import annotations

from workbench.graph.kinds import NodeKind, ParamSpec, PortSpec

__all__ = ["BUILTIN_KINDS"]

_MODEL_NAME = ParamSpec(
    "model_name", "str", default="", doc="registered model name (empty: the node id)"
)
_TRIGGER_IN = PortSpec("trigger", "signal", doc="starts a new run (e.g. retraining on drift)")
_TRAIN_OUT = (
    PortSpec("model", "model", doc="the trained model version"),
    PortSpec("metrics", "metrics", doc="training and hold-out metrics"),
)
_DATA_IN = PortSpec("data", "dataset", required=True, doc="training data with its target column")
_ALERT_OUT = PortSpec("alert", "signal", doc="fires when the threshold is crossed")

DATA_SOURCE = NodeKind(
    "data_source",
    "Data source",
    category="data",
    doc="Reads a table: a CSV or Parquet file, a SQL query, a built-in sample data set, or (on a "
    "Spark target) a table of the Spark catalog.",
    outputs=(PortSpec("data", "dataset", doc="the table"),),
    params=(
        ParamSpec(
            "format",
            "choice",
            default="builtin",
            choices=("csv", "parquet", "sql", "builtin", "table"),
            doc="where the table comes from (table: Spark targets only)",
        ),
        ParamSpec(
            "path", "path", default="", doc="CSV or Parquet file (Spark: also a directory or URL)"
        ),
        ParamSpec(
            "query",
            "str",
            default="",
            doc="SQL query (format sql; on Spark without url: Spark SQL), or the table name "
            "(format table)",
        ),
        ParamSpec("url", "str", default="", doc="database URL (format sql)"),
        ParamSpec("builtin", "str", default="breast_cancer", doc="built-in sample data set"),
        ParamSpec("target", "str", default="target", doc="name of the label column"),
        ParamSpec("expectations", "mapping", default=None,
                  doc="what the table must look like: rows {min, max}; columns {name: {type, min, "
                      "max, allowed, max_null_rate, unique}}; a table that falls short fails the step "
                      "with each violation named"),
    ),
)

TRANSFORM = NodeKind(
    "transform",
    "Transform",
    category="data",
    doc="Derives, filters or joins columns with SQL (over the table 'data') or a Python "
        "transform(frame) function, giving the columns it declares.",
    inputs=(PortSpec("data", "dataset", required=True, doc="the table to transform"),),
    outputs=(PortSpec("data", "dataset", doc="the transformed table"),),
    params=(
        ParamSpec("sql", "str", default=None, doc="a SELECT over the table named data (or give script)"),
        ParamSpec("script", "path", default=None, code=True,
                  doc="a Python file defining transform(frame) -> frame, from a declared code folder"),
        ParamSpec("columns", "list", default=[], item_type="str", required=True,
                  doc="the columns the transform gives"),
    ),
)

TRAIN_SKLEARN = NodeKind(
    "train_sklearn",
    "Train (scikit-learn)",
    category="training",
    doc="Fits a scikit-learn estimator and registers the result as a new model version.",
    inputs=(_DATA_IN, _TRIGGER_IN),
    outputs=_TRAIN_OUT,
    params=(
        ParamSpec(
            "estimator",
            "import_path",
            default="sklearn.linear_model.LogisticRegression",
            required=True,
            doc="estimator class",
        ),
        ParamSpec(
            "estimator_params", "mapping", default={}, doc="keyword arguments of the estimator"
        ),
        _MODEL_NAME,
    ),
)

TRAIN_TORCH = NodeKind(
    "train_torch",
    "Train (PyTorch)",
    category="training",
    doc="Trains a PyTorch network (a built-in MLP unless a script is given) on CPU or GPU.",
    inputs=(_DATA_IN, _TRIGGER_IN),
    outputs=_TRAIN_OUT,
    params=(
        ParamSpec("script", "path", default="", code=True,
                  doc="training script (empty: the built-in MLP), from a declared code folder"),
        ParamSpec(
            "hidden_sizes",
            "list",
            default=[32, 16],
            item_type="int",
            min=1,
            doc="hidden layer widths of the MLP",
        ),
        ParamSpec("epochs", "int", default=20, min=1, doc="passes over the training data"),
        ParamSpec(
            "learning_rate",
            "float",
            default=0.01,
            min=0.0,
            exclusive_min=True,
            doc="optimizer step size",
        ),
        ParamSpec(
            "device",
            "choice",
            default="auto",
            choices=("auto", "cpu", "cuda", "mps"),
            doc="where to train",
        ),
        ParamSpec(
            "batch_size",
            "int",
            default=0,
            min=0,
            doc="rows per mini-batch; 0: chosen for the device (64 on the CPU, up to 4096 on a GPU)",
        ),
        ParamSpec(
            "precision",
            "choice",
            default="auto",
            choices=("auto", "fp32", "bf16", "fp16"),
            doc="arithmetic of the built-in MLP (auto: bf16 on a CUDA GPU that has it, else fp32; "
            "fp16 needs a CUDA GPU)",
        ),
        _MODEL_NAME,
    ),
)

TRAIN_SPARK = NodeKind(
    "train_spark",
    "Train (Spark MLlib)",
    category="training",
    doc="Trains a Spark MLlib pipeline (feature vector + estimator) on data that stays "
    "distributed; runs only on Spark targets, and its model is scored on Spark too.",
    inputs=(_DATA_IN, _TRIGGER_IN),
    outputs=_TRAIN_OUT,
    params=(
        ParamSpec(
            "algorithm",
            "choice",
            default="logistic_regression",
            choices=("logistic_regression", "gbt", "random_forest"),
            doc="estimator (gbt: two classes or regression)",
        ),
        ParamSpec(
            "max_iter",
            "int",
            default=100,
            min=1,
            doc="iterations (logistic regression), boosting rounds (gbt) or trees (random forest)",
        ),
        ParamSpec(
            "features",
            "list",
            default=[],
            item_type="str",
            doc="feature columns (empty: every numeric column)",
        ),
        ParamSpec("label", "str", default="", doc="label column (empty: the data's target)"),
        _MODEL_NAME,
    ),
)

EVALUATE = NodeKind(
    "evaluate",
    "Evaluate",
    category="training",
    doc="Scores a model on a data set.",
    inputs=(
        PortSpec("model", "model", required=True, doc="model to score"),
        PortSpec("data", "dataset", required=True, doc="labelled evaluation data"),
    ),
    outputs=(PortSpec("metrics", "metrics", doc="evaluation metrics"),),
    params=(
        ParamSpec("sensitive_features", "list", default=[], item_type="str",
                  doc="columns of the data whose groups are compared for fairness (binary "
                      "classifiers): selection rate, TPR, FPR, precision, accuracy per group"),
    ),
)

APPROVAL_GATE = NodeKind(
    "approval_gate",
    "Approval gate",
    category="governance",
    doc="Holds a model until a person with the approver role signs it off (or it expires).",
    inputs=(
        PortSpec("model", "model", required=True, doc="model awaiting approval"),
        PortSpec("metrics", "metrics", doc="evidence shown to the approver"),
    ),
    outputs=(PortSpec("model", "model", doc="the approved model"),),
    params=(
        ParamSpec(
            "approver_role", "choice", default="approver", required=True,
            choices=("approver", "admin", "engineer", "operator", "scientist"),
            doc="the role a decider must hold besides approver (the services and the database check it)"
        ),
        ParamSpec(
            "expires_after_hours",
            "float",
            default=72.0,
            min=0.0,
            doc="request lapses after this (0: never)",
        ),
        ParamSpec(
            "min_parity_ratio",
            "float",
            default=0.0,
            min=0.0,
            max=1.0,
            doc="fairness policy: the evaluation's demographic-parity ratio must be at least this "
                "for every sensitive feature (0: no policy); the request shows whether it holds",
        ),
    ),
)

PROMOTE = NodeKind(
    "promote",
    "Promote",
    category="governance",
    doc="Points an alias (champion, challenger, …) of a registered model at this version.",
    inputs=(PortSpec("model", "model", required=True, doc="model version to promote"),),
    outputs=(PortSpec("model", "model", doc="the promoted model"),),
    params=(
        ParamSpec("model_name", "str", required=True, doc="registered model name"),
        ParamSpec(
            "alias",
            "choice",
            default="champion",
            choices=("candidate", "challenger", "champion", "archived"),
            doc="alias to set",
        ),
    ),
)

ENSEMBLE = NodeKind(
    "ensemble",
    "Ensemble",
    category="training",
    doc="Combines several models into one by voting or averaging.",
    inputs=(PortSpec("models", "model", required=True, multiple=True, doc="member models"),),
    outputs=(PortSpec("model", "model", doc="the ensemble"),),
    params=(
        ParamSpec(
            "method",
            "choice",
            default="soft_vote",
            choices=("soft_vote", "average"),
            doc="how members are combined",
        ),
    ),
)

INFERENCE = NodeKind(
    "inference",
    "Inference",
    category="serving",
    doc="Scores data with a model: the connected one, or the registered model's alias.",
    inputs=(
        PortSpec("model", "model", doc="model to serve (else model_name and alias)"),
        PortSpec("data", "dataset", required=True, doc="data to score"),
    ),
    outputs=(PortSpec("predictions", "predictions", doc="scored rows"),),
    params=(
        ParamSpec(
            "mode",
            "choice",
            default="batch",
            choices=("batch", "rest", "stream"),
            doc="how requests arrive",
        ),
        _MODEL_NAME,
        ParamSpec(
            "alias",
            "choice",
            default="",
            choices=("", "champion", "challenger", "candidate"),
            doc="registered alias to serve",
        ),
        ParamSpec("expectations", "mapping", default=None,
                  doc="what rows served over REST must look like (as a data source's): a request "
                      "row that breaks type, min, max or allowed is refused (422); rows per window, "
                      "max_null_rate and unique are checked per prediction window and raise "
                      "deviation alerts; a batch scored in a run is checked per prediction window "
                      "against every rule, and what it breaks becomes deviation findings and "
                      "alerts (the step still succeeds)"),
    ),
)

COMPARATOR = NodeKind(
    "comparator",
    "Comparator",
    category="monitoring",
    doc="Compares a challenger's predictions with the champion's (canary or champion/challenger).",
    inputs=(
        PortSpec("champion", "predictions", required=True, doc="champion predictions"),
        PortSpec("challenger", "predictions", required=True, doc="challenger predictions"),
    ),
    outputs=(PortSpec("metrics", "metrics", doc="divergence per window"), _ALERT_OUT),
    params=(
        ParamSpec(
            "mode",
            "choice",
            default="canary",
            choices=("canary", "champion_challenger"),
            doc="comparison pattern",
        ),
        ParamSpec(
            "threshold", "float", default=0.1, min=0.0, doc="divergence that raises an alert"
        ),
        ParamSpec(
            "traffic_split",
            "float",
            default=0.1,
            min=0.0,
            max=1.0,
            doc="share of traffic the challenger gets",
        ),
        ParamSpec(
            "shadow",
            "bool",
            default=False,
            doc="challenger scores in the shadow, answers are not served",
        ),
    ),
)

DRIFT_MONITOR = NodeKind(
    "drift_monitor",
    "Drift monitor",
    category="monitoring",
    doc="Compares current data (and optionally predictions) with a reference, window by window.",
    inputs=(
        PortSpec("reference", "dataset", required=True, doc="reference (training) data"),
        PortSpec("current", "dataset", required=True, doc="production data"),
        PortSpec("predictions", "predictions", doc="production predictions (prediction drift)"),
    ),
    outputs=(PortSpec("metrics", "metrics", doc="drift statistics per window"), _ALERT_OUT),
    params=(
        ParamSpec(
            "methods",
            "list",
            default=["psi", "ks"],
            item_type="str",
            choices=("psi", "ks", "js", "chi2", "wasserstein"),
            doc="drift statistics",
        ),
        # the workbench's one default drift threshold (workbench.monitoring.DEFAULT_DRIFT_THRESHOLD;
        # this layer cannot import it, a test keeps the two equal)
        ParamSpec("threshold", "float", default=0.1, min=0.0,
                  doc="distance that counts as drift (the tests keep p < 0.05)"),
        ParamSpec("window_size", "int", default=500, min=1, doc="rows per window"),
        ParamSpec("id_columns", "list", default=[], item_type="str",
                  doc="key columns, left out of drift (id-like columns are left out anyway)"),
        ParamSpec("exclude", "list", default=[], item_type="str", doc="columns left out of drift"),
        ParamSpec("multivariate", "choice", default=None, choices=("pca", "classifier"),
                  doc="also test the columns together, per window: pca (reconstruction error "
                      "against the reference's 3σ band) or classifier (can a model tell the window "
                      "from the reference? AUC against a permutation test); shown as column '*all'"),
        ParamSpec("include", "list", default=[], item_type="str",
                  doc="columns checked although they look like ids"),
        ParamSpec(
            "consecutive_windows",
            "int",
            default=3,
            min=1,
            doc="drifting windows in a row before an alert",
        ),
    ),
)

AB_TEST = NodeKind(
    "ab_test",
    "A/B test",
    category="monitoring",
    doc="Tests a business outcome between two variants from one row per unit (a 0/1 outcome: "
        "two-proportion z-test; otherwise Welch's t), with the effect's confidence interval and "
        "the smallest effect the test could have found.",
    inputs=(PortSpec("data", "dataset", required=True, doc="one row per unit: its variant and outcome"),),
    outputs=(PortSpec("metrics", "metrics", doc="the test's result"),),
    params=(
        ParamSpec("variant_column", "str", default="variant", required=True, doc="which variant a unit saw"),
        ParamSpec("outcome_column", "str", default="converted", required=True, doc="the unit's outcome"),
        ParamSpec("control", "str", default="", doc="the control variant (A); empty: the first by name"),
        ParamSpec("alpha", "float", default=0.05, min=0.0, max=0.5, exclusive_min=True,
                  doc="significance level"),
        ParamSpec("power", "float", default=0.8, min=0.0, max=1.0, exclusive_min=True,
                  doc="power for the minimum detectable effect"),
        ParamSpec("alternative", "choice", default="two-sided", choices=("two-sided", "greater", "less"),
                  doc="what B is tested for against A"),
    ),
)

KPI_SOURCE = NodeKind(
    "kpi_source",
    "KPI source",
    category="data",
    doc="Imports a business KPI time series to mark deployments on.",
    outputs=(PortSpec("kpi", "kpi", doc="the KPI series"),),
    params=(
        ParamSpec("path", "path", default="", doc="CSV or Parquet file"),
        ParamSpec("time_column", "str", default="timestamp", doc="time column"),
        ParamSpec("value_column", "str", default="value", doc="KPI value column"),
    ),
    standalone=True,
)

TRIGGER = NodeKind(
    "trigger",
    "Trigger",
    category="automation",
    doc="Starts downstream runs on a schedule, on a promotion, on a drift alert or by hand.",
    inputs=(PortSpec("alert", "signal", multiple=True, doc="alerts that fire the trigger"),),
    outputs=(PortSpec("start", "signal", doc="start signal"),),
    params=(
        ParamSpec(
            "on",
            "choice",
            default="manual",
            choices=("schedule", "model_promoted", "drift_alert", "manual"),
            doc="what fires it",
        ),
        ParamSpec("interval_minutes", "int", default=60, min=1, doc="period (on: schedule)"),
    ),
)

BUILTIN_KINDS: tuple[NodeKind, ...] = (
    DATA_SOURCE,
    TRANSFORM,
    TRAIN_SKLEARN,
    TRAIN_TORCH,
    TRAIN_SPARK,
    EVALUATE,
    APPROVAL_GATE,
    PROMOTE,
    ENSEMBLE,
    INFERENCE,
    COMPARATOR,
    DRIFT_MONITOR,
    AB_TEST,
    KPI_SOURCE,
    TRIGGER,
)
