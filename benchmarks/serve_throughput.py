"""Throughput and latency of the REST inference service, with prediction logging on and off.

Builds a store with the real pipeline (the approval template: logistic regression on the
breast cancer sample, approved, promoted to champion), then serves its ``score`` node with two
``workbench serve`` subprocesses on free 127.0.0.1 ports against the same model — one logging
predictions into the store, one with ``--no-log`` — and drives them with a local load
generator (threads with ``http.client`` keep-alive connections: ``workbench.serving.replay``),
one-row requests. After a warm-up of each, timed bursts alternate between the two servers
(on, off, off, on, …), so that whatever else the machine is doing weighs on both modes alike;
a mode's throughput is its median burst (robust to the machine's other work), its latencies
pool all its requests. Each server's CPU time over the timed part (Linux ``/proc``) gives the
CPU per request with and without logging — a figure the machine's other work barely moves.
At the end the logging server must have logged
every request (for every served model), nothing dropped.

A third server is the naive floor (``_naive_serve.py``): a bare FastAPI + uvicorn app that builds
a pandas frame and calls ``predict_proba`` for the same model; its bursts rotate with the other
two (on, off, floor; off, floor, on; …) and use the same load generator.

Targets: logging costs less than 10% of throughput; with logging on the service answers at
least 1.5x the naive floor's requests per second, with a p99 no worse than the floor's. The last
line printed is one JSON object: ``rps_logging_on``, ``rps_logging_off``, ``rps_naive_floor``,
``ratio_vs_floor``, ``p50_ms``, ``p99_ms`` (latencies with logging on), and more.

    python benchmarks/serve_throughput.py [--requests 5000] [--burst 500] [--warmup 500]
        [--concurrency 4] [--store URL --graph FILE --node ID --user NAME]
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workbench.serving.replay import ReplayReport, fetch_json, load_rows, replay  # noqa: E402

SETTLE_S = 1.5  # > the log's flush interval (0.5 s)


def build_store(folder: Path) -> tuple[str, Path, str]:
    """A store whose champion the real pipeline trained; returns (url, graph file, node)."""
    from workbench.graph import load_template, save
    from workbench.orchestrator.runner import RunDriver
    from workbench.services.models import decide, list_approvals
    from workbench.services.runs import start_run
    from workbench.services.users import add_user
    from workbench.store import init_store, open_store

    url = f"sqlite:///{folder / 'store.db'}"
    init_store(url, "bench-admin")
    store = open_store(url)
    add_user(store, "bench-admin", "bench", ["scientist", "engineer"])
    add_user(store, "bench-admin", "bench-approver", ["approver"])
    graph = folder / "approval.yaml"
    save(load_template("approval"), graph)
    run = start_run(store, "bench", graph, detach=False)
    result: dict[str, str] = {}
    driver = threading.Thread(target=lambda: result.setdefault(
        "status", RunDriver(store, run.id, poll_s=0.2).drive()), daemon=True)
    driver.start()
    while driver.is_alive():
        for request in list_approvals(store, "bench-approver", "open"):
            decide(store, "bench-approver", request.id, "approved", "benchmark")
        time.sleep(0.2)
    store.close()
    if result.get("status") != "succeeded":
        raise SystemExit(f"building the benchmark store failed: run ended {result.get('status')}")
    return url, graph, "score"


class Server:
    """``workbench serve`` (or, with ``command``, another server) in a subprocess on a free port."""

    user = "bench"

    def __init__(self, url: str, graph: Path, node: str, log: bool,
                 command: list[str] | None = None):
        env = {**os.environ, "PYTHONPATH": str(ROOT), "WORKBENCH_STORE": url}
        command = command or [sys.executable, "-m", "workbench", "--user", self.user, "serve",
                              str(graph), "--node", node, "--port", "0",
                              *([] if log else ["--no-log"])]
        self.errors = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=self.errors,
                                        text=True, env=env)
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        first = self.lines.get(timeout=120)
        match = re.search(r" on (http://\S+)", first or "")
        if not match:
            self.process.kill()
            self.errors.seek(0)
            raise SystemExit(f"the service did not start: {first!r} {self.errors.read()}")
        self.url = match.group(1)

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def cpu_seconds(self) -> float | None:
        """User + system CPU time of the server process so far (Linux ``/proc``)."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> str:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)
        self.errors.close()
        return "".join(iter(lambda: self.lines.get(timeout=10) or "", ""))


MODES = ("on", "off", "floor")


def measure(url: str, graph: Path, node: str, rows: list[dict[str, Any]], requests: int,
            burst: int, warmup: int, concurrency: int, models: int, floor: list[str]
            ) -> tuple[dict[str, list[ReplayReport]], dict[str, float | None]]:
    """The three servers up at once — logging on, logging off, the naive floor (``floor`` is its
    command) — and timed bursts rotate between them (on, off, floor; off, floor, on; …). Also
    returns each server's CPU seconds over the timed part (its log flushes included)."""
    servers = {"on": Server(url, graph, node, log=True), "off": Server(url, graph, node, log=False),
               "floor": Server(url, graph, node, log=False, command=floor)}
    results: dict[str, list[ReplayReport]] = {mode: [] for mode in MODES}
    tails: dict[str, str] = {}
    cpu: dict[str, float | None] = {}
    try:
        for mode, server in servers.items():
            replay(rows, server.url, count=warmup, concurrency=concurrency,
                   request_prefix=f"warmup-{mode}")
        time.sleep(SETTLE_S)  # the warm-up's log rows are written before the clock starts
        cpu_start = {mode: server.cpu_seconds() for mode, server in servers.items()}
        bursts = max(1, -(-requests // burst))
        for index in range(bursts):
            count = min(burst, requests - index * burst)
            order = MODES[index % 3:] + MODES[:index % 3]
            for mode in order:
                tag = f"{mode}-{index}"
                report = replay(rows, servers[mode].url, count=count, concurrency=concurrency,
                                request_prefix=tag)
                if report.failed:
                    raise SystemExit(f"{tag}: {report.failed} request(s) failed: {report.errors}")
                results[mode].append(report)
                print(f"burst {index + 1}/{bursts}, {mode:>5}: {report.summary()}", file=sys.stderr)
        time.sleep(SETTLE_S)  # the last rows and windows are written inside the measurement
        for mode, server in servers.items():
            now, then = server.cpu_seconds(), cpu_start[mode]
            cpu[mode] = None if now is None or then is None else now - then
    finally:
        for mode, server in servers.items():
            tails[mode] = server.stop()
    logged = re.search(r"stopped: (\d+) prediction row\(s\) logged, (\d+) dropped", tails["on"])
    expected = (warmup + requests) * models
    if not logged or int(logged.group(1)) != expected or int(logged.group(2)):
        raise SystemExit(f"not every request was logged (expected {expected} rows): "
                         f"{tails['on']!r}")
    return results, cpu


def measure_workers(url: str, graph: Path, node: str, rows: list[dict[str, Any]], counts: list[int],
                    requests: int, burst: int, warmup: int, concurrency: int) -> dict[int, list[ReplayReport]]:
    """``workbench serve --workers N`` (logging on) for each N, bursts rotating between them."""
    servers = {n: Server(url, graph, node, log=True,
                         command=[sys.executable, "-m", "workbench", "--user", Server.user, "serve",
                                  str(graph), "--node", node, "--port", "0", "--workers", str(n)])
               for n in counts}
    results: dict[int, list[ReplayReport]] = {n: [] for n in counts}
    try:
        for n, server in servers.items():
            replay(rows, server.url, count=warmup, concurrency=concurrency,
                   request_prefix=f"warmup-w{n}")
        bursts = max(1, -(-requests // burst))
        for index in range(bursts):
            order = counts[index % len(counts):] + counts[:index % len(counts)]
            for n in order:
                report = replay(rows, servers[n].url, count=min(burst, requests - index * burst),
                                concurrency=concurrency, request_prefix=f"w{n}-{index}")
                if report.failed:
                    raise SystemExit(f"--workers {n}: {report.failed} request(s) failed: {report.errors}")
                results[n].append(report)
                print(f"burst {index + 1}/{bursts}, --workers {n}: {report.summary()}", file=sys.stderr)
    finally:
        for server in servers.values():
            server.stop()
    return results


def pooled(reports: list[ReplayReport]) -> dict[str, Any]:
    """Throughput: the median burst (robust to other work on the machine); latencies: all
    requests of the mode pooled."""
    latencies = np.concatenate([np.asarray(r.latencies_ms) for r in reports])
    answered = sum(r.answered for r in reports)
    seconds = sum(r.seconds for r in reports)
    return {"rps": float(np.median([r.rps for r in reports])), "rps_pooled": answered / seconds,
            "p50": float(np.percentile(latencies, 50)),
            "p99": float(np.percentile(latencies, 99)), "answered": answered,
            "burst_rps": [round(r.rps) for r in reports]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=5000, help="timed requests per mode")
    parser.add_argument("--burst", type=int, default=500,
                        help="requests per burst; bursts alternate between the two servers")
    parser.add_argument("--warmup", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", default="1,2", metavar="N,N",
                        help="worker counts to compare with logging on ('' skips; default 1,2)")
    parser.add_argument("--store", help="serve from this store instead of building one")
    parser.add_argument("--graph", help="graph file (with --store)")
    parser.add_argument("--node", default="score", help="node to serve (with --store)")
    parser.add_argument("--user", default="bench", help="who serves (with --store)")
    args = parser.parse_args()
    Server.user = args.user

    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="serve-bench-") as tmp:
        if args.store:
            if not args.graph:
                parser.error("--store needs --graph")
            url, graph, node = args.store, Path(args.graph), args.node
        else:
            started = time.perf_counter()
            url, graph, node = build_store(Path(tmp))
            print(f"built the store with the approval template in "
                  f"{time.perf_counter() - started:.1f} s", file=sys.stderr)
        probe = Server(url, graph, node, log=False)
        try:
            described = fetch_json(probe.url, "/model")
        finally:
            probe.stop()
        from workbench.orchestrator.artifacts import ArtifactStore
        from workbench.store import open_store

        store = open_store(url)
        with store.read() as uow:
            first = described["models"][0]
            version = uow.models.by_alias(first["name"], first["alias"])
            artifact = uow.artifacts.get(version.artifact_id)
        store.close()
        data = ArtifactStore.for_store(url).path(artifact.lineage["meta"]["data_sha256"])
        rows = load_rows(data, list(described["features"]))
        first = described["models"][0]
        floor = [sys.executable, str(ROOT / "benchmarks" / "_naive_serve.py"), url,
                 first["name"], first["alias"]]
        results, cpu = measure(url, graph, node, rows, args.requests, args.burst, args.warmup,
                               args.concurrency, len(described["models"]), floor)
        counts = [int(n) for n in args.workers.split(",") if n.strip()]
        scaling = (measure_workers(url, graph, node, rows, counts, args.requests, args.burst,
                                   args.warmup, max(args.concurrency, 2 * max(counts)))
                   if counts else {})

    on, off, naive = pooled(results["on"]), pooled(results["off"]), pooled(results["floor"])
    cost = (off["rps"] - on["rps"]) / off["rps"] * 100.0
    # each burst against its neighbour of the other mode (they ran back to back)
    paired = float(np.median([(b.rps - a.rps) / b.rps * 100.0
                              for a, b in zip(results["on"], results["off"], strict=True)]))
    load_after = os.getloadavg()[0]
    cpu_ms = {mode: None if seconds is None else seconds / args.requests * 1000.0
              for mode, seconds in cpu.items()}
    vs_floor = on["rps"] / naive["rps"]
    cpu_cost = (None if cpu_ms["on"] is None or cpu_ms["off"] is None
                else (cpu_ms["on"] - cpu_ms["off"]) / cpu_ms["on"] * 100.0)
    served = " + ".join(f"{m['variant']} {m['model']}" for m in described["models"])
    print(f"\nserving {served} ({len(rows[0])} features), one row per request, "
          f"{args.concurrency} connections, {on['answered']} timed requests per mode in bursts "
          f"of {args.burst}, {os.cpu_count()} CPUs")
    print(f"{'':14}{'req/s':>10}{'pooled':>10}{'p50 ms':>10}{'p99 ms':>10}   req/s per burst")
    for name, figures in (("logging on", on), ("logging off", off), ("naive floor", naive)):
        print(f"{name:14}{figures['rps']:>10.1f}{figures['rps_pooled']:>10.1f}"
              f"{figures['p50']:>10.2f}{figures['p99']:>10.2f}   {figures['burst_rps']}")
    print(f"logging costs {cost:.1f}% of throughput (median bursts; {paired:.1f}% as the median "
          f"of back-to-back pairs; target < 10%); load average {load_before:.2f} before, "
          f"{load_after:.2f} after")
    print(f"with logging on the service answers {vs_floor:.2f}x the naive floor's throughput "
          f"(target >= 1.5x), p99 {on['p99']:.1f} ms against the floor's {naive['p99']:.1f} ms")
    by_workers = {n: pooled(reports) for n, reports in scaling.items()}
    if by_workers:
        print("with --workers N (logging on, "
              f"{max(args.concurrency, 2 * max(by_workers))} connections): "
              + ", ".join(f"N={n}: {f['rps']:.0f} req/s (p99 {f['p99']:.1f} ms)"
                          for n, f in by_workers.items()))
    if cpu_cost is not None:
        print(f"server CPU per request: {cpu_ms['on']:.3f} ms logging on, {cpu_ms['off']:.3f} ms "
              f"off: logging takes {cpu_cost:.1f}% of the logging server's CPU (what it would cost "
              "in throughput on a CPU-bound machine of its own)")
    print(json.dumps({
        "rps_logging_on": round(on["rps"], 1), "rps_logging_off": round(off["rps"], 1),
        "p50_ms": round(on["p50"], 3), "p99_ms": round(on["p99"], 3),
        "p50_ms_logging_off": round(off["p50"], 3), "p99_ms_logging_off": round(off["p99"], 3),
        "rps_naive_floor": round(naive["rps"], 1), "p99_ms_naive_floor": round(naive["p99"], 3),
        "ratio_vs_floor": round(vs_floor, 3),
        "cpu_ms_per_request_naive_floor": None if cpu_ms["floor"] is None
        else round(cpu_ms["floor"], 4),
        **{f"rps_workers_{n}": round(f["rps"], 1) for n, f in by_workers.items()},
        "logging_cost_pct": round(cost, 2), "logging_cost_pct_paired": round(paired, 2),
        "rps_pooled_logging_on": round(on["rps_pooled"], 1),
        "rps_pooled_logging_off": round(off["rps_pooled"], 1),
        "cpu_ms_per_request_logging_on": None if cpu_ms["on"] is None else round(cpu_ms["on"], 4),
        "cpu_ms_per_request_logging_off": None if cpu_ms["off"] is None else round(cpu_ms["off"], 4),
        "logging_cpu_cost_pct": None if cpu_cost is None else round(cpu_cost, 2),
        "requests_per_mode": on["answered"], "burst": args.burst,
        "concurrency": args.concurrency, "models": len(described["models"]),
        "cpus": os.cpu_count(), "load_avg_before": round(load_before, 2),
        "load_avg_after": round(load_after, 2),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
