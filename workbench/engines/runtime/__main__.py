"""``python -m workbench.engines.runtime SPEC_JSON_PATH``: run one step in this process.

Exit status 0 on success. On a ``WorkbenchError``: ``result.json`` holds ``{"error": ...}``,
one line ``error: <message>`` goes to stderr, exit status 1. Any other exception: its
traceback goes to stderr (it is the step's log), exit status 1. stdout is line-buffered so
``@@workbench`` events reach the engine as they happen. While the step runs, a
``ResourceSampler`` (``resources.py``) sends its CPU, memory and GPU figures as metric events;
a step that runs out of memory fails with a message that says so and quotes its peak resident
memory.

Rules: nothing runs on import (only under ``__main__``), so tools that import every module
stay side-effect free.
"""

from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m workbench.engines.runtime SPEC_JSON_PATH", file=sys.stderr)
        return 2
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(line_buffering=True)
    from workbench.errors import WorkbenchError

    try:
        try:
            spec = json.loads(Path(args[0]).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            print(f"error: cannot read the step spec {args[0]!r}: {exc}", file=sys.stderr)
            return 1
        from workbench.engines.runtime.resources import start_sampler
        from workbench.engines.runtime.step import run_spec

        run = spec.get("run") if isinstance(spec, dict) else None
        step_id = run.get("step_id") if isinstance(run, dict) else None
        sampler = start_sampler(step_id if isinstance(step_id, int) else None)
        try:
            run_spec(spec)
        finally:
            sampler.stop()
    except WorkbenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except Exception:
        traceback.print_exc()
        return 1
    finally:
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
