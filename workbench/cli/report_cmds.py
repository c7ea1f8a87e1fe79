"""``workbench report model NAME VERSION -o FILE.html``: a model card for governance."""

from __future__ import annotations

import argparse

from workbench.cli.context import CliContext


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``report`` commands to the parser."""
    report = sub.add_parser("report", help="governance reports")
    report_sub = report.add_subparsers(dest="report_command", metavar="KIND", required=True)
    model = report_sub.add_parser("model", help="an HTML model card of a model version")
    model.add_argument("name")
    model.add_argument("version", type=int)
    model.add_argument("-o", "--output", required=True, metavar="FILE.html")
    model.set_defaults(handler=_model)


def _model(args: argparse.Namespace, ctx: CliContext) -> int:
    from workbench.services.reports import write_model_card

    path = write_model_card(ctx.store(read_only=True), ctx.user, args.name, args.version, args.output)
    print(f"wrote the model card of {args.name} version {args.version} to {path}")
    return 0
