"""The timings several open workbenches live by — presence's heartbeat and time-to-live, the
open workbench's send interval — keep their defaults unless the environment shortens them, and a
value that is not a positive number of seconds is refused with what to do."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.support.cli import ROOT
from workbench.errors import InvalidInputError
from workbench.services.presence import seconds_from_env

READ = ("from workbench.services.presence import REFRESH_S, TTL_S; "
        "from workbench.ui.outbox_sender import INTERVAL_MS; print(REFRESH_S, TTL_S, INTERVAL_MS)")


def _timings(env: dict[str, str]) -> str:
    import os

    clean = {k: v for k, v in os.environ.items() if not k.startswith(("WORKBENCH_PRESENCE_", "WORKBENCH_OUTBOX_"))}
    done = subprocess.run([sys.executable, "-c", READ], capture_output=True, text=True, cwd=ROOT,
                          env={**clean, "PYTHONPATH": str(ROOT), **env}, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_defaults_and_what_the_environment_shortens() -> None:
    assert _timings({}) == "10.0 30.0 5000"
    assert _timings({"WORKBENCH_PRESENCE_TTL_S": "3", "WORKBENCH_PRESENCE_REFRESH_S": "1",
                     "WORKBENCH_OUTBOX_INTERVAL_S": "0.5"}) == "1.0 3.0 500"
    # a heartbeat as slow as the time-to-live would let a present workbench blink out
    assert _timings({"WORKBENCH_PRESENCE_TTL_S": "3"}) == "1.0 3.0 5000"


@pytest.mark.parametrize("given", ["soon", "0", "-2", "nan"])
def test_a_value_that_is_not_seconds_is_refused(monkeypatch: pytest.MonkeyPatch, given: str) -> None:
    monkeypatch.setenv("WORKBENCH_PRESENCE_TTL_S", given)
    with pytest.raises(InvalidInputError) as refused:
        seconds_from_env("WORKBENCH_PRESENCE_TTL_S", 30.0)
    assert f"WORKBENCH_PRESENCE_TTL_S={given!r}" in str(refused.value)
    assert "unset it to use the default of 30 s" in str(refused.value)


def test_unset_or_empty_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKBENCH_OUTBOX_INTERVAL_S", " ")
    assert seconds_from_env("WORKBENCH_OUTBOX_INTERVAL_S", 5.0) == 5.0
    monkeypatch.delenv("WORKBENCH_OUTBOX_INTERVAL_S")
    assert seconds_from_env("WORKBENCH_OUTBOX_INTERVAL_S", 5.0) == 5.0
