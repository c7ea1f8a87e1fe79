"""``workbench drift REFERENCE CURRENT``: drift and data deviation of a current data file against a
reference (CSV, Parquet, or a saved .npz profile), column by column and, with ``--multivariate``,
the columns together (``workbench.monitoring.multivariate``) as the drift monitor node does."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

from workbench.cli.monitoring_cmds import _pairs, _table
from workbench.errors import InvalidInputError

MULTIVARIATE_TESTS = ("pca", "classifier")


def _together(how: str, reference: pd.DataFrame, current: pd.DataFrame, columns: list[str]
              ) -> dict[str, Any]:
    """The columns-together test of CURRENT against REFERENCE, as the drift monitor names it."""
    from workbench.monitoring.multivariate import (
        MULTIVARIATE_COLUMN,
        domain_classifier_drift,
        fit_pca_drift,
    )

    if how == "pca":
        # the band's width depends on the chunk size: compare chunks as large as the current file
        chunk = min(len(current), max(len(reference) // 2, 1))
        result = fit_pca_drift(reference, columns=columns, chunk_size=chunk).compare(current)
    else:
        result = domain_classifier_drift(reference, current, columns=columns, seed=0)
    return {"column": MULTIVARIATE_COLUMN, "columns": columns, "method": result.method,
            "statistic": result.statistic, "p_value": result.p_value,
            "threshold": result.upper,  # the band's top, or the permutation null's 1 - alpha quantile
            "lower": result.lower, "drifted": bool(result.drifted)}


def _cmd_drift(args: argparse.Namespace, ctx: Any) -> int:
    from workbench.monitoring import ReferenceProfile, compare, fit_profile
    from workbench.monitoring.io import read_table
    from workbench.monitoring.report import json_safe

    thresholds = {k: v for k, v in _pairs(args.threshold, "--threshold").items()}
    kinds = _pairs(args.kind, "--kind")
    reference: pd.DataFrame | None = None
    if Path(args.reference).suffix.lower() == ".npz":
        if kinds:
            raise InvalidInputError("--kind applies when the reference is a data file")
        if args.multivariate:
            raise InvalidInputError(
                f"--multivariate {args.multivariate} needs the reference rows; a saved profile "
                "holds only per-column summaries", where=args.reference,
                hint="give the reference data file (CSV or Parquet) instead of the .npz profile")
        profile = ReferenceProfile.load(args.reference)
    else:
        reference = read_table(args.reference, what="reference file")
        profile = fit_profile(reference, kinds=kinds, id_columns=args.id_column, exclude=args.exclude,
                              include=args.include)
    if args.save_profile:
        profile.save(args.save_profile)
    current = read_table(args.current, what="current file")
    methods = args.method or None
    report = compare(profile, current, methods, thresholds, drift_share=args.drift_share,
                     id_columns=args.id_column, exclude=args.exclude, include=args.include)
    together = None
    if args.multivariate and reference is not None:
        columns = [r.column for r in report.results]
        if len(columns) < 2:
            raise InvalidInputError(
                f"--multivariate {args.multivariate} tests two or more columns together; "
                f"{len(columns)} column(s) were checked", where=args.current)
        together = _together(args.multivariate, reference, current, columns)
    if args.json:
        out = json_safe(report)
        if together is not None:
            out["multivariate"] = json_safe(together)
            out["drifted_by_columns"] = bool(report.drifted)  # the per-column verdict alone
            out["drifted"] = bool(report.drifted) or together["drifted"]
        ctx.print_json(out)
        return 0
    drifted = bool(report.drifted) or bool(together and together["drifted"])
    verdict = "DRIFTED" if drifted else "no dataset drift"
    jointly = "; the columns together drifted" if together and together["drifted"] else ""
    print(
        f"{verdict}: {report.n_drifted} of {report.n_checked} column(s) drifted "
        f"(share {report.share_drifted:.2f}, dataset threshold {report.drift_share:g}){jointly}; "
        f"{report.n_reference} reference row(s), {report.n_current} current row(s)"
    )
    if report.results or together:
        print()
        rows = [
            [r.column, r.kind, r.method, r.statistic, r.p_value, r.threshold, r.drifted]
            for r in report.results
        ]
        if together:
            rows.append([together["column"], "together", together["method"], together["statistic"],
                         together["p_value"], together["threshold"], together["drifted"]])
        print(
            _table(
                rows, ["column", "kind", "method", "statistic", "p_value", "threshold", "drifted"]
            )
        )
    if together:
        print(f"\n{together['column']}: the columns together ({', '.join(together['columns'])}), "
              f"{_explain(together)}")
    if report.unchecked:
        print()
        for name, reason in report.unchecked.items():
            print(f"not checked: {name}: {reason}")
    if report.excluded:
        print()
        for name, reason in report.excluded.items():
            hint = " (check it with --include " + name + ")" if reason.startswith("id-like") else ""
            print(f"excluded: {name}: {reason}{hint}")
    if report.findings:
        print()
        for finding in report.findings:
            print(f"{finding.check}: {finding.message}")
    return 0


def _explain(together: dict[str, Any]) -> str:
    state = "drifted" if together["drifted"] else "no drift"
    if together["lower"] is not None and together["p_value"] is None:
        return (f"{together['method']}: mean reconstruction error {together['statistic']:.4g}, "
                f"reference band {together['lower']:.4g}..{together['threshold']:.4g}: {state}")
    p = "" if together["p_value"] is None else f", p = {together['p_value']:.3g}"
    return (f"{together['method']}: ROC AUC {together['statistic']:.4g} against threshold "
            f"{together['threshold']:.4g}{p}: {state}")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``drift`` command to the parser.

    Results print as a short table, or as JSON with ``--json``. Every problem with the input files
    is a ``WorkbenchError``: unreadable or empty files exit 2, files that parse but do not fit (no
    shared column, no rows, a missing column) exit 1.
    """
    drift = subparsers.add_parser(
        "drift",
        help="compare a current data file with a reference (drift and data deviation)",
        description="Drift of CURRENT against REFERENCE (CSV, Parquet, or a saved .npz profile).",
    )
    drift.add_argument("reference", metavar="REFERENCE")
    drift.add_argument("current", metavar="CURRENT")
    drift.add_argument(
        "--method",
        action="append",
        metavar="NAME",
        help="a drift method (ks, psi, jensenshannon, wasserstein, hellinger, linf, chi2, or "
        "all); repeat for several; default: one per column by kind and size",
    )
    drift.add_argument(
        "--threshold", action="append", metavar="METHOD=VALUE",
        help="override a method's threshold (the defaults are the workbench's one drift threshold "
        "for distances and p < 0.05 for tests; each result prints its threshold)",
    )
    drift.add_argument(
        "--kind",
        action="append",
        metavar="COLUMN=KIND",
        help="numeric, categorical, boolean or ignore",
    )
    drift.add_argument(
        "--id-column", action="append", metavar="COLUMN",
        help="a key column, left out of drift (repeatable); id-like columns are left out anyway",
    )
    drift.add_argument(
        "--exclude", action="append", metavar="COLUMN", help="leave this column out (repeatable)"
    )
    drift.add_argument(
        "--include", action="append", metavar="COLUMN",
        help="check this column although it looks like an id (repeatable)",
    )
    drift.add_argument(
        "--drift-share", type=float, default=0.5, help="share of drifted columns for dataset drift"
    )
    drift.add_argument(
        "--save-profile", metavar="PATH", help="also write the fitted reference profile (.npz)"
    )
    drift.add_argument(
        "--multivariate", choices=MULTIVARIATE_TESTS, metavar="pca|classifier",
        help="also test the checked columns together ('*all'): pca (PCA reconstruction error "
        "against the reference's 3-sigma band) or classifier (can a classifier tell the files "
        "apart; permutation test); needs a data file as REFERENCE, not a .npz profile",
    )
    drift.add_argument("--json", action="store_true", help="print the report as JSON")
    drift.set_defaults(handler=_cmd_drift)
