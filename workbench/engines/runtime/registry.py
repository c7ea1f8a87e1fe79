"""The executor registry: node kind id → the function that runs one step of that kind.

Rules: one executor per kind, ``(StepContext) -> StepOutcome``; the kinds the orchestrator
handles itself (``approval_gate``, ``promote``, ``trigger``) are never run here and asking for
them, or for an unknown kind, is an ``InvalidInputError`` naming the node. ``train_spark``
(Spark MLlib) runs only on the Spark engine; here its executor refuses with a clear error.
Importing this module imports no heavy library (each executor imports what it needs when it
runs).

Plug-in kinds bring their executor through the entry point group ``workbench.node_executors``
of an installed distribution: the entry point's name is the kind id, its value
``package.module:function`` a function with the built-in executors' contract,
``(StepContext) -> StepOutcome``. It is looked up where the step runs (the local Python, an
SSH host's Python, the Spark driver), only for a kind that is not built in (a plug-in cannot
replace a built-in executor), and only in installed metadata: a graph names the kind, never the
code. The function must live in the distribution that declares it (a package cannot route a
kind to another package's code); it is imported only when its step runs. The step's ``info``
and every output's ``meta`` record ``plugin: {package, version, executor}`` and the package
joins the step's ``libraries``, so lineage says which plug-in code produced the outputs; an import failure, a non-callable object or a result that is not a
``StepOutcome`` fails the step naming the package.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from workbench.engines.runtime.data import run_data_source, run_kpi_source
from workbench.engines.runtime.events import log
from workbench.engines.runtime.monitors import run_ab_test, run_comparator, run_drift_monitor
from workbench.engines.runtime.serving import run_inference
from workbench.engines.runtime.spec import StepContext, StepOutcome
from workbench.engines.runtime.torch_training import run_train_torch
from workbench.engines.runtime.training import run_ensemble, run_evaluate, run_train_sklearn
from workbench.engines.runtime.transform import run_transform
from workbench.errors import InvalidInputError

__all__ = ["EXECUTORS", "ORCHESTRATOR_KINDS", "PLUGIN_EXECUTORS", "Executor", "PluginExecutor",
           "executor_for", "plugin_executor"]

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


PLUGIN_EXECUTORS = "workbench.node_executors"


@dataclass(frozen=True)
class PluginExecutor:
    """Where a plug-in kind's executor comes from (installed metadata; nothing imported yet)."""

    kind: str
    value: str  # package.module:function
    package: str  # the distribution that declares it
    version: str

    @property
    def module(self) -> str:
        """The module the executor lives in."""
        return self.value.partition(":")[0].strip()

    def describe(self) -> dict[str, str]:
        """What lineage records: package, version and executor."""
        return {"package": self.package, "version": self.version, "executor": self.value}


def plugin_executor(kind: str) -> PluginExecutor | None:
    """The installed plug-in that declares ``kind``'s executor, or None (built-in kinds: None)."""
    if kind in EXECUTORS or kind in ORCHESTRATOR_KINDS:
        return None
    from importlib import metadata

    try:
        found = [ep for ep in metadata.entry_points(group=PLUGIN_EXECUTORS) if ep.name == kind]
    except Exception:  # a broken installation: as if nothing declared it
        return None
    if not found:
        return None
    ep = found[0]
    dist = getattr(ep, "dist", None)
    return PluginExecutor(kind, ep.value, str(dist.name) if dist else "",
                          str(dist.version) if dist else "")


def _canonical(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def _load_plugin(found: PluginExecutor, where: str) -> Executor:
    from importlib import import_module, metadata

    named = f"plug-in package {found.package!r} ({found.version})"
    top = found.module.split(".")[0]
    owners = [_canonical(d) for d in metadata.packages_distributions().get(top, [])]
    if not found.package or _canonical(found.package) not in owners:
        raise InvalidInputError(
            f"{named} declares the executor of node kind {found.kind!r} as {found.value!r}, but the "
            f"module {top!r} is not part of that package", where=where,
            hint="a plug-in's executor must live in the package that declares it; fix the "
                 "package's entry point")
    module_name, _, attribute = found.value.partition(":")
    try:
        target: object = import_module(module_name.strip())
        for part in attribute.strip().split(".") if attribute.strip() else []:
            target = getattr(target, part)
    except Exception as exc:
        raise InvalidInputError(
            f"the executor of node kind {found.kind!r} from {named} cannot be loaded "
            f"({found.value}): {type(exc).__name__}: {exc}", where=where,
            hint=f"reinstall {found.package} for the Python that runs this step") from None
    if not callable(target):
        raise InvalidInputError(f"{named} declares {found.value!r} as the executor of "
                                f"{found.kind!r}, which is not a function", where=where)
    function: Callable[[StepContext], object] = target

    def run(ctx: StepContext) -> StepOutcome:
        log(f"{found.kind} runs {found.value} from {found.package} {found.version}")
        outcome = function(ctx)
        if not isinstance(outcome, StepOutcome):
            raise InvalidInputError(f"the executor of {found.kind!r} from {named} returned a "
                                    f"{type(outcome).__name__}, not a StepOutcome", where=ctx.where)
        from workbench.engines.runtime.step import runtime_info

        described = found.describe()
        libraries = {**runtime_info()["libraries"], **dict(outcome.info.get("libraries") or {}),
                     found.package: found.version}
        outputs = {port: tuple(replace(a, meta={**a.meta, "plugin": described}) for a in artifacts)
                   for port, artifacts in outcome.outputs.items()}
        return replace(outcome, outputs=outputs,
                       info={**outcome.info, "plugin": described, "libraries": libraries})

    return run


def executor_for(kind: str, where: str) -> Executor:
    """The executor of ``kind`` (built in, else an installed plug-in's); ``where`` names the node."""
    if kind in ORCHESTRATOR_KINDS:
        raise InvalidInputError(
            f"kind {kind!r} is handled by the orchestrator and is not executed by an engine",
            where=where, hint="the orchestrator must not send this node to an engine")
    if kind in EXECUTORS:
        return EXECUTORS[kind]
    found = plugin_executor(kind)
    if found is not None:
        return _load_plugin(found, where)
    raise InvalidInputError(
        f"no executor for node kind {kind!r} in this Python", where=where,
        hint=f"built-in kinds: {', '.join(sorted(EXECUTORS))}; a plug-in kind runs where its "
             f"package is installed and declares the executor in the entry point group "
             f"{PLUGIN_EXECUTORS!r} (name: the kind id)")
