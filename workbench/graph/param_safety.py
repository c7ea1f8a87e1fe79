"""What a graph's parameters may not hold, and where relative paths in a graph start.

A graph is stored and shared as text (graph files in Git, ``graph_versions`` in the store,
the lineage of every artifact), so:

* **No secrets.** A string that holds a password — a URL ``scheme://user:password@host`` or a
  ``password=``/``pwd=`` query field — anywhere in a parameter (nested mappings and lists
  included) is a ``secret_in_graph`` error naming the node and the parameter; the password is
  never repeated in the message. Secrets belong in the OS keyring, under a name: a database
  password under ``database:<the URL without the password>``, which the data source looks up.
  ``redact_params`` hides any such password (``***``) as a second line of defence, before
  parameters are recorded anywhere.
* **Paths stay in the graph's folder.** A relative value of a ``path`` parameter is taken
  relative to the folder of the graph file (for a graph in the store: the folder its run was
  started from). One that climbs out of that folder (``../`` beyond it) is a
  ``path_outside_graph_folder`` error. Absolute paths, ``~`` paths and URLs are left as they
  are: they say plainly where they point.

Rules: pure functions, no file is touched (validation never looks at the disk).
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from workbench.redaction import QUERY_PASSWORD, URL_PASSWORD, passwords_in, redact, strings_in

__all__ = ["SECRET_KIND", "climbs_out", "keyring_name", "passwords_in", "redact", "redact_params",
           "resolve_path", "secret_problem_text"]

SECRET_KIND = "database"
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")


def redact_params(value: Any) -> Any:
    """A copy of ``value`` (parameters, nested) with every password hidden."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {redact_params(k): redact_params(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_params(v) for v in value]
    return value


def keyring_name(text: str) -> str:
    """The keyring entry a password of the URL in ``text`` belongs under (the URL without it)."""
    match = URL_PASSWORD.search(text)
    if match is None:
        return f"{SECRET_KIND}:<the URL without its password>"
    head = match["head"][:-1]  # drop the ':' before the password
    rest = text[match.end():].split()[0] if text[match.end():].strip() else ""
    return f"{SECRET_KIND}:{head}@{QUERY_PASSWORD.sub('', rest)}"


def secret_problem_text(node_id: str, param: str, value: Any) -> str:
    """The message of a ``secret_in_graph`` error (never holding the password)."""
    url = next((t for t in strings_in(value) if URL_PASSWORD.search(t)), None)
    shown = redact(url) if url is not None else "password=***"
    where = (f"remove it from the URL and put it in the OS keyring as '{keyring_name(url)}' "
             f"(keyring set mlops-workbench '{keyring_name(url)}'), where the data source finds it"
             if url is not None else
             "put it in the OS keyring (service 'mlops-workbench') and name the entry instead")
    return (f"node '{node_id}', parameter '{param}': holds a password ({shown}); a graph is "
            f"stored and shared as text and may not hold secrets: {where}")


def _is_relative(raw: str) -> bool:
    return bool(raw) and not (raw.startswith("~") or _SCHEME.match(raw) or PurePosixPath(raw).is_absolute()
                              or PureWindowsPath(raw).is_absolute())


def climbs_out(raw: Any) -> bool:
    """Whether a relative path climbs out of the folder it is relative to."""
    if not isinstance(raw, str) or not _is_relative(raw.strip()):
        return False
    normal = posixpath.normpath(raw.strip().replace("\\", "/"))
    return normal == ".." or normal.startswith("../")


def resolve_path(raw: Any, folder: Path | None) -> Any:
    """A relative path made absolute against ``folder`` (the graph's); anything else as it is.
    ``folder`` None (not known) leaves relative paths as they are."""
    if folder is None or not isinstance(raw, str) or not _is_relative(raw.strip()):
        return raw
    return str(Path(posixpath.normpath(str(Path(folder) / raw.strip()))))
