"""bench.sweep's composed queries: each one the `/papers` language takes, and a seed repeats them."""

from __future__ import annotations

from bench.sweep import Composer
from bot.query import parse


def test_composed_queries_parse_and_a_seed_repeats_them() -> None:
    drawn = Composer(3).queries(300)
    assert drawn == Composer(3).queries(300)
    assert drawn != Composer(4).queries(300)
    heads = set()
    for q, after in drawn:
        command = parse(q)  # a UsageError here is a query the sweep should not draw
        heads.add(command.name)
        assert (q == "more") == bool(after)
        assert not after or after != "more"  # a `more` continues a composed query
    assert {"search", "author", "cat", "more"} <= heads
    kinds = " ".join(q for q, _ in drawn)
    for clause in ("author:", "cat:", ' -"', "since:", "keyword:", ","):
        assert clause in kinds, clause
