"""Finding and hiding passwords in text and nested parameter values.

Standard library only: the step runtime uses it on remote hosts, where the SSH bundle ships it
(``engines/ssh/bundle.py``); ``graph.param_safety`` builds its graph rules on it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

__all__ = ["QUERY_PASSWORD", "URL_PASSWORD", "passwords_in", "redact", "strings_in"]

URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^\s/@:]*:)(?P<password>[^\s/@]+)(?P<tail>@)")
QUERY_PASSWORD = re.compile(r"(?P<head>[?&;](?:password|passwd|pwd)=)(?P<password>[^&;\s]+)(?P<tail>)",
                             re.IGNORECASE)


def strings_in(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings_in(key)
            yield from strings_in(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings_in(item)


def passwords_in(value: Any) -> bool:
    """Whether ``value`` (a parameter value, nested or not) holds a password."""
    return any(URL_PASSWORD.search(text) or QUERY_PASSWORD.search(text) for text in strings_in(value))


def redact(text: str) -> str:
    """``text`` with every URL or query password replaced by ``***``."""
    for pattern in (URL_PASSWORD, QUERY_PASSWORD):
        text = pattern.sub(lambda m: f"{m['head']}***{m['tail']}", text)
    return text
