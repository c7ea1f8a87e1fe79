"""How one alert reads in the operator's table: the count, first and last seen in local time,
whether its condition still holds, and a message shortened only at a word."""

from __future__ import annotations

from workbench.store.entities import Alert
from workbench.ui.formatting import local_time
from workbench.ui.views.alerts import COLUMNS, row_values, shorten

LONG = ("drift monitor: data drift in 3 consecutive windows up to window 41 (drifted: "
        + ", ".join(f"feature_number_{i}" for i in range(30)) + ")")


def test_a_long_message_is_shortened_at_a_word_and_a_short_one_is_whole() -> None:
    short = shorten(LONG)
    assert short.endswith(" …") and len(short) <= 242
    assert LONG.startswith(short.removesuffix(" …")) and LONG[len(short) - 2] in " ,"  # cut between words
    assert shorten("canary: challenger diverges") == "canary: challenger diverges"


def test_a_row_shows_count_first_and_last_seen_and_the_condition() -> None:
    alert = Alert(id=7, source="shop/canary", kind="divergence", message="challenger diverges", run_id=None,
                  status="open", created_at=1_796_000_000_000, acknowledged_by="", acknowledged_at=None,
                  condition="challenger diverges", count=12, last_seen_at=1_796_000_600_000, cleared_at=None)
    cells = dict(zip(COLUMNS, row_values(alert), strict=True))
    assert cells["count"] == 12 and cells["condition"] == "holds"
    assert cells["first seen"] == local_time(alert.created_at) and cells["last seen"] == local_time(alert.last_seen_at)
    cleared = dict(zip(COLUMNS, row_values(Alert(**{**alert.__dict__, "cleared_at": 1_796_000_900_000})), strict=True))
    assert cleared["condition"] == f"cleared {local_time(1_796_000_900_000)}"
