"""Skip-or-fail for missing real components.

Locally a test that needs PostgreSQL, sshd or Java skips when it is missing; in CI
(``WORKBENCH_REQUIRE_ALL=1``) the same test fails, so a missing component never hides.
"""

from __future__ import annotations

import os

import pytest


def require_all() -> bool:
    return os.environ.get("WORKBENCH_REQUIRE_ALL") == "1"


def need(ok: bool, why: str) -> None:
    if ok:
        return
    if require_all():
        pytest.fail(f"required component missing (WORKBENCH_REQUIRE_ALL=1): {why}", pytrace=False)
    pytest.skip(why)
