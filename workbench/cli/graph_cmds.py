"""``workbench graph new|validate|show|templates``: graph files, headless (``save|log|diff``, a
graph's versions in the store, are ``graph_history_cmds``). ``validate`` and ``show`` never write."""

from __future__ import annotations

import argparse
import shutil
import sys
import textwrap
from dataclasses import asdict
from pathlib import Path

from workbench.cli.context import CliContext
from workbench.errors import InvalidInputError


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``graph`` commands to the parser."""
    graph = sub.add_parser("graph", help="create, validate and inspect graph files; save, list and compare their versions")
    graph_sub = graph.add_subparsers(dest="graph_command", metavar="ACTION", required=True)

    new = graph_sub.add_parser("new", help="write a new graph file from a template")
    new.add_argument("--template", required=True, metavar="NAME",
                     help="inference, retrain, approval, ensemble or canary")
    new.add_argument("-o", "--output", required=True, metavar="FILE")
    new.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    new.set_defaults(handler=_new)

    validate = graph_sub.add_parser("validate", help="check a graph file; exit 1 if it has errors")
    validate.add_argument("file", metavar="FILE")
    validate.add_argument("--json", action="store_true")
    validate.set_defaults(handler=_validate)

    show = graph_sub.add_parser("show", help="print a graph's nodes, edges and problems")
    show.add_argument("file", metavar="FILE")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=_show)

    templates = graph_sub.add_parser("templates", help="list the shipped templates")
    templates.add_argument("--json", action="store_true")
    templates.set_defaults(handler=_templates)

    from workbench.cli.graph_history_cmds import add_to

    add_to(graph_sub)  # save, log, diff: the graph's versions in the store


def _new(args: argparse.Namespace, ctx: CliContext) -> int:
    """Write a template's graph; an existing file only with ``--force``, and atomically."""
    from workbench.graph import load_template, save

    target = Path(args.output)
    if target.exists() and not args.force:
        raise InvalidInputError(f"{target} already exists", hint="pass --force to overwrite it")
    graph = load_template(args.template)
    save(graph, target)
    print(f"wrote {target} from the template {args.template!r} "
          f"({len(graph.nodes)} nodes, {len(graph.edges)} edges)")
    return 0


def _load_and_check(path: str):  # noqa: ANN202 - (Graph, problems)
    from workbench.graph import load, validate

    graph = load(path, strict=False)
    return graph, validate(graph)


def _problem_line(problem) -> str:  # noqa: ANN001 - workbench.graph.Problem
    where = f"node {problem.node_id!r}: " if problem.node_id else ""
    return f"{problem.severity}: {where}{problem.message} [{problem.code}]"


def _validate(args: argparse.Namespace, ctx: CliContext) -> int:
    """Exit 1 when the graph has errors (each printed with its node id), 2 when the file cannot
    be used at all."""
    graph, problems = _load_and_check(args.file)
    errors = [p for p in problems if p.severity == "error"]
    if args.json:
        ctx.print_json({"file": args.file, "valid": not errors, "nodes": len(graph.nodes),
                        "edges": len(graph.edges), "problems": [asdict(p) for p in problems]})
        return 1 if errors else 0
    for problem in problems:
        print(f"{args.file}: {_problem_line(problem)}", file=sys.stderr if problem in errors else sys.stdout)
    if errors:
        print(f"{args.file}: {len(errors)} error(s); the graph cannot run", file=sys.stderr)
        return 1
    print(f"{args.file}: valid ({len(graph.nodes)} nodes, {len(graph.edges)} edges"
          f"{f', {len(problems)} warning(s)' if problems else ''})")
    return 0


def _show(args: argparse.Namespace, ctx: CliContext) -> int:
    """Print nodes, edges and problems (the description whole, wrapped at words); exit 0
    whenever the file could be read."""
    graph, problems = _load_and_check(args.file)
    nodes = sorted(graph.nodes.values(), key=lambda n: n.id)
    edges = sorted(graph.edges, key=lambda e: e.id)
    if args.json:
        ctx.print_json({
            "name": graph.name, "description": graph.description,
            "nodes": [{"id": n.id, "kind": n.kind, "title": n.title, "target": n.target,
                       "params": n.params} for n in nodes],
            "edges": [{"from": f"{e.src_node}.{e.src_port}", "to": f"{e.dst_node}.{e.dst_port}"}
                      for e in edges],
            "problems": [asdict(p) for p in problems]})
        return 0
    print(graph.name)
    width = max(40, min(100, shutil.get_terminal_size((100, 24)).columns) - 2)
    for paragraph in graph.description.strip().split("\n\n"):
        if paragraph.strip():  # the whole description, wrapped at words, never cut
            print(textwrap.fill(" ".join(paragraph.split()), width, initial_indent="  ", subsequent_indent="  ",
                                break_long_words=False, break_on_hyphens=False))
    print(f"\nnodes ({len(nodes)}):")
    for node in nodes:
        target = f" @ {node.target}" if node.target else ""
        print(f"  {node.id:<16} {node.kind:<14} {node.title}{target}")
    print(f"\nedges ({len(edges)}):")
    for edge in edges:
        print(f"  {edge.src_node}.{edge.src_port} -> {edge.dst_node}.{edge.dst_port}")
    print(f"\nproblems ({len(problems)}):")
    for problem in problems:
        print(f"  {_problem_line(problem)}")
    return 0


def _templates(args: argparse.Namespace, ctx: CliContext) -> int:
    from workbench.graph import describe_templates

    infos = describe_templates()
    if args.json:
        ctx.print_json([asdict(i) for i in infos])
        return 0
    for info in infos:
        print(f"{info.name:<10} {info.title}")
    return 0
