"""torch.export archives inside torch checkpoints: what must hold before ``torch.export.load``
sees one.

A network from a user script is kept as ``torch.export`` bytes (``torch_support``). Loading
those is not ``weights_only``: ``torch.export.load`` unpickles weights and constants marked
``use_pickle``, custom and opaque objects, legacy ``.pt`` payloads (falling back to a full
unpickle when the safe one fails), and its tree specs may name a module to import (enum
members, ``defaultdict`` factories). ``check_exported(blob, where)`` refuses, with
``UntrustedModelError`` saying which member, any archive that would do one of those:

* a weights or constants config entry with ``use_pickle``, or a constant that is not a plain
  tensor (``tensor_*``);
* a legacy ``data/weights/*.pt`` or ``data/constants/*.pt`` payload;
* any other ``.pt`` member that ``torch.load(..., weights_only=True)`` cannot read (so torch's
  own first, safe attempt is the one that succeeds);
* any JSON member, or JSON text nested in one, holding an ``__enum__`` or
  ``default_factory_module`` key.

What ``torch_support.export_network`` writes passes. Rules: torch is imported inside functions.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from workbench.engines.runtime.sklearn_files import UntrustedModelError

__all__ = ["check_exported"]

_IMPORTING_KEYS = frozenset({"__enum__", "default_factory_module"})
_MAX_DEPTH = 64


def _names_code(value: Any, depth: int = 0) -> bool:
    """Whether decoded JSON ``value`` (or JSON text nested in it) asks to import by name."""
    if depth > _MAX_DEPTH:
        return True
    if isinstance(value, dict):
        if _IMPORTING_KEYS & set(map(str, value)):
            return True
        return any(_names_code(v, depth + 1) for v in value.values())
    if isinstance(value, list):
        return any(_names_code(v, depth + 1) for v in value)
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            nested = json.loads(value)
        except (json.JSONDecodeError, RecursionError):
            return False
        return _names_code(nested, depth + 1)
    return False


def check_exported(blob: bytes, where: str) -> None:
    """Refuse a torch.export archive whose loading would unpickle or import (see module doc)."""
    import torch

    def refuse(why: str) -> UntrustedModelError:
        return UntrustedModelError(
            f"the network's exported program {why}; it was not loaded", where=where,
            hint="export the network again with this workbench (train_torch with the script)")

    try:
        archive = zipfile.ZipFile(io.BytesIO(bytes(blob)))
    except zipfile.BadZipFile:
        raise refuse("is not a torch.export archive") from None
    with archive:
        for name in archive.namelist():
            data = archive.read(name)
            base = name.rsplit("/", 1)[-1]
            if name.endswith(".json"):
                try:
                    doc = json.loads(data)
                except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
                    raise refuse(f"holds unreadable JSON ({name})") from None
                if _names_code(doc):
                    raise refuse(f"names Python objects to import ({name})")
                if base.endswith(("_weights_config.json", "_constants_config.json")):
                    entries = doc.get("config") if isinstance(doc, dict) else None
                    for entry in (entries or {}).values():
                        path_name = str((entry or {}).get("path_name", ""))
                        if (entry or {}).get("use_pickle") or (
                                "constants" in base and not path_name.startswith("tensor_")):
                            raise refuse(f"holds pickled or custom objects ({name})")
            elif name.endswith(".pt"):
                if "/data/weights/" in name or "/data/constants/" in name:
                    raise refuse(f"uses the legacy pickled layout ({name})")
                try:
                    torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
                except Exception:
                    raise refuse(f"holds a pickle that is not plain tensors ({name})") from None
