"""The SSH bundle ships everything the step runtime imports: a module the runtime reaches
(at module level or inside a function) but the bundle leaves out fails a step on a remote
host with ModuleNotFoundError. The keyring lookup is the one guarded exception."""

from __future__ import annotations

import grimp

from workbench.engines.ssh.bundle import INCLUDED

GUARDED = {"workbench.governance.secrets"}  # looked up only where the workbench is installed


def _shipped(module: str) -> bool:
    path = module.removeprefix("workbench").lstrip(".").replace(".", "/")
    for entry in INCLUDED:
        entry = entry.removesuffix(".py").removesuffix("/__init__")
        if entry == "__init__" and path == "":
            return True
        if path == entry or path.startswith(entry + "/"):
            return True
    return False


def test_the_bundle_ships_every_module_the_runtime_imports() -> None:
    graph = grimp.build_graph("workbench")
    runtime = {m for m in graph.modules if m.startswith(("workbench.engines.runtime", "workbench.monitoring"))}
    reached = set(runtime)
    for module in runtime:
        reached |= graph.find_upstream_modules(module)
    reached = {m for m in reached if m.startswith("workbench")} - GUARDED
    missing = sorted(m for m in reached if not _shipped(m))
    assert not missing, f"the SSH bundle leaves out modules the step runtime imports: {missing}"
    assert _shipped("workbench.progress") and not _shipped("workbench.store.db")
