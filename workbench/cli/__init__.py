"""Headless entry points: ``workbench <command> …`` for people, Git hooks, Jenkins and Airflow.
Each command family is a ``*_cmds.py`` module exposing ``register(subparsers)``; a handler takes
``(args, ctx)`` and returns an exit code (exit codes: docs/architecture.md)."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence

from workbench import __version__
from workbench.cli.context import CliContext
from workbench.errors import WorkbenchError

COMMAND_MODULES = (
    "workbench.cli.store_cmds",
    "workbench.cli.graph_cmds",
    "workbench.cli.user_cmds",
    "workbench.cli.project_cmds",
    "workbench.cli.audit_cmds",
    "workbench.cli.run_cmds",
    "workbench.cli.serve_cmds",
    "workbench.cli.trigger_cmds",
    "workbench.cli.target_cmds",
    "workbench.cli.code_cmds",
    "workbench.cli.comment_cmds",
    "workbench.cli.notify_cmds",
    "workbench.cli.presence_cmds",
    "workbench.cli.report_cmds",
    "workbench.cli.demo_cmds",
    "workbench.cli.monitoring_cmds",
    "workbench.cli.drift_cmds",
    "workbench.cli.abtest_cmds",
    "workbench.cli.alert_cmds",
    "workbench.cli.sample_cmds",
)

EXIT_INTERNAL = 70


def _global_parser(*, with_help: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="workbench",
        description="MLOps Workbench. Without a command it opens the desktop workbench.",
        add_help=with_help,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--store",
        metavar="URL",
        help="store URL (sqlite:///FILE or postgresql+psycopg://…); default: $WORKBENCH_STORE "
        "or the embedded store in the user data directory",
    )
    parser.add_argument(
        "--user",
        metavar="NAME",
        help="acting user; default: $WORKBENCH_USER or the OS login",
    )
    parser.add_argument(
        "--project",
        metavar="NAME",
        help="the project to work in (what lists show, where graphs and runs go); default: "
        "$WORKBENCH_PROJECT or 'default'",
    )
    return parser


def build_parser() -> argparse.ArgumentParser:
    """The full command-line parser: the global options and every command module's commands.

    Each module of ``COMMAND_MODULES`` adds its commands through ``register(subparsers)``.
    """
    parser = _global_parser()
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        module.register(sub)
    return parser


def main(
    argv: Sequence[str] | None = None,
    open_gui: Callable[[CliContext], int] | None = None,
    check_gui: Callable[[], None] | None = None,
) -> int:
    """Run the command ``argv`` names, or open the desktop when there is none and ``open_gui`` is
    given; the exit status.

    A ``WorkbenchError`` becomes one clear line on stderr and its exit code (1 invalid input,
    2 unusable input, 3 denied); anything else is reported as an internal error (70) without a
    traceback unless ``WORKBENCH_DEBUG=1``.
    """
    words = list(argv) if argv is not None else sys.argv[1:]
    parser: argparse.ArgumentParser | None = None
    args: argparse.Namespace | None = None
    if open_gui is not None:
        # No command: open the desktop without importing every command module (and what they
        # import) first — that was most of a start-up's time.
        plain, rest = _global_parser(with_help=False).parse_known_args(words)
        if not rest:
            args = argparse.Namespace(store=plain.store, user=plain.user, project=plain.project, command=None)
    if args is None:
        parser = build_parser()
        args = parser.parse_args(words)
    ctx = CliContext.from_args(args)
    ctx.open_gui, ctx.check_gui = open_gui, check_gui
    try:
        if args.command is None:
            if open_gui is None:
                (parser or build_parser()).print_help()
                return 0
            return open_gui(ctx)
        handler = getattr(args, "handler", None)
        if handler is None:
            (parser or build_parser()).parse_args([*words, "--help"])
            return 2
        return int(handler(args, ctx) or 0)
    except WorkbenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`workbench … | head`): stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except Exception as exc:  # the last line of defence: never a bare traceback
        if os.environ.get("WORKBENCH_DEBUG") == "1":
            raise
        print(
            f"internal error: {type(exc).__name__}: {exc} "
            "(set WORKBENCH_DEBUG=1 to see the traceback)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
    finally:
        ctx.close()
