"""``workbench canary`` and ``workbench kpi impact``: monitoring on CSV or Parquet files
(``workbench.monitoring.io``); ``kpi impact KPI --model NAME`` reads the store. The table and
NAME=VALUE helpers here are shared with ``workbench drift`` (``drift_cmds``)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas loads when a command reads a file, not when the CLI lists commands
    import pandas as pd

from workbench.errors import InvalidInputError

PREDICTION_COLUMNS = ("prediction", "score", "y_score", "probability", "proba", "y_pred")


def _pairs(values: list[str] | None, what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values or []:
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            raise InvalidInputError(f"{what} {item!r} is not NAME=VALUE")
        out[key.strip()] = value.strip()
    return out


def _fmt(value: Any, digits: int = 4) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value != value:
            return "nan"
        return f"{value:.{digits}g}"
    return str(value)


def _table(rows: list[list[Any]], header: list[str]) -> str:
    cells = [header] + [[_fmt(v) for v in row] for row in rows]
    widths = [max(len(str(r[i])) for r in cells) for i in range(len(header))]
    return "\n".join(
        "  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) for r in cells
    )


# ------------------------------------------------------------------------------ canary


def _prediction_column(frames: list[pd.DataFrame], given: str | None, names: list[str]) -> str:
    if given:
        for frame, name in zip(frames, names, strict=True):
            if given not in frame.columns:
                raise InvalidInputError(f"no column {given!r}", where=name)
        return given
    for candidate in PREDICTION_COLUMNS:
        if all(candidate in frame.columns for frame in frames):
            return candidate
    if (
        all(frame.shape[1] == 1 for frame in frames)
        and frames[0].columns[0] == frames[1].columns[0]
    ):
        return str(frames[0].columns[0])
    raise InvalidInputError(
        "cannot tell which column holds the predictions",
        hint=f"name it with --column (looked for {', '.join(PREDICTION_COLUMNS)})",
    )


def _cmd_canary(args: argparse.Namespace, ctx: Any) -> int:
    import pandas as pd

    from workbench.monitoring.canary import compare_predictions
    from workbench.monitoring.io import read_table
    from workbench.monitoring.report import json_safe

    champion = read_table(args.champion, what="champion file")
    challenger = read_table(args.challenger, what="challenger file")
    column = _prediction_column(
        [champion, challenger], args.column, [args.champion, args.challenger]
    )
    label = args.label_column
    if label and label not in champion.columns and label not in challenger.columns:
        raise InvalidInputError(f"no label column {label!r} in either file")
    unmatched = 0
    if args.id_column:
        for frame, name in ((champion, args.champion), (challenger, args.challenger)):
            if args.id_column not in frame.columns:
                raise InvalidInputError(f"no id column {args.id_column!r}", where=name)
        merged = champion.merge(challenger, on=args.id_column, suffixes=("", "__challenger"))
        unmatched = len(champion) + len(challenger) - 2 * len(merged)
        if merged.empty:
            raise InvalidInputError(f"no {args.id_column!r} value is in both files")
        right = pd.DataFrame(
            {
                c: merged[f"{c}__challenger" if c in champion.columns else c]
                for c in challenger.columns
                if c != args.id_column
            }
        )
        champion, challenger = merged[list(champion.columns)], right
    elif len(champion) != len(challenger):
        raise InvalidInputError(
            f"the champion file has {len(champion)} rows and the challenger file "
            f"{len(challenger)}; pair them with --id-column"
        )
    labels = None
    if label:
        labels = (champion if label in champion.columns else challenger)[label].to_numpy()
    skip = {column, label, args.id_column}
    features = [c for c in champion.columns if c in challenger.columns and c not in skip]
    result = compare_predictions(
        champion[column].to_numpy(),
        challenger[column].to_numpy(),
        labels,
        metric=args.metric,
        threshold=args.threshold,
        tolerance=args.tolerance,
        champion_features=champion[features] if features else None,
        challenger_features=challenger[features] if features else None,
    )
    if args.json:
        out = json_safe(result)
        out["column"] = column
        out["unmatched_rows"] = unmatched
        ctx.print_json(out)
        return 0
    state = "DIVERGENT" if result.divergent else "consistent"
    validity = "" if result.valid else " (NOT VALID: the two sides saw different traffic)"
    print(
        f"{state}: {result.metric} = {result.value:.4g} against threshold {result.threshold:g} "
        f"over {result.n} paired prediction(s) of {column!r}{validity}"
    )
    rows = []
    for name in ("agreement", "kappa", "mean_abs_diff", "share_above_tolerance"):
        value = getattr(result, name)
        if value is not None:
            ci = getattr(result, f"{name}_ci")
            rows.append([name, value, ci.low if ci else None, ci.high if ci else None])
    for name in (
        "ks",
        "ks_p_value",
        "jensenshannon",
        "psi",
        "histogram_rmse",
        "champion_accuracy",
        "challenger_accuracy",
    ):
        value = getattr(result, name)
        if value is not None:
            rows.append([name, value, None, None])
    if result.mcnemar is not None:
        rows.append(["mcnemar_p_value", result.mcnemar.p_value, None, None])
    print()
    print(_table(rows, ["measure", "value", "ci_low", "ci_high"]))
    for note in result.notes:
        print(f"note: {note}")
    if result.n_dropped:
        print(f"note: {result.n_dropped} row(s) without a prediction on both sides were dropped")
    if unmatched:
        print(f"note: {unmatched} row(s) had no partner with the same {args.id_column!r}")
    return 0


# ---------------------------------------------------------------------------------- kpi


def _time_column(frame: pd.DataFrame, given: str | None, where: str) -> str:
    import pandas as pd

    if given:
        if given not in frame.columns:
            raise InvalidInputError(f"no column {given!r}", where=where)
        return given
    for name in frame.columns:
        if str(name).lower() in ("time", "timestamp", "date", "datetime", "ts", "day"):
            return name
    for name in frame.columns:
        if frame[name].dtype == object:
            parsed = pd.to_datetime(frame[name].head(20), errors="coerce", format="mixed")
            if parsed.notna().all():
                return name
    raise InvalidInputError("no time column found", where=where, hint="name it with --time-column")


def _kpi_series(args: argparse.Namespace) -> pd.Series:
    import pandas as pd

    from workbench.monitoring.io import read_table

    frame = read_table(args.kpi, what="KPI file")
    time_col = _time_column(frame, args.time_column, args.kpi)
    if args.value_column:
        if args.value_column not in frame.columns:
            raise InvalidInputError(f"no column {args.value_column!r}", where=args.kpi)
        value_col = args.value_column
    else:
        others = [c for c in frame.columns if c != time_col]
        if not others:
            raise InvalidInputError("no value column besides the time", where=args.kpi)
        numeric = [c for c in others if pd.api.types.is_numeric_dtype(frame[c])]
        value_col = (numeric or others)[0]
    times = pd.to_datetime(frame[time_col], errors="coerce", format="mixed")
    if times.isna().any():
        raise InvalidInputError(
            f"{int(times.isna().sum())} row(s) have no readable time",
            where=f"{args.kpi}, column {time_col!r}",
        )
    values = pd.to_numeric(frame[value_col], errors="coerce")
    bad = int((values.isna() & frame[value_col].notna()).sum())
    if bad:
        raise InvalidInputError(
            f"{bad} value(s) are not numbers", where=f"{args.kpi}, column {value_col!r}"
        )
    if values.notna().sum() == 0:
        raise InvalidInputError(
            "the KPI column has no value", where=f"{args.kpi}, column {value_col!r}"
        )
    series = pd.Series(values.to_numpy(), index=pd.DatetimeIndex(times), name=str(value_col))
    return series.dropna()


def _cmd_kpi_impact(args: argparse.Namespace, ctx: Any) -> int:
    if args.model:  # a KPI of the store: the one computation the KPI review and the model card show
        return _store_kpi_impact(args, ctx)
    if not args.events:
        raise InvalidInputError("give --events EVENTS.csv (deployments in a file) or --model NAME "
                                "(a KPI series of the store and the model's recorded deployments)")
    from workbench.monitoring.io import read_table
    from workbench.monitoring.kpi import deployment_impact
    from workbench.monitoring.report import json_safe

    series = _kpi_series(args)
    events = read_table(args.events, what="events file")
    time_col = _time_column(events, args.event_time_column, args.events)
    columns = [time_col]
    name_col = args.event_name_column
    if name_col is None:
        name_col = next(
            (c for c in events.columns if str(c).lower() in ("name", "event", "model", "version")),
            None,
        )
    elif name_col not in events.columns:
        raise InvalidInputError(f"no column {name_col!r}", where=args.events)
    if name_col is not None:
        columns.append(name_col)
    result = deployment_impact(
        series, events[columns], freq=args.freq, hac_lags=args.hac_lags, window=args.window
    )
    if args.json:
        ctx.print_json(json_safe(result))
        return 0
    print(
        f"KPI {series.name!r}: {result.n} period(s) at {result.freq or 'the given spacing'}"
        f" ({result.n_filled} filled), Newey-West lags {result.hac_lags}, R² {result.r_squared:.3f}"
    )
    rows = []
    for e in result.events:
        rows.append(
            [
                e.name,
                e.level_change.value,
                e.level_change.p_value,
                e.slope_change.value,
                e.slope_change.p_value,
                e.before_after_diff,
                e.before_after_p,
            ]
        )
    print()
    print(_table(rows, ["event", "level_change", "p", "slope_change", "p", "after-before", "p"]))
    return 0


def _store_kpi_impact(args: argparse.Namespace, ctx: Any) -> int:
    from workbench.monitoring.report import json_safe
    from workbench.services.kpis import impact, impact_lines, list_kpis

    store = ctx.store(read_only=True)
    units = {s.name: s.unit for s in list_kpis(store, ctx.user, project=ctx.project)}
    if args.kpi not in units:
        raise InvalidInputError(f"the store has no KPI series {args.kpi!r}; it has: {', '.join(units) or 'none'}",
                                hint="'workbench kpi impact KPI.csv --events EVENTS.csv' works on files")
    result = impact(store, ctx.user, args.kpi, args.model, freq=args.freq or "D")
    if args.json:
        ctx.print_json(json_safe(result))
        return 0
    print(f"KPI {args.kpi!r} and the deployments of {args.model}:")
    for line in impact_lines(result, units[args.kpi]):
        print(f"  {line}")
    return 0 if result.result is not None else 1


# ----------------------------------------------------------------------------- register


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``canary`` and ``kpi`` commands to the parser.

    Results print as a short table, or as JSON with ``--json``. Every problem with the input files
    is a ``WorkbenchError``: unreadable or empty files exit 2, files that parse but do not fit (no
    shared column, no rows, a missing column) exit 1.
    """
    canary = subparsers.add_parser(
        "canary",
        help="compare a challenger's predictions with the champion's on the same inputs",
    )
    canary.add_argument("champion", metavar="CHAMPION")
    canary.add_argument("challenger", metavar="CURRENT_CHALLENGER")
    canary.add_argument("--column", help="the prediction column (default: prediction, score, …)")
    canary.add_argument("--label-column", help="a column with the true labels")
    canary.add_argument("--id-column", help="pair rows by this column instead of by position")
    canary.add_argument("--metric", help="verdict metric (agreement, kappa, mean_abs_diff, …)")
    canary.add_argument("--threshold", type=float, help="verdict threshold of the metric")
    canary.add_argument("--tolerance", type=float, default=0.1, help="score difference tolerance")
    canary.add_argument("--json", action="store_true", help="print the result as JSON")
    canary.set_defaults(handler=_cmd_canary)

    kpi = subparsers.add_parser("kpi", help="business KPI analytics")
    kpi_sub = kpi.add_subparsers(dest="kpi_command", metavar="SUBCOMMAND")

    def kpi_usage(args: argparse.Namespace, ctx: Any) -> int:
        kpi.print_help(sys.stderr)
        return 2

    kpi.set_defaults(handler=kpi_usage)
    impact = kpi_sub.add_parser(
        "impact", help="did deployments move a KPI? (interrupted time series)"
    )
    impact.add_argument("kpi", metavar="KPI", help="a KPI file (KPI.csv), or with --model a KPI series of the store")
    impact.add_argument("--events", metavar="EVENTS.csv", help="deployment times (and names)")
    impact.add_argument("--model", metavar="NAME",
                        help="the store's KPI series KPI and this model's recorded deployments (as the KPI review "
                             "view and the model card show them)")
    impact.add_argument("--time-column", help="time column of the KPI file")
    impact.add_argument("--value-column", help="value column of the KPI file")
    impact.add_argument("--event-time-column", help="time column of the events file")
    impact.add_argument("--event-name-column", help="name column of the events file")
    impact.add_argument("--freq", help="resample the KPI to this frequency (e.g. D, h)")
    impact.add_argument("--hac-lags", type=int, help="Newey-West lags (default 4(n/100)^(2/9))")
    impact.add_argument("--window", type=int, help="periods each side for before/after")
    impact.add_argument("--json", action="store_true", help="print the result as JSON")
    impact.set_defaults(handler=_cmd_kpi_impact)
