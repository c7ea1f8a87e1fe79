"""The executor registry: node kind id → the function that runs one step of that kind.

Rules: one executor per kind, ``(StepContext) -> StepOutcome``; the kinds the orchestrator
handles itself (``approval_gate``, ``promote``, ``trigger``) are never run here and asking for
them, or for an unknown kind, is an ``InvalidInputError`` naming the node. ``train_spark``
(Spark MLlib) runs only on the Spark engine; here its executor refuses with a clear error.
Importing this module imports no heavy library (each executor imports what it needs when it
runs).
"""

from __future__ import annotations

from collections.abc import Callable

from workbench.engines.runtime.data import run_data_source, run_kpi_source
from workbench.engines.runtime.monitors import run_ab_test, run_comparator, run_drift_monitor
from workbench.engines.runtime.serving import run_inference
from workbench.engines.runtime.spec import StepContext, StepOutcome
from workbench.engines.runtime.torch_training import run_train_torch
from workbench.engines.runtime.training import run_ensemble, run_evaluate, run_train_sklearn
from workbench.engines.runtime.transform import run_transform
from workbench.errors import InvalidInputError

__all__ = ["EXECUTORS", "ORCHESTRATOR_KINDS", "Executor", "executor_for"]

Executor = Callable[[StepContext], StepOutcome]


def refuse_train_spark(ctx: StepContext) -> StepOutcome:
    raise InvalidInputError("train_spark trains with Spark MLlib and runs only on a Spark target",
                            where=ctx.where,
                            hint="assign the node to a Spark target (workbench targets add spark …), "
                                 "or use train_sklearn here")


EXECUTORS: dict[str, Executor] = {
    "data_source": run_data_source,
    "train_sklearn": run_train_sklearn,
    "train_torch": run_train_torch,
    "train_spark": refuse_train_spark,
    "evaluate": run_evaluate,
    "ensemble": run_ensemble,
    "inference": run_inference,
    "comparator": run_comparator,
    "drift_monitor": run_drift_monitor,
    "kpi_source": run_kpi_source,
    "transform": run_transform,
    "ab_test": run_ab_test,
}

#: Kinds whose behaviour is the orchestrator's (gates, registry aliases, run triggers).
ORCHESTRATOR_KINDS = frozenset({"approval_gate", "promote", "trigger"})


def executor_for(kind: str, where: str) -> Executor:
    if kind in ORCHESTRATOR_KINDS:
        raise InvalidInputError(
            f"kind {kind!r} is handled by the orchestrator and is not executed by an engine",
            where=where, hint="the orchestrator must not send this node to an engine")
    try:
        return EXECUTORS[kind]
    except KeyError:
        raise InvalidInputError(f"no executor for node kind {kind!r}", where=where,
                                hint=f"executable kinds: {', '.join(sorted(EXECUTORS))}") from None
