"""What a running step uses: CPU, resident memory and GPU memory/utilisation, as metric series.

A ``ResourceSampler`` reads, every ``SAMPLE_S`` seconds (slower after the first minute, up to
``SLOW_S``), the figures of this process and every
process it started (children, grandchildren — a Spark driver's JVM, a worker pool):

* ``cpu_percent`` — CPU used since the previous sample, in percent of one core (400 = four
  cores busy); ``cpu_s`` — CPU seconds used so far (user + system, children included);
* ``rss_mb`` — resident memory of the process tree, in MiB;
* on a GPU, when the step uses one: ``gpu_mem_mb`` (memory this process holds on the GPU:
  NVML's per-process figure when ``pynvml`` is installed, else torch's reserved memory) and
  ``gpu_util_percent`` (NVML only); without a GPU these series are simply absent.

Each figure is a ``{"metric": "resources/<step id>/<name>", "step": <ms since the step
started>, "value": …}`` event (``events.emit``), so every engine relays them into the store the
way it relays training curves; ``resource_key`` / ``parse_resource_key`` are the one place that
naming lives. The sampler also keeps the peak resident memory, which the out-of-memory message
quotes.

Sources: ``/proc`` on Linux (no dependency, so a stock SSH host reports too); elsewhere
``psutil`` when it is installed; with neither, CPU and memory are skipped quietly. torch is
never imported here (only read when the step already imported it).

Rules: standard library only at module level (the module is shipped to SSH hosts); a failing
reading never fails the step — the sampler skips that figure.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from workbench.errors import WorkbenchError

__all__ = ["RESOURCE_PREFIX", "SAMPLE_S", "OutOfMemoryError", "ResourceSampler", "current_peak_rss_mb",
           "out_of_memory_message", "parse_resource_key", "resource_key", "start_sampler"]

RESOURCE_PREFIX = "resources/"
SAMPLE_S = float(os.environ.get("WORKBENCH_RESOURCE_SAMPLE_S", "0.5") or 0.5)
SLOW_S = 5.0
MB = 1024.0 * 1024.0


class OutOfMemoryError(WorkbenchError):
    """The step ran out of memory (a ``MemoryError``, or a GPU out-of-memory error)."""

    exit_code = 2


def resource_key(step_id: int | None, name: str) -> str:
    return f"{RESOURCE_PREFIX}{step_id}/{name}" if step_id is not None else f"{RESOURCE_PREFIX}{name}"


def parse_resource_key(key: str) -> tuple[int | None, str] | None:
    """``(step id, figure name)`` of a resource series key; ``None`` for any other metric."""
    if not key.startswith(RESOURCE_PREFIX):
        return None
    rest = key[len(RESOURCE_PREFIX):]
    head, _, name = rest.rpartition("/")
    if not head:
        return None, name
    try:
        return int(head), name
    except ValueError:
        return None


# -- reading the process tree ---------------------------------------------------------------
def _proc_tree(root: int) -> list[int]:
    """``root`` and its live descendants, from ``/proc/<pid>/stat``."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                stat = handle.read().decode("ascii", "replace")
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()
        children.setdefault(int(fields[1]), []).append(int(entry))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, ()))
    return tree


def _proc_reading(root: int) -> tuple[float, float] | None:
    """``(cpu seconds, rss bytes)`` of the tree under ``root`` on Linux."""
    ticks = os.sysconf("SC_CLK_TCK")
    page = os.sysconf("SC_PAGE_SIZE")
    cpu = rss = 0.0
    for pid in _proc_tree(root):
        try:
            with open(f"/proc/{pid}/stat", "rb") as handle:
                stat = handle.read().decode("ascii", "replace")
            with open(f"/proc/{pid}/statm", "rb") as handle:
                resident = int(handle.read().split()[1])
        except (OSError, IndexError, ValueError):
            continue
        fields = stat[stat.rfind(")") + 2:].split()
        # utime, stime, and (for the root only) children already waited for: cutime, cstime
        used = int(fields[11]) + int(fields[12])
        if pid == root:
            used += int(fields[13]) + int(fields[14])
        cpu += used / ticks
        rss += resident * page
    return cpu, rss


def _psutil_reading(root: int) -> tuple[float, float] | None:
    try:
        import psutil
    except ImportError:
        return None
    cpu = rss = 0.0
    try:
        top = psutil.Process(root)
        processes = [top, *top.children(recursive=True)]
    except psutil.Error:
        return None
    for process in processes:
        try:
            times = process.cpu_times()
            cpu += times.user + times.system
            if process.pid == root:
                cpu += getattr(times, "children_user", 0.0) + getattr(times, "children_system", 0.0)
            rss += process.memory_info().rss
        except psutil.Error:
            continue
    return cpu, rss


def _reader() -> Callable[[int], tuple[float, float] | None] | None:
    if sys.platform.startswith("linux") and os.path.isdir("/proc/self"):
        return _proc_reading
    try:
        import psutil  # noqa: F401
    except ImportError:
        return None
    return _psutil_reading


# -- GPU ------------------------------------------------------------------------------------
class _Gpu:
    """GPU figures of this process, when it uses a GPU; ``{}`` otherwise."""

    def __init__(self) -> None:
        self._nvml: Any = None
        self._handle: Any = None
        self._tried = False

    def _open_nvml(self) -> None:
        self._tried = True
        try:
            import pynvml
        except ImportError:
            return
        try:
            pynvml.nvmlInit()
            visible = os.environ.get("CUDA_VISIBLE_DEVICES", "0").split(",")[0].strip()
            index = int(visible) if visible.isdigit() else 0
            self._handle = pynvml.nvmlDeviceGetHandleByIndex(index)
            self._nvml = pynvml
        except Exception:
            self._nvml = None

    def reading(self) -> dict[str, float]:
        torch = sys.modules.get("torch")
        cuda = getattr(torch, "cuda", None)
        try:
            in_use = bool(cuda is not None and cuda.is_available() and cuda.is_initialized())
        except Exception:
            in_use = False
        if not in_use:
            return {}
        if not self._tried:
            self._open_nvml()
        figures: dict[str, float] = {}
        if self._nvml is not None:
            try:
                mine = [p for p in self._nvml.nvmlDeviceGetComputeRunningProcesses(self._handle)
                        if p.pid == os.getpid()]
                if mine and mine[0].usedGpuMemory is not None:
                    figures["gpu_mem_mb"] = mine[0].usedGpuMemory / MB
                figures["gpu_util_percent"] = float(
                    self._nvml.nvmlDeviceGetUtilizationRates(self._handle).gpu)
            except Exception:
                pass
        if "gpu_mem_mb" not in figures and cuda is not None:
            try:
                figures["gpu_mem_mb"] = cuda.memory_reserved() / MB
            except Exception:
                pass
        return figures


# -- the sampler ----------------------------------------------------------------------------
class ResourceSampler:
    """Samples the figures of the process tree under ``pid`` (default: this process).

    ``sample()`` takes one reading and sends it; ``start()`` runs ``sample()`` every
    ``interval`` seconds on a daemon thread until ``stop()`` (which takes a last reading)."""

    def __init__(self, step_id: int | None, *, pid: int | None = None, interval: float = SAMPLE_S,
                 emit: Callable[[dict[str, Any]], None] | None = None, cpu_from_zero: bool = False):
        self.cpu_from_zero = cpu_from_zero  # a long-lived process (a Spark driver) counts per step
        self._cpu_base: float | None = None
        self.step_id, self.pid, self.interval = step_id, pid or os.getpid(), max(0.05, interval)
        self._emit = emit
        self._read = _reader()
        self._gpu = _Gpu()
        self._started = time.monotonic()
        self._last: tuple[float, float] | None = None  # (monotonic time, cpu seconds)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.peak_rss_mb: float | None = None
        self.peak_gpu_mem_mb: float | None = None

    def _send(self, elapsed_ms: int, name: str, value: float) -> None:
        if self._emit is None:
            from workbench.engines.runtime.events import emit

            self._emit = emit
        self._emit({"metric": resource_key(self.step_id, name), "step": elapsed_ms,
                    "value": round(float(value), 3)})

    def send(self, name: str, value: float) -> None:
        """Send one more figure of this step (a Spark driver's executor figures)."""
        self._send(int((time.monotonic() - self._started) * 1000), name, value)

    def sample(self) -> dict[str, float]:
        with self._lock:
            now = time.monotonic()
            elapsed_ms = int((now - self._started) * 1000)
            figures: dict[str, float] = {}
            reading = None
            if self._read is not None:
                try:
                    reading = self._read(self.pid)
                except Exception:
                    reading = None
            if reading is not None:
                cpu_s, rss = reading
                if self.cpu_from_zero:
                    self._cpu_base = cpu_s if self._cpu_base is None else self._cpu_base
                    cpu_s -= self._cpu_base
                if self._last is not None and now - self._last[0] >= 0.1:  # shorter: noise
                    figures["cpu_percent"] = max(0.0, 100.0 * (cpu_s - self._last[1]) / (now - self._last[0]))
                self._last = (now, cpu_s)
                figures["cpu_s"] = cpu_s
                figures["rss_mb"] = rss / MB
                self.peak_rss_mb = max(self.peak_rss_mb or 0.0, figures["rss_mb"])
            figures.update(self._gpu.reading())
            if "gpu_mem_mb" in figures:
                self.peak_gpu_mem_mb = max(self.peak_gpu_mem_mb or 0.0, figures["gpu_mem_mb"])
            for name, value in figures.items():
                try:
                    self._send(elapsed_ms, name, value)
                except Exception:  # a closed stdout must not fail the step
                    break
            return figures

    def start(self) -> ResourceSampler:
        self.sample()
        self._thread = threading.Thread(target=self._loop, name="resource-sampler", daemon=True)
        try:
            self._thread.start()
        except RuntimeError:  # no thread left (a tight process limit): figures are skipped
            self._thread = None
        return self

    def _loop(self) -> None:
        while not self._stop.wait(self.next_wait()):
            self.sample()

    def next_wait(self) -> float:
        """``interval`` for the first minute, then slower (at most every ``SLOW_S`` seconds)
        so that a step running for hours stores thousands of points, not millions."""
        elapsed = time.monotonic() - self._started
        return self.interval if elapsed < 60 else min(SLOW_S, max(self.interval, elapsed / 120))

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2 * self.interval + 1)
        self.sample()


_current: ResourceSampler | None = None


def start_sampler(step_id: int | None) -> ResourceSampler:
    """Start sampling this process for the step ``step_id`` (the runtime's entry point calls it)."""
    global _current
    _current = ResourceSampler(step_id).start()
    return _current


def current_peak_rss_mb() -> float | None:
    if _current is None:
        return None
    try:
        _current.sample()
    except Exception:
        pass
    return _current.peak_rss_mb


def out_of_memory_message(peak_rss_mb: float | None, detail: str = "") -> str:
    """What a step that ran out of memory reports (its peak resident memory when known)."""
    peak = f"; its peak resident memory was {peak_rss_mb:,.0f} MB" if peak_rss_mb else ""
    what = f" ({detail})" if detail else ""
    return (f"the step ran out of memory{what}{peak} — give the step's machine more memory, or "
            "use less: fewer rows or features, a smaller model or batch size")
