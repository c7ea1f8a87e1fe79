"""``python -m workbench.orchestrator.worker --store URL --run ID``: drive one run to its end.

Started detached by ``workbench run`` and ``workbench runs resume`` (and by the GUI); its
output goes to the run's log file beside the artifacts. Exit status 0 when the run
succeeded, 1 otherwise.
"""

from __future__ import annotations

import argparse
import sys

from workbench.errors import WorkbenchError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="workbench-worker")
    parser.add_argument("--store", required=True)
    parser.add_argument("--run", type=int, required=True)
    parser.add_argument("--max-parallel", type=int, default=2)
    args = parser.parse_args(argv)
    from workbench.orchestrator.runner import RunDriver
    from workbench.store import open_store

    try:
        store = open_store(args.store)
    except WorkbenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from workbench.governance.store_signing import KeyringSigner

    store.enable_signing(KeyringSigner(store))  # the run's audit entries are signed like the GUI's
    try:
        status = RunDriver(store, args.run, max_parallel=args.max_parallel).drive()
    finally:
        store.close()
    print(f"run {args.run} {status}")
    return 0 if status == "succeeded" else 1


if __name__ == "__main__":
    sys.exit(main())
