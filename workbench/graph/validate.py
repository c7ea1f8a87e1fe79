"""Whole-graph validation: every problem a graph has, as data, in one linear pass.

Rules: ``validate`` never raises for a problem in the graph; it returns ``Problem`` records
(errors and warnings) in a stable order (nodes in graph order, then edges, then cycles). The
editing API already refuses most of these, but a graph loaded leniently from a file (unknown
kinds, bad values) or built by a plug-in may have any of them. ``ensure_valid`` raises
``GraphValidationError`` (``DanglingInputError`` when unconnected required inputs are the only
errors). Cost is O(nodes + edges + parameters).

Problem codes: ``unknown_kind``, ``unknown_param``, ``invalid_param``, ``missing_param``,
``dangling_input``, ``port_overconnected``, ``unknown_port``, ``incompatible_ports``,
``cycle``, ``estimator_not_allowed``, ``secret_in_graph``, ``path_outside_graph_folder``
(errors; see ``param_safety``) and ``orphan_node`` (warning).

Estimators: a parameter named ``estimator`` of type ``import_path`` (the built-in
``train_sklearn``'s, and a plug-in kind's that follows it) must name a class on the estimator
allow-list (``workbench.estimators``); anything else is an ``estimator_not_allowed`` error that
names the node, the parameter, the name given and what is allowed. The named module is never
imported to decide that (only scikit-learn's own modules are).
"""

from __future__ import annotations

from workbench.estimators import estimator_refusal
from workbench.graph.catalog import NodeKind, ParamSpec, ports_compatible, validate_param
from workbench.graph.errors import DanglingInputError, GraphError, GraphValidationError
from workbench.graph.model import Graph, Node
from workbench.graph.param_safety import climbs_out, passwords_in, secret_problem_text
from workbench.graph.problems import Problem
from workbench.graph.promotion_rules import champion_problems

__all__ = ["Problem", "ensure_valid", "errors_of", "validate"]


def _missing(spec: ParamSpec, node: Node) -> bool:
    if spec.name not in node.params:
        return True
    value = node.params[spec.name]
    return value is None or (isinstance(value, str) and not value.strip())


def _estimator_problem(kind: NodeKind, nid: str, name: str, value: object,
                       out: list[Problem], deep: bool = True) -> None:
    spec = kind.param(name)
    if spec is None or spec.type != "import_path" or name != "estimator" or not value:
        return
    refusal = estimator_refusal(value, deep=deep)
    if refusal is not None:
        out.append(Problem("estimator_not_allowed",
                           f"node '{nid}', parameter '{name}': {refusal}", nid, param=name))


def _node_problems(graph: Graph, node: Node, out: list[Problem], import_estimators: bool = True) -> None:
    kind = graph.catalog.find(node.kind)
    nid = node.id
    if kind is None:
        known = ", ".join(graph.catalog.kinds())
        out.append(
            Problem(
                "unknown_kind",
                f"node '{nid}': unknown node kind '{node.kind}' (known: {known})",
                nid,
            )
        )
        return
    for name, value in node.params.items():
        if passwords_in(value):  # before any check that might repeat the value
            out.append(Problem("secret_in_graph", secret_problem_text(nid, name, value), nid, param=name))
            continue
        if kind.param(name) is None:
            out.append(
                Problem(
                    "unknown_param",
                    f"node '{nid}': '{node.kind}' has no parameter '{name}'",
                    nid,
                    param=name,
                )
            )
            continue
        try:
            validate_param(kind, name, value, node_id=nid)
        except GraphError as exc:
            out.append(Problem("invalid_param", exc.message, nid, param=name))
            continue
        _estimator_problem(kind, nid, name, value, out, import_estimators)
        spec = kind.param(name)
        if spec is not None and spec.type == "path" and climbs_out(value):
            out.append(Problem("path_outside_graph_folder",
                               f"node '{nid}', parameter '{name}': the relative path {value!r} climbs out "
                               "of the graph's folder (relative paths start at the folder of the graph "
                               "file); keep the data under that folder or give an absolute path",
                               nid, param=name))
    for spec in kind.params:
        if spec.required and _missing(spec, node):
            out.append(
                Problem(
                    "missing_param",
                    f"node '{nid}': required parameter '{spec.name}' is not set",
                    nid,
                    param=spec.name,
                )
            )
    fed: dict[str, int] = {}
    incoming = graph.edges_into(nid)
    for edge in incoming:
        fed[edge.dst_port] = fed.get(edge.dst_port, 0) + 1
    for port in kind.inputs:
        count = fed.get(port.name, 0)
        if port.required and count == 0:
            out.append(
                Problem(
                    "dangling_input",
                    f"node '{nid}': required input '{port.name}' ({port.type}) is not connected",
                    nid,
                    port=port.name,
                )
            )
        elif count > 1 and not port.multiple:
            out.append(
                Problem(
                    "port_overconnected",
                    f"node '{nid}': input '{port.name}' takes one edge but has {count}",
                    nid,
                    port=port.name,
                )
            )
    if not kind.standalone and not incoming and not graph.edges_out_of(nid):
        out.append(
            Problem(
                "orphan_node",
                f"node '{nid}' is not connected to anything",
                nid,
                severity="warning",
            )
        )


def _edge_problems(graph: Graph, out: list[Problem]) -> None:
    catalog = graph.catalog
    nodes = graph.nodes
    for edge in graph.edges:
        src_kind = catalog.find(nodes[edge.src_node].kind)
        dst_kind = catalog.find(nodes[edge.dst_node].kind)
        if src_kind is None or dst_kind is None:
            continue  # reported as unknown_kind
        src = src_kind.output(edge.src_port)
        dst = dst_kind.input(edge.dst_port)
        if src is None or dst is None:
            node_id, port, kind, direction = (
                (edge.src_node, edge.src_port, src_kind.kind, "output")
                if src is None
                else (edge.dst_node, edge.dst_port, dst_kind.kind, "input")
            )
            out.append(
                Problem(
                    "unknown_port",
                    f"edge '{edge.id}': node '{node_id}' ({kind}) has no {direction} port '{port}'",
                    node_id,
                    port=port,
                    edge_id=edge.id,
                )
            )
        elif not ports_compatible(src.type, dst.type):
            out.append(
                Problem(
                    "incompatible_ports",
                    f"edge '{edge.id}': '{edge.source}' gives {src.type} but '{edge.target}' takes {dst.type}",
                    edge.dst_node,
                    port=edge.dst_port,
                    edge_id=edge.id,
                )
            )


def validate(graph: Graph, *, import_estimators: bool = True) -> list[Problem]:
    """Every problem of ``graph`` (errors and warnings); an empty list means all is well.
    ``import_estimators=False``: estimator names are checked by the rules that need no import
    (the editor's live check)."""
    problems: list[Problem] = []
    for node in graph.nodes.values():
        _node_problems(graph, node, problems, import_estimators)
    _edge_problems(graph, problems)
    problems.extend(champion_problems(graph, Problem))
    for cycle in graph.cycles():
        loop = " -> ".join([*cycle, cycle[0]])
        problems.append(
            Problem(
                "cycle",
                f"node '{cycle[0]}': cycle {loop} (only 'signal' edges may form feedback loops)",
                cycle[0],
            )
        )
    return problems


def errors_of(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]


def ensure_valid(graph: Graph) -> list[Problem]:
    """Raise ``GraphValidationError`` if ``graph`` has errors; return its warnings otherwise."""
    problems = validate(graph)
    errors = errors_of(problems)
    if errors:
        cls = (
            DanglingInputError
            if all(p.code == "dangling_input" for p in errors)
            else GraphValidationError
        )
        raise cls(problems, graph_name=graph.name)
    return problems
