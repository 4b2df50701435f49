"""Benchmark: one full arXiv day (2,000 real records in the rss.arxiv.org format).

The day is drawn at random (seeded) from the real records in tests/fixtures/corpus, and
ingested — parse + store — into a SQLite store that already holds the previous day, as a
daily fetch finds it; beside it, feedparser alone parsing the same bytes (the parse step
most peers stop at), and re-ingest of the same day beside the first. Each run starts with
the process's author-name caches empty, so the day's authors are new to it (those of the
previous day, stored first, are known), as for a scheduler that fetches once a day; five
runs in one process would otherwise find the day's authors cached by the first.
What a commit leaves to the store's upkeep worker (FTS5 merges, the WAL's checkpoint) runs
after the ingest returns: it is waited for before the next step and printed apart.
The day is drawn with a fresh seed each run, printed (BENCH_SEED or --seed repeats it).
Run: python -m bench.ingest [--seed S]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
from functools import partial
from pathlib import Path

import feedparser

import bot.names
from bench.common import bench_seed, engine_on, machine, median_of, table, timed, verdict
from bench.corpus import big_day
from bot.engine import Engine
from bot.sources import parse_any
from bot.store import fulltext

RUNS = 5
ITEMS = 2000


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--seed",
        type=int,
        default=bench_seed(),
        help="which records make the day (default: BENCH_SEED, or drawn fresh)",
    )
    args = parser.parse_args()
    day = dt.date(2026, 6, 16)
    data = big_day(ITEMS, day, seed=args.seed)
    previous = big_day(ITEMS, day - dt.timedelta(days=1), seed=args.seed + 1, first_number=40000)
    with tempfile.TemporaryDirectory() as tmp:
        feed, before = Path(tmp) / "day.xml", Path(tmp) / "previous.xml"
        feed.write_bytes(data)
        before.write_bytes(previous)
        assert len(feedparser.parse(data).entries) == ITEMS
        firsts, upkeeps, agains, baselines = [], [], [], []
        for run in range(RUNS):
            # feedparser and ours alternate, so a busy machine slows both alike; nothing runs
            # beside either: what a commit left to the store's upkeep worker (index merges,
            # the WAL's checkpoint) is waited for, and timed, before the next step.
            baselines.append(timed(lambda: feedparser.parse(data)))
            engine = engine_on(f"sqlite:///{tmp}/run{run}.db")
            _forget_author_names()
            _ingest(engine, before, new=ITEMS)
            engine.db.wait_for_upkeep()
            firsts.append(timed(partial(_ingest, engine, feed, new=ITEMS)))
            upkeeps.append(timed(engine.db.wait_for_upkeep))
            agains.append(timed(partial(_ingest, engine, feed, new=0)))
            engine.db.wait_for_upkeep()
            engine.close()
        parse_only = median_of(RUNS, lambda: engine_parse(data))
    baseline = sorted(baselines)[RUNS // 2]
    first, again = sorted(firsts)[RUNS // 2], sorted(agains)[RUNS // 2]
    upkeep = sorted(upkeeps)[RUNS // 2]
    ok1, ok2 = first <= 0.3 * baseline, again <= 0.5 * first
    size = f"{len(data) / 1e6:.1f} MB feed, {ITEMS:,} items (BENCH_SEED={args.seed})"
    print(f"machine: {machine()}; {size}; medians of {RUNS} runs")
    print(
        table(
            "ingest: a 2,000-item arXiv day",
            [
                (
                    "parse + store (first ingest, into a store holding the previous day)",
                    f"{first * 1000:.0f} ms (parse alone {parse_only * 1000:.0f} ms)",
                    f"feedparser.parse alone: {baseline * 1000:.0f} ms",
                    f"≤ 0.3× feedparser: {first / baseline:.2f}× {verdict(ok1)}",
                ),
                (
                    "after the first ingest returns: its commit's upkeep on the store's worker thread "
                    "(index segments merged, WAL checkpointed)",
                    f"{upkeep * 1000:.0f} ms",
                    f"first ingest: {first * 1000:.0f} ms",
                    "not in the ingest: searches go on meanwhile, a writer waits one merge step at most",
                ),
                (
                    "re-ingest of the same day",
                    f"{again * 1000:.0f} ms",
                    f"first ingest: {first * 1000:.0f} ms",
                    f"≤ 0.5× first: {again / first:.2f}× {verdict(ok2)}",
                ),
            ],
        )
    )
    return 0 if ok1 and ok2 else 1


def _forget_author_names() -> None:
    """Empty the caches of author-name parsing and index keys (bot.names, fulltext); the LaTeX
    tables, read once per process, stay."""
    for name, value in [*vars(bot.names).items(), *vars(fulltext).items()]:
        clear = getattr(value, "cache_clear", None)
        if callable(clear) and "latex" not in name:
            clear()


def engine_parse(data: bytes) -> None:
    parse_any(data, "day.xml")


def _ingest(engine: Engine, feed: Path, new: int) -> None:
    report = engine.ingest([str(feed)])
    assert report.failed == 0 and report.new == new, report


if __name__ == "__main__":
    sys.exit(main())
