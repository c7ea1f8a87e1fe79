"""Finding 15 of the security review: a monitoring source prefix that holds the LIKE
wildcards ``%`` or ``_`` matches only literally, on SQLite and on PostgreSQL."""

from __future__ import annotations

from workbench.store import Store

ROW = {"column": "age", "method": "psi", "statistic": 0.3, "p_value": None, "threshold": 0.25, "drifted": True}
SOURCES = ("a_b/score", "axb/score", "100%/score", "100x/score", "100%more/score")


def _add_everywhere(store: Store) -> None:
    with store.write("admin") as uow:
        for source in SOURCES:
            uow.results.add_drift(source, 0, 1000, [ROW])
            uow.results.add_divergence(source, 0, 1000, "js", 0.4, 0.3, True, {})


def test_finding_15_source_prefix_wildcards_match_only_literally(store: Store) -> None:
    _add_everywhere(store)
    with store.read() as uow:
        for prefix, expected in (("a_b/", {"a_b/score"}), ("100%/", {"100%/score"}),
                                 ("100%", {"100%/score", "100%more/score"})):
            assert {r.source for r in uow.results.latest_drift(prefix)} == expected, prefix
            assert {r.source for r in uow.results.latest_divergence(prefix)} == expected, prefix
