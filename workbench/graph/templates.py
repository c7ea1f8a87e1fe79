"""The graph templates shipped in ``resources/templates/<name>.yaml``: one per pattern of the
design notes (plain inference, retraining, approval, ensemble, canary).

Rules: templates are ordinary graph files stored in canonical form (``dumps(load(f))`` equals
the file), they validate without errors, and use only the built-in sample data set. Names are
the file stems; only shipped names load (no paths), so a name can never escape the folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from workbench.graph.errors import GraphFileError, UnknownTemplateError
from workbench.graph.fileformat import load
from workbench.graph.model import Graph
from workbench.resources import resource_path

__all__ = ["TemplateInfo", "describe_templates", "list_templates", "load_template", "template_path"]


@dataclass(frozen=True)
class TemplateInfo:
    """What a "new from template" dialog shows."""

    name: str
    title: str
    description: str


def _folder() -> Path:
    try:
        return resource_path("templates")
    except FileNotFoundError as exc:
        raise GraphFileError(str(exc)) from None


def list_templates() -> list[str]:
    """The names of the shipped templates, sorted."""
    folder = _folder()
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.yaml") if p.is_file())


def template_path(name: str) -> Path:
    names = list_templates()
    if name not in names:
        raise UnknownTemplateError(
            f"unknown template '{name}'", hint="known: " + (", ".join(names) or "none")
        )
    return _folder() / f"{name}.yaml"


def load_template(name: str) -> Graph:
    """A new graph read from the template ``name`` (``UnknownTemplateError`` if not shipped)."""
    return load(template_path(name))


def describe_templates() -> list[TemplateInfo]:
    """Name, title and description of every template."""
    infos = []
    for name in list_templates():
        graph = load_template(name)
        infos.append(TemplateInfo(name, graph.name, graph.description))
    return infos
