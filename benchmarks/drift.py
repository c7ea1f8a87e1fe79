"""Drift benchmark: our full report against Evidently's DataDriftPreset and a sort floor.

Generates ``--rows`` (1,000,000) reference and current rows with 20 numeric and 5
categorical columns and times, in one run:

* ours — ``workbench.monitoring.compare(reference, current, methods)`` with KS, PSI,
  Jensen–Shannon and Wasserstein for numeric columns and chi², Jensen–Shannon and PSI for
  categorical ones, profile fitting included;
* the floor — one ``np.sort`` of every numeric column of both frames plus
  ``pd.factorize`` + ``np.bincount`` of every categorical one;
* Evidently — ``Report([DataDriftPreset()])`` on the same two frames, in its own virtual
  environment (``benchmarks/.peers/evidently-venv``, created with ``pip install evidently
  "pandas<3"`` on first use; Evidently is never a project dependency), in a subprocess that
  generates the same frames from the same seeds;
* a further window of ``--rows`` rows and a 10,000-row window against the fitted profile.

Our timings and the floor are the best of ``--repeat`` (3) runs, the 10,000-row window the
median of 15: the machines are shared, and the best run is the one least disturbed.

It prints the figures and ends with one JSON line: ``ours_s``, ``evidently_s``, ``floor_s``,
``ratio`` (Evidently / ours), ``peak_rss_mb``, ``window_1m_s``, ``window_10k_ms`` (both
windows with the full method set; ``*_default_*`` keys give them with the default one
method per column), plus a few extra keys. Peak RSS is the process's high-water mark over
our first report, reset after the frames were generated (the frames, resident throughout,
included; Evidently and the floor run after it, Evidently in another process).

    .venv/bin/python benchmarks/drift.py            # the full 1,000,000-row run
    .venv/bin/python benchmarks/drift.py --rows 100000 --skip-evidently
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
PEER_VENV = HERE / ".peers" / "evidently-venv"
N_NUMERIC, N_CATEGORICAL = 20, 5
FULL_METHODS = ["ks", "psi", "jensenshannon", "wasserstein", "chi2"]


def make_frame(rows: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    """20 numeric columns of varied shapes and 5 categorical ones (object strings)."""
    rng = np.random.default_rng(seed)
    columns: dict[str, np.ndarray] = {}
    for i in range(N_NUMERIC):
        kind = i % 4
        if kind == 0:
            values = rng.normal(shift * (i % 3 == 0), 1 + i / 10, rows)
        elif kind == 1:
            values = rng.lognormal(0.1 * shift, 0.7, rows)
        elif kind == 2:
            values = rng.uniform(-5, 5 + shift, rows)
        else:
            values = rng.gamma(2.0 + shift, 1.5, rows).round(2)  # ties
        columns[f"num_{i}"] = values
    for i in range(N_CATEGORICAL):
        k = 4 + 6 * i
        labels = np.array([f"c{i}_{j}" for j in range(k)], dtype=object)
        weights = np.linspace(1.0, 2.0 + shift, k)
        codes = rng.choice(k, size=rows, p=weights / weights.sum())
        columns[f"cat_{i}"] = labels[codes]
    return pd.DataFrame(columns)


def make_frames(rows: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    return make_frame(rows, seed), make_frame(rows, seed + 1, shift=0.05)


def frames_bytes(*frames: pd.DataFrame) -> int:
    """Bytes the frames hold (object columns share their few label strings)."""
    return int(sum(f.memory_usage(index=False, deep=False).sum() for f in frames))


def reset_peak_rss() -> bool:
    """Forget the high-water mark so far (Linux: ``5`` into ``/proc/self/clear_refs``)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def peak_rss_mb() -> float:
    """The process's resident high-water mark (VmHWM; ru_maxrss where there is no /proc)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def floor_seconds(reference: pd.DataFrame, current: pd.DataFrame) -> float:
    start = time.perf_counter()
    for frame in (reference, current):
        for name in frame.columns:
            if name.startswith("num_"):
                np.sort(frame[name].to_numpy())
            else:
                codes, uniques = pd.factorize(frame[name])
                np.bincount(codes[codes >= 0], minlength=len(uniques))
    return time.perf_counter() - start


# ------------------------------------------------------------------------------ Evidently


def evidently_child(rows: int, seed: int) -> None:
    """Runs inside the Evidently venv: same frames, one DataDriftPreset report."""
    import evidently

    reference, current = make_frames(rows, seed)
    version = getattr(evidently, "__version__", "?")
    start = time.perf_counter()
    try:  # 0.7+: evidently.Report, evidently.presets
        from evidently import Report
        from evidently.presets import DataDriftPreset

        snapshot = Report([DataDriftPreset()]).run(reference_data=reference, current_data=current)
        snapshot.dict()
    except ImportError:  # 0.4-0.6: evidently.report, evidently.metric_preset
        from evidently.metric_preset import DataDriftPreset
        from evidently.report import Report

        report = Report(metrics=[DataDriftPreset()])
        report.run(reference_data=reference, current_data=current)
        report.as_dict()
    seconds = time.perf_counter() - start
    print(json.dumps({"evidently_s": seconds, "evidently_version": version}))


def ensure_evidently(install: bool) -> Path | None:
    python = PEER_VENV / "bin" / "python"
    if python.exists():
        return python
    if not install:
        return None
    print(f"creating {PEER_VENV} with evidently (once) ...", flush=True)
    PEER_VENV.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "evidently", "pandas<3"], check=True
    )
    return python


def evidently_seconds(
    rows: int, seed: int, install: bool, timeout: float
) -> tuple[float | None, str]:
    python = ensure_evidently(install)
    if python is None:
        return None, "not installed"
    try:
        done = subprocess.run(
            [
                str(python),
                str(Path(__file__).resolve()),
                "--evidently-child",
                "--rows",
                str(rows),
                "--seed",
                str(seed),
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return None, f"timed out after {timeout:.0f} s"
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        return None, "failed: " + " | ".join(tail)
    result = json.loads(lines[-1])
    return float(result["evidently_s"]), str(result["evidently_version"])


# ----------------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3, help="best of this many timings of ours")
    parser.add_argument("--skip-evidently", action="store_true")
    parser.add_argument(
        "--no-install", action="store_true", help="do not create the Evidently venv"
    )
    parser.add_argument("--evidently-timeout", type=float, default=1800.0)
    parser.add_argument("--evidently-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.evidently_child:
        evidently_child(args.rows, args.seed)
        return

    sys.path.insert(0, str(HERE.parent))
    from workbench.monitoring import compare, fit_profile

    reference, current = make_frames(args.rows, args.seed)
    size_mb = frames_bytes(reference, current) / 2**20
    gc.collect()
    before_mb = peak_rss_mb()  # generating the frames has its own peak: start afresh
    reset = reset_peak_rss()
    resident_mb = peak_rss_mb() if reset else before_mb

    start = time.perf_counter()
    report = compare(reference, current, FULL_METHODS)
    ours = time.perf_counter() - start
    peak = peak_rss_mb()
    for _ in range(args.repeat - 1):  # best of --repeat: the machine may be shared
        start = time.perf_counter()
        compare(reference, current, FULL_METHODS)
        ours = min(ours, time.perf_counter() - start)
    print(
        f"rows: {args.rows:,} x 2, columns: {N_NUMERIC} numeric + {N_CATEGORICAL} categorical, "
        f"{os.cpu_count()} CPU(s)"
    )
    print(
        f"frames: {size_mb:.0f} MB; resident before our run {resident_mb:.0f} MB "
        f"(peak while generating {before_mb:.0f} MB{'' if reset else ', not reset'})"
    )
    print(
        f"ours (fit + full report, {len(report.results)} results): {ours:.3f} s, "
        f"peak RSS {peak:.0f} MB ({peak / size_mb:.2f}x the frames)"
    )

    profile = fit_profile(reference)
    del current
    gc.collect()
    window = make_frame(args.rows, args.seed + 2, shift=0.02)
    window_1m = window_1m_default = float("inf")
    for _ in range(args.repeat):
        start = time.perf_counter()
        compare(profile, window, FULL_METHODS)
        window_1m = min(window_1m, time.perf_counter() - start)
        start = time.perf_counter()
        compare(profile, window)
        window_1m_default = min(window_1m_default, time.perf_counter() - start)
    small = window.iloc[:10_000].copy()
    del window
    times = []
    for _ in range(15):
        start = time.perf_counter()
        compare(profile, small, FULL_METHODS)
        times.append(time.perf_counter() - start)
    window_10k = float(np.median(times)) * 1000
    times = []
    for _ in range(15):
        start = time.perf_counter()
        compare(profile, small)
        times.append(time.perf_counter() - start)
    window_10k_default = float(np.median(times)) * 1000
    print(
        f"further {args.rows:,}-row window against the profile: {window_1m:.3f} s "
        f"(default methods: {window_1m_default:.3f} s)"
    )
    print(
        f"10,000-row window against the profile: {window_10k:.1f} ms median "
        f"(default methods: {window_10k_default:.1f} ms)"
    )
    del profile

    current = make_frame(args.rows, args.seed + 1, shift=0.05)
    floor = min(floor_seconds(reference, current) for _ in range(max(args.repeat, 1)))
    print(
        f"floor (np.sort + factorize/bincount of every column of both frames): {floor:.3f} s; "
        f"ours / floor = {ours / floor:.2f}"
    )
    del reference, current
    gc.collect()

    evidently, version = (None, "skipped")
    if not args.skip_evidently:
        evidently, version = evidently_seconds(
            args.rows, args.seed, not args.no_install, args.evidently_timeout
        )
    if evidently is not None:
        print(
            f"Evidently {version} DataDriftPreset: {evidently:.2f} s; "
            f"Evidently / ours = {evidently / ours:.1f}x"
        )
    else:
        print(f"Evidently: {version}")
    print(
        json.dumps(
            {
                "ours_s": round(ours, 4),
                "evidently_s": None if evidently is None else round(evidently, 3),
                "floor_s": round(floor, 4),
                "ratio": None if evidently is None else round(evidently / ours, 2),
                "peak_rss_mb": round(peak, 1),
                "window_1m_s": round(window_1m, 4),
                "window_10k_ms": round(window_10k, 2),
                "window_1m_default_s": round(window_1m_default, 4),
                "window_10k_default_ms": round(window_10k_default, 2),
                "ours_over_floor": round(ours / floor, 3),
                "frames_mb": round(size_mb, 1),
                "rows": args.rows,
                "evidently_version": version,
            }
        )
    )


if __name__ == "__main__":
    main()
