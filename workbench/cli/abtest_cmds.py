"""``workbench abtest``: production A/B tests from the command line — ``compare`` tests one
CSV/Parquet file of units (``workbench.monitoring.abtest.ab_test``, the test an ``ab_test`` node
runs) and ``results`` lists the latest result of every ``ab_test`` node in the store
(``workbench.services.abtests``, what the operator's A/B tests view shows)."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

from workbench.cli.monitoring_cmds import _table
from workbench.errors import InvalidInputError

TEST_NAMES = {"two_proportion_z": "two-proportion z-test", "welch_t": "Welch's t-test"}


def _control(frame: pd.DataFrame, column: str, given: str | None) -> Any:
    """``--control`` as the variant column holds it (a number when the variants are numbers)."""
    import pandas as pd

    if given is None:
        return None
    variants = list(pd.unique(frame[column].dropna()))
    for value in variants:
        if value == given or str(value) == given:
            return value
    raise InvalidInputError(f"--control {given!r} is not one of the variants in column {column!r}",
                            hint=f"variants: {', '.join(str(v) for v in variants[:10])}")


def _cmd_compare(args: argparse.Namespace, ctx: Any) -> int:
    import pandas as pd

    from workbench.monitoring.abtest import ab_decision, ab_test
    from workbench.monitoring.io import read_table
    from workbench.monitoring.report import json_safe

    frame = read_table(args.file, what="A/B test file")
    for option, column in (("--variant-column", args.variant_column),
                           ("--outcome-column", args.outcome_column)):
        if column not in frame.columns:
            raise InvalidInputError(
                f"no column {column!r} ({option})", where=args.file,
                hint=f"the file's columns: {', '.join(str(c) for c in frame.columns[:20])}")
    control = _control(frame, args.variant_column, args.control)
    result = ab_test(frame, args.variant_column, args.outcome_column, control=control,
                     alpha=args.alpha, power=args.power, alternative=args.alternative)
    variants = [str(v) for v in pd.unique(frame[args.variant_column].dropna())]
    first = str(control) if control is not None else sorted(variants)[0]
    second = next(v for v in variants if v != first)
    decision = ab_decision(result)
    if args.json:
        ctx.print_json({**json_safe(result), "decision": decision, "control": first, "treatment": second,
                        "confidence": 1 - result.alpha})
        return 0
    level = f"{1 - result.alpha:.0%}"
    print(f"{decision} (A is the control {first!r}, B is {second!r})")
    print(f"  A (control) = {first!r}: {result.estimate_a:.4g} over {result.n_a} row(s)")
    print(f"  B = {second!r}: {result.estimate_b:.4g} over {result.n_b} row(s)")
    print(f"  effect B − A: {result.effect:+.4g}; {level} interval {result.ci_low:+.4g} … "
          f"{result.ci_high:+.4g}; p = {result.p_value:.3g}")
    test = TEST_NAMES.get(result.test, result.test.replace("_", " "))
    print(f"  test: {test}, {result.alternative}, α = {result.alpha:g}")
    print(f"  could find: an effect of {result.mde:.4g} or more with power {result.power:.0%}")
    return 0


def _verdict(figures: dict[str, Any]) -> str:
    if not figures.get("significant"):
        return "no difference"
    return "B better" if float(figures.get("effect", 0)) > 0 else "A better"


def _when(ms: int | None) -> str:
    if ms is None:
        return "-"
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")


def _cmd_results(args: argparse.Namespace, ctx: Any) -> int:
    from workbench.monitoring.report import json_safe
    from workbench.services.abtests import ab_results

    results = ab_results(ctx.store(read_only=True), ctx.user)
    if args.json:
        ctx.print_json([{"graph": r.graph, "node": r.node_id, "run": r.run_id,
                         "finished_at": r.finished_at, "decision": r.decision,
                         "figures": json_safe(r.figures)} for r in results])
        return 0
    if not results:
        print("no A/B test results: no run of a graph with an ab_test node has finished in the store")
        return 0
    rows = []
    for r in results:
        f = r.figures
        level = f"{float(f.get('confidence', 0.95)):.0%}"
        rows.append([_verdict(f), f"{float(f.get('effect', 0)):+.3g}",
                     f"{float(f.get('ci_low', 0)):+.3g} … {float(f.get('ci_high', 0)):+.3g} ({level})",
                     f"{float(f.get('p_value', 1)):.3g}", f"{r.graph} / {r.node_id}", r.run_id,
                     _when(r.finished_at)])
    print(_table(rows, ["decision", "effect B − A", "interval", "p-value", "graph / node", "run",
                        "finished"]))
    print()
    for r in results:
        print(f"{r.graph} / {r.node_id} (run {r.run_id}): {r.decision or _verdict(r.figures)}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``abtest compare`` and ``abtest results``; bad input exits non-zero with what and where."""
    from workbench.monitoring.methods import ALTERNATIVES

    abtest = subparsers.add_parser("abtest", help="production A/B tests (two variants, one outcome)")
    sub = abtest.add_subparsers(dest="abtest_command", metavar="ACTION")

    def usage(args: argparse.Namespace, ctx: Any) -> int:
        abtest.print_help(sys.stderr)
        return 2

    abtest.set_defaults(handler=usage)
    compare = sub.add_parser(
        "compare", help="test one file of units: which variant has the better outcome?",
        description="A/B test of FILE (CSV or Parquet, one row per unit): a 0/1 outcome gets the "
        "two-proportion z-test, other outcomes Welch's t-test.")
    compare.add_argument("file", metavar="FILE")
    compare.add_argument("--variant-column", required=True, metavar="COLUMN",
                         help="the column naming each row's variant (exactly two values)")
    compare.add_argument("--outcome-column", required=True, metavar="COLUMN",
                         help="the outcome: 0/1 (converted or not) or a number")
    compare.add_argument("--control", metavar="VALUE",
                         help="the control variant A (default: the first variant in sort order)")
    compare.add_argument("--alpha", type=float, default=0.05, help="significance level (0.05)")
    compare.add_argument("--power", type=float, default=0.8,
                         help="power for the smallest detectable effect (0.8)")
    compare.add_argument("--alternative", choices=ALTERNATIVES, default="two-sided",
                         help="two-sided, greater (B > A) or less (B < A)")
    compare.add_argument("--json", action="store_true", help="print the result as JSON")
    compare.set_defaults(handler=_cmd_compare)
    results = sub.add_parser("results", help="the latest result of every ab_test node in the store")
    results.add_argument("--json", action="store_true", help="print the results as JSON")
    results.set_defaults(handler=_cmd_results)
