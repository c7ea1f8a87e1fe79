"""Which Python files a graph may run: those inside a code folder the store declares.

A ``code`` parameter (``train_torch``'s ``script``) names a file the step executes. The
orchestrator asks :func:`code_refusal` before the step starts, on the path as the step will
see it (relative paths already resolved against the graph's folder); ``..`` and symlinks are
resolved first, so a script outside every declared folder, or a symlink out of one, never runs.
"""

from __future__ import annotations

import os
from pathlib import Path

from workbench.errors import InvalidInputError

__all__ = ["code_refusal", "normal_folder"]


def normal_folder(raw: str) -> str:
    """``raw`` as the store keeps it: absolute, ``~`` expanded, ``..`` and symlinks resolved."""
    text = (raw or "").strip()
    if not text or any(ord(c) < 32 for c in text):
        raise InvalidInputError(f"{raw!r} is not a folder path", hint="give an absolute folder path")
    path = Path(os.path.expanduser(text))
    if not path.is_absolute():
        raise InvalidInputError(f"the code folder {text!r} is not an absolute path",
                                hint="give the full path, e.g. /srv/ml/scripts")
    resolved = path.resolve()
    if resolved == Path(resolved.anchor):
        raise InvalidInputError("the whole file system cannot be a code folder",
                                hint="declare the folder that holds the scripts")
    return str(resolved)


def code_refusal(path: str, folders: list[str], where: str) -> str:
    """Why the Python file ``path`` may not run (``where`` names the node and parameter), or
    ``""`` when it lies inside one of ``folders``."""
    raw = (path or "").strip()
    if not raw:
        return ""
    candidate = Path(os.path.expanduser(raw))
    if not candidate.is_absolute():
        return (f"{where}: the script {raw!r} has no folder to start from; give an absolute path "
                "inside a declared code folder")
    resolved = candidate.resolve()
    for folder in folders:
        if resolved.is_relative_to(Path(folder)):
            return ""
    if not folders:
        return (f"{where}: the script {str(resolved)!r} may not run: this store declares no code "
                "folders. A graph's script is code; an engineer or admin reviews it and declares "
                "its folder with 'workbench code-folders add FOLDER'")
    return (f"{where}: the script {str(resolved)!r} is outside the declared code folders "
            f"({', '.join(folders)}). Move it into one of them, or have an engineer or admin "
            "review it and declare its folder with 'workbench code-folders add FOLDER'")
