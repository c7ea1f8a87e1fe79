"""Where the files shipped beside the code live (templates, sample data, demo generator, the
window icons).

In a source checkout, an editable install or a briefcase bundle they are the top-level
``resources/`` and ``icons/`` folders beside the ``workbench`` package; an installed wheel
carries the same trees as ``workbench/_resources`` and ``workbench/_icons`` (setup.py maps them
there). The copy inside the package wins, so an installed wheel never reads a checkout's files.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def _shipped_folder(packaged: str, top_level: str, what: str) -> Path:
    candidates = (_PACKAGE_DIR / packaged, _PACKAGE_DIR.parent / top_level)
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"the workbench's {what} folder is missing (looked in "
        f"{' and '.join(str(c) for c in candidates)}); reinstall the package, or in a "
        "checkout restore the folder with git"
    )


def resources_root() -> Path:
    """The folder of the graph templates and the demo's generator."""
    return _shipped_folder("_resources", "resources", "resources")


def resource_path(*parts: str) -> Path:
    return resources_root().joinpath(*parts)


def icons_root() -> Path:
    """The folder of the application icon (``mlops-workbench.svg`` and its PNG renderings)."""
    return _shipped_folder("_icons", "icons", "icons")
