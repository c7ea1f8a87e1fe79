"""Graph history for the signed-in person: saving a graph as a new version with a message,
the versions of a graph, and the difference between any two."""

from __future__ import annotations

from dataclasses import dataclass

from workbench.errors import InvalidInputError
from workbench.graph import Graph, loads
from workbench.graph.diff import GraphDiff, diff, merge
from workbench.graph.fileformat import dump_data, dumps
from workbench.graph.yamlsafe import dump_yaml
from workbench.services.identity import acting, authorise, project_of
from workbench.store import Store
from workbench.store.entities import GraphVersion

__all__ = ["GraphConflictError", "SaveResult", "compare", "history", "latest_saved", "save_graph", "version_text"]


class GraphConflictError(InvalidInputError):
    """Someone saved the graph since this edit began, and both changed the same nodes."""

    def __init__(self, name: str, base: int | None, latest: GraphVersion, conflicts: tuple[str, ...],
                 nodes: tuple[str, ...]):
        self.nodes, self.conflicts, self.latest = nodes, conflicts, latest
        started = f"version {base}" if base is not None else "a graph of your own"
        super().__init__(
            f"graph {name!r}: {latest.author} saved version {latest.version} since you started from "
            f"{started}, and you both changed {', '.join(repr(n) for n in nodes) or 'the same things'}: "
            + "; ".join(conflicts),
            hint=f"compare with 'workbench graph diff {name}@{latest.version} FILE', take their "
                 "changes into your file, or save with --force to overwrite theirs (audited)")


@dataclass(frozen=True)
class SaveResult:
    version: GraphVersion
    merged_with: int | None = None  # the later version merged in, if any
    overwrote: int | None = None  # the later version replaced (--force), if any
    unchanged: bool = False  # the store already had exactly this graph


def save_graph(store: Store, actor: str, graph: Graph, *, message: str = "",
               base_version: int | None = None, force: bool = False,
               project: str | None = None) -> SaveResult:
    """Save ``graph`` as a new version of its name (``graphs.save``: scientist or engineer).

    ``base_version`` is the version the edit started from. When someone saved since, the two edits
    merge (``graph.diff.merge``) if they touch different nodes; if they touch the same node the save
    is refused with a :class:`GraphConflictError` naming the nodes, unless ``force``: then the later
    version is overwritten and the audit entry (``graphs.overwrite``) says which. A save never loses
    an edit silently.
    """
    text = dumps(graph)
    with store.write(actor) as uow:
        where = project_of(uow, project)
        authorise(uow, actor, "graphs.save", where)
        uow.serialise()
        latest = uow.graphs.latest(where.id, graph.name)
        if latest is None or latest.version == base_version:
            saved = uow.graphs.save(where.id, graph.name, text, message=message,
                                    base_version=base_version)
            return SaveResult(saved, unchanged=latest is not None and saved.id == latest.id)
        if base_version is not None and base_version > latest.version:
            raise InvalidInputError(f"graph {graph.name!r} has no version {base_version} "
                                    f"(the latest is {latest.version})")
        if latest.text == text:
            return SaveResult(latest, unchanged=True)
        base = (loads(uow.graphs.version(where.id, graph.name, base_version).text)
                if base_version is not None else None)
        result = merge(dump_data(base) if base is not None else None, dump_data(graph),
                       dump_data(loads(latest.text)))
        if result.data is None:
            if not force:
                raise GraphConflictError(graph.name, base_version, latest, result.conflicts,
                                         result.conflicting_nodes)
            saved = uow.graphs.save(where.id, graph.name, text, message=message,
                                    base_version=base_version, overwrote=latest.version)
            return SaveResult(saved, overwrote=latest.version)
        merged = loads(dump_yaml(result.data), f"graph {graph.name!r} merged with version {latest.version}")
        note = f"merged with version {latest.version}" + (f": {message}" if message else "")
        saved = uow.graphs.save(where.id, graph.name, dumps(merged), message=note,
                                base_version=latest.version)
        return SaveResult(saved, merged_with=latest.version)


def history(store: Store, actor: str, name: str, *, project: str | None = None) -> list[GraphVersion]:
    """Every version of graph ``name``, newest first (anyone who may read the store)."""
    with store.read() as uow:
        acting(uow, actor)
        versions = uow.graphs.history(project_of(uow, project).id, name)
    if not versions:
        raise InvalidInputError(f"the store has no graph named {name!r}",
                                hint="'workbench graph save FILE' saves one")
    return versions


def version_text(store: Store, actor: str, name: str, version: int | None = None, *,
                 project: str | None = None) -> GraphVersion:
    """Version ``version`` of graph ``name`` (the latest when None)."""
    with store.read() as uow:
        acting(uow, actor)
        where = project_of(uow, project)
        if version is None:
            latest = uow.graphs.latest(where.id, name)
            if latest is None:
                raise InvalidInputError(f"the store has no graph named {name!r} in project {where.name!r}",
                                        hint="'workbench graph save FILE' saves one")
            return latest
        return uow.graphs.version(where.id, name, version)


def latest_saved(store: Store, actor: str, *, project: str | None = None) -> GraphVersion | None:
    """The graph version saved last in ``project`` (default: the default project), if any."""
    with store.read() as uow:
        acting(uow, actor)
        versions = uow.graphs.all(project_of(uow, project).id)
    return max(versions, key=lambda v: v.id) if versions else None


def compare(old: Graph, new: Graph) -> GraphDiff:
    """What changed from ``old`` to ``new``, node by node and edge by edge."""
    return diff(dump_data(old), dump_data(new))
