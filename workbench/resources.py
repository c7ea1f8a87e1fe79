"""Where the files shipped beside the code live (templates, sample data, demo generator).

In a source checkout or an editable install they are the repository's top-level
``resources/`` folder; an installed wheel carries the same tree as ``workbench/_resources``.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def resources_root() -> Path:
    for candidate in (_PACKAGE_DIR / "_resources", _PACKAGE_DIR.parent / "resources"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        "the workbench's resources folder is missing; reinstall the package "
        f"(looked in {_PACKAGE_DIR / '_resources'} and {_PACKAGE_DIR.parent / 'resources'})"
    )


def resource_path(*parts: str) -> Path:
    return resources_root().joinpath(*parts)
