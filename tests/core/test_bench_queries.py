"""The benchmarks' drawn queries (bench.search's shapes, bench.sweep's composed ones): each one the
`/papers` language takes, and a seed repeats them."""

from __future__ import annotations

from bench.search import SHAPES, queries
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


def test_the_search_bench_draws_every_shape_as_queries_the_language_takes() -> None:
    """A drawn title word or phrase of stop words alone would be a usage error (the language
    drops such terms): the bench draws none."""
    for seed in (1, 2, 3):
        drawn = queries(seed, papers=10_000)
        assert drawn == queries(seed, papers=10_000)
        assert {shape for shape, _q in drawn} == set(SHAPES)
        for _shape, q in drawn:
            parse(q)
