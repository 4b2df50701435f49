"""Benchmark: one full arXiv day (2,000 real records in the rss.arxiv.org format).

parse + store into a fresh SQLite store, beside feedparser alone parsing the same bytes
(the parse step most peers stop at), and re-ingest of the same day beside the first.
Run: python -m bench.ingest
"""

from __future__ import annotations

import sys
import tempfile
from functools import partial
from pathlib import Path

import feedparser

from bench.common import engine_on, machine, median_of, table, timed, verdict
from bench.corpus import big_day
from bot.engine import Engine

RUNS = 5


def main() -> int:
    data = big_day(2000)
    with tempfile.TemporaryDirectory() as tmp:
        feed = Path(tmp) / "day.xml"
        feed.write_bytes(data)
        parsed = feedparser.parse(data)
        assert len(parsed.entries) == 2000
        baseline = median_of(RUNS, lambda: feedparser.parse(data))
        firsts, agains = [], []
        for run in range(RUNS):
            engine = engine_on(f"sqlite:///{tmp}/run{run}.db")
            firsts.append(timed(partial(_ingest, engine, feed, new=2000)))
            agains.append(timed(partial(_ingest, engine, feed, new=0)))
            engine.close()
    first, again = sorted(firsts)[RUNS // 2], sorted(agains)[RUNS // 2]
    ok1, ok2 = first <= baseline, again <= 0.5 * first
    print(f"machine: {machine()}; {len(data) / 1e6:.1f} MB feed, 2,000 items; medians of {RUNS} runs")
    print(
        table(
            "ingest: a 2,000-item arXiv day",
            [
                (
                    "parse + store (first ingest)",
                    f"{first * 1000:.0f} ms",
                    f"feedparser.parse alone: {baseline * 1000:.0f} ms",
                    f"≤ 1.0× feedparser: {first / baseline:.2f}× {verdict(ok1)}",
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


def _ingest(engine: Engine, feed: Path, new: int) -> None:
    report = engine.ingest([str(feed)])
    assert report.failed == 0 and report.new == new, report


if __name__ == "__main__":
    sys.exit(main())
