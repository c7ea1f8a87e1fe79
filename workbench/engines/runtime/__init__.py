"""The step runtime: executes ONE graph node in its own process, from a JSON spec.

Entry points: ``python -m workbench.engines.runtime SPEC_JSON_PATH`` and
``run_spec(spec) -> result`` (``step.py``). The local engine runs it in a subprocess; the SSH
engine ships this package to remote hosts, so it imports neither the store, the orchestrator
nor Qt — only numpy, pandas, pyarrow and the standard library at module level (scikit-learn,
joblib and torch inside functions), plus ``workbench.errors`` and, inside the monitoring
executors, ``workbench.monitoring``.

Modules: ``spec`` (spec and outcome dataclasses), ``step`` (run and result file),
``registry`` (kind → executor), ``events`` (``@@workbench`` lines), ``artifacts`` (file
formats, column rules), ``split`` (the train/test split), ``metrics``, ``models`` (verified
loading, ``Predictor``), ``torch_support``; executors in ``data``, ``training``,
``torch_training``, ``serving``, ``monitors``.
"""

from workbench.engines.runtime.models import ModelIntegrityError, Predictor, load_model
from workbench.engines.runtime.registry import EXECUTORS, ORCHESTRATOR_KINDS
from workbench.engines.runtime.split import split_mask
from workbench.engines.runtime.step import run_spec

__all__ = [
    "EXECUTORS",
    "ORCHESTRATOR_KINDS",
    "ModelIntegrityError",
    "Predictor",
    "load_model",
    "run_spec",
    "split_mask",
]
