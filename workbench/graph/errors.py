"""The errors of the graph package.

Rules: every error is a ``WorkbenchError``. Edits that the model refuses and graphs that do
not validate are ``GraphError`` (an ``InvalidInputError``, exit code 1); each message names the
node id and, where there is one, the port or parameter. Files that cannot be used at all
(malformed YAML, binary junk, forbidden tags, alias bombs, a missing file) are
``GraphFileError`` (an ``UnusableInputError``, exit code 2); files that parse but describe a
wrong graph are ``GraphFormatError`` (exit code 1). File errors carry ``where`` as
``"<file>, line <n>, node '<id>'"``.
"""

from __future__ import annotations

from collections.abc import Sequence

from workbench.errors import InvalidInputError, UnusableInputError
from workbench.graph.problems import Problem

__all__ = [
    "CycleError",
    "DanglingInputError",
    "DuplicateEdgeError",
    "DuplicateNodeIdError",
    "DuplicateNodeKindError",
    "GraphError",
    "GraphFileError",
    "GraphFormatError",
    "GraphValidationError",
    "IncompatiblePortTypesError",
    "InvalidNodeIdError",
    "InvalidParameterError",
    "PortAlreadyConnectedError",
    "UnknownAnnotationError",
    "UnknownEdgeError",
    "UnknownNodeError",
    "UnknownNodeKindError",
    "UnknownPortError",
    "UnknownTemplateError",
]


class GraphError(InvalidInputError):
    """An edit or a graph that breaks one of the graph's rules (exit code 1)."""

    def __init__(
        self,
        message: str,
        *,
        node_id: str | None = None,
        port: str | None = None,
        param: str | None = None,
        where: str | None = None,
        hint: str | None = None,
    ):
        self.node_id = node_id
        self.port = port
        self.param = param
        super().__init__(message, where=where, hint=hint)


class UnknownNodeKindError(GraphError):
    """A node kind that the catalog does not know."""

    def __init__(self, kind: str, known: Sequence[str], *, node_id: str | None = None):
        self.kind = kind
        self.known = tuple(known)
        subject = f"node '{node_id}': " if node_id else ""
        super().__init__(
            f"{subject}unknown node kind '{kind}'",
            node_id=node_id,
            hint="known: " + ", ".join(self.known) if self.known else "no kinds are registered",
        )


class DuplicateNodeKindError(GraphError):
    """A second registration of a node kind under an id that is taken."""


class InvalidNodeIdError(GraphError):
    """A node or annotation id that is empty or holds characters ids may not hold."""


class DuplicateNodeIdError(GraphError):
    """A node (or annotation) id that the graph already holds."""


class UnknownNodeError(GraphError):
    """A node id that the graph does not hold."""


class UnknownAnnotationError(GraphError):
    """An annotation id that the graph does not hold."""


class UnknownPortError(GraphError):
    """A port name that the node's kind does not declare (or declares in the other direction)."""


class UnknownEdgeError(GraphError):
    """An edge that the graph does not hold."""


class IncompatiblePortTypesError(GraphError):
    """An edge between ports whose types do not match."""


class PortAlreadyConnectedError(GraphError):
    """A second edge into an input port that takes only one."""


class DuplicateEdgeError(GraphError):
    """An edge that the graph already holds."""


class CycleError(GraphError):
    """An edge (or a graph) that closes a cycle over non-``signal`` edges."""

    def __init__(self, message: str, *, cycle: Sequence[str] = (), **kwargs: object):
        self.cycle = tuple(cycle)
        super().__init__(message, **kwargs)  # type: ignore[arg-type]


class InvalidParameterError(GraphError):
    """A parameter value of the wrong type, outside its range or not one of its choices."""


class UnknownTemplateError(GraphError):
    """A template name that is not shipped."""


class GraphValidationError(GraphError):
    """A graph with problems; ``problems`` lists every one (errors and warnings)."""

    def __init__(self, problems: Sequence[Problem], *, graph_name: str | None = None):
        self.problems = list(problems)
        errors = [p for p in self.problems if p.severity == "error"]
        shown = "; ".join(p.message for p in errors[:5])
        more = f"; and {len(errors) - 5} more" if len(errors) > 5 else ""
        subject = f"graph '{graph_name}'" if graph_name else "the graph"
        count = f"{len(errors)} error" + ("" if len(errors) == 1 else "s")
        first = errors[0] if errors else None
        super().__init__(
            f"{subject} is not valid ({count}): {shown}{more}",
            node_id=first.node_id if first else None,
            port=first.port if first else None,
            param=first.param if first else None,
            hint="fix the listed problems and validate again",
        )


class DanglingInputError(GraphValidationError):
    """A graph whose only errors are required inputs that no edge feeds."""


class GraphFormatError(GraphError):
    """A graph file that parses but does not describe a valid graph (exit code 1)."""


class GraphFileError(UnusableInputError):
    """A graph file that cannot be used at all (exit code 2)."""
