"""The executor interface every engine implements (local, Spark, SSH).

An engine runs one step: it is handed a ``StepLaunch`` (the runtime spec plus callbacks for
log lines, structured events and the step's process id, and a way to ask whether the run was
cancelled) and returns a ``StepOutcome``. The orchestrator never knows where the step ran;
it reads the outcome, and the files the runtime wrote, the same way for every engine.

The ``LineRouter`` every engine feeds notes the highest resident memory the step's resource
events reported (``StepLaunch.peak_rss_mb``), so that a step killed from outside — the kernel's
out-of-memory killer sends SIGKILL: exit status -9 locally, 137 through a shell, -1 over SSH
(a signal, no status) — fails with a message that says it probably ran out of memory and quotes
that peak.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

EVENT_PREFIX = "@@workbench "
LOG_TAIL_LINES = 40
RESOURCE_PREFIX = "resources/"  # the runtime's resource series (runtime/resources.py)
KILLED = (-9, 137)  # SIGKILL: the process itself, or through a shell (128 + 9)
NO_STATUS = -1  # over SSH: the remote process was ended by a signal (the server sent no status)


@dataclass
class StepLaunch:
    spec: dict[str, Any]
    workdir: Path
    timeout_s: float | None = None
    on_line: Callable[[str, str], None] = lambda stream, line: None
    on_event: Callable[[dict[str, Any]], None] = lambda event: None
    on_start: Callable[[int], None] = lambda pid: None
    should_cancel: Callable[[], bool] = lambda: False
    peak_rss_mb: float | None = None


@dataclass(frozen=True)
class StepOutcome:
    exit_code: int
    result: dict[str, Any] | None
    log_tail: tuple[str, ...] = ()
    cancelled: bool = False
    timed_out: bool = False
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.cancelled and not self.timed_out and bool(self.result) \
            and not (self.result or {}).get("error")

    def describe_failure(self, peak_rss_mb: float | None = None) -> str:
        """Why the step failed; ``peak_rss_mb`` (its highest resident memory seen) makes a
        SIGKILL say how much memory the step held when it was killed."""
        if self.cancelled:
            return "cancelled"
        if self.timed_out:
            return "timed out"
        error = (self.result or {}).get("error")
        if error:
            return str(error)
        last = next((line for line in reversed(self.log_tail) if line.strip()), "")
        last = f" (last output: {last})" if last else ""
        peak = f"; its resident memory peaked at {peak_rss_mb:,.0f} MB" if peak_rss_mb else ""
        advice = f"; give the step more memory or make it use less (fewer rows, a smaller model or batch){last}"
        if self.exit_code in KILLED:
            return ("the step process was killed by signal 9 (SIGKILL) — most often the machine ran out of memory "
                    f"and the system's out-of-memory killer stopped it{peak}{advice}")
        if self.exit_code == NO_STATUS:
            return ("the step process on the host ended without an exit status: a signal killed it — when that "
                    f"was SIGKILL, most often the host ran out of memory and its out-of-memory killer stopped "
                    f"the step{peak}{advice}")
        if self.exit_code < 0:
            return f"the step process was killed by signal {-self.exit_code}{last}"
        return f"the step process exited with status {self.exit_code}{last}"


class Engine(Protocol):
    name: str

    def run_step(self, launch: StepLaunch) -> StepOutcome: ...

    def close(self) -> None: ...


class LineRouter:
    """Splits a step's output into log lines and ``@@workbench {json}`` events; keeps a tail."""

    def __init__(self, launch: StepLaunch):
        self.launch = launch
        self.tail: deque[str] = deque(maxlen=LOG_TAIL_LINES)

    def feed(self, stream: str, line: str) -> None:
        line = line.rstrip("\r\n")
        if stream == "stdout" and line.startswith(EVENT_PREFIX):
            try:
                event = json.loads(line[len(EVENT_PREFIX):])
            except ValueError:
                event = None
            if isinstance(event, dict):
                self._note_peak(event)
                self.launch.on_event(event)
                return
        self.tail.append(f"[{stream}] {line}")
        self.launch.on_line(stream, line)


    def _note_peak(self, event: dict[str, Any]) -> None:
        key = event.get("metric")
        if isinstance(key, str) and key.startswith(RESOURCE_PREFIX) and key.endswith("/rss_mb"):
            value = event.get("value")
            if isinstance(value, (int, float)):
                self.launch.peak_rss_mb = max(self.launch.peak_rss_mb or 0.0, float(value))


def read_result(output_dir: Path) -> dict[str, Any] | None:
    path = output_dir / "result.json"
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return None
    return data if isinstance(data, dict) else None
