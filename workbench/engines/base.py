"""The executor interface every engine implements (local, Spark, SSH).

An engine runs one step: it is handed a ``StepLaunch`` (the runtime spec plus callbacks for
log lines, structured events and the step's process id, and a way to ask whether the run was
cancelled) and returns a ``StepOutcome``. The orchestrator never knows where the step ran;
it reads the outcome, and the files the runtime wrote, the same way for every engine.
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


@dataclass
class StepLaunch:
    spec: dict[str, Any]
    workdir: Path
    timeout_s: float | None = None
    on_line: Callable[[str, str], None] = lambda stream, line: None
    on_event: Callable[[dict[str, Any]], None] = lambda event: None
    on_start: Callable[[int], None] = lambda pid: None
    should_cancel: Callable[[], bool] = lambda: False


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

    def describe_failure(self) -> str:
        if self.cancelled:
            return "cancelled"
        if self.timed_out:
            return "timed out"
        error = (self.result or {}).get("error")
        if error:
            return str(error)
        last = next((line for line in reversed(self.log_tail) if line.strip()), "")
        last = f" (last output: {last})" if last else ""
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
                self.launch.on_event(event)
                return
        self.tail.append(f"[{stream}] {line}")
        self.launch.on_line(stream, line)


def read_result(output_dir: Path) -> dict[str, Any] | None:
    path = output_dir / "result.json"
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return None
    return data if isinstance(data, dict) else None
