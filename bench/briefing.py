"""Benchmark: the extractive briefing by themes (issue 20) beside the term-count briefing it replaced.

Part 1 draws 25-paper digests at random from the real daily listings in tests/fixtures/corpus (a
random day, a radar of two of its categories, 25 of the matches) and times one briefing with every
per-paper cache empty (no other channel had these papers yet) and again warm (another channel
already had them). Part 2 briefs 100 channels of one day (radars of two categories each, ≤ 25
papers), first from empty caches as a day's first build does, then warm as bench.digest's timed
builds do. The baseline is the old briefing (bench/old_briefing.py) on the same digests.
Run: python -m bench.briefing
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence

from bench import old_briefing
from bench.common import bench_seed, machine, percentile, table, verdict
from bot.models import DigestEntry, Paper
from bot.summarize import ExtractiveSummarizer
from bot.summarize.briefing import forget_analysed_papers
from tests.corpus import LISTING_DAYS, listing_papers

DIGESTS = 40
CHANNELS = 100
SEED = bench_seed()  # printed; repeats a run
Digest = tuple[list[DigestEntry], list[str]]


def radar_digest(papers: list[Paper], rng: random.Random, size: int = 25) -> Digest:
    """A radar of two of the day's categories with ≥ 30 papers, and up to `size` of its matches."""
    counts: dict[str, int] = {}
    for paper in papers:
        for category in paper.categories:
            counts[category] = counts.get(category, 0) + 1
    radar = rng.sample(sorted(c for c, k in counts.items() if k >= 30), 2)
    matches = [p for p in papers if set(radar) & set(p.categories)]
    chosen = rng.sample(matches, min(size, len(matches)))
    return [DigestEntry(number=i, paper=p) for i, p in enumerate(chosen, 1)], radar


def new_briefing(digest: Digest) -> None:
    ExtractiveSummarizer().briefing(digest[0], "en", digest[1])


def old_brief(digest: Digest) -> None:
    old_briefing.briefing_text(digest[0], "en")


def forget_old() -> None:
    old_briefing._terms_of.cache_clear()
    forget_analysed_papers()  # clean_latex's cache is shared


def per_digest(
    digests: Sequence[Digest], brief: Callable[[Digest], None], forget: Callable[[], None]
) -> dict[str, list[float]]:
    """Milliseconds per briefing, wall clock and CPU, cold (caches emptied first) and warm (again)."""
    out: dict[str, list[float]] = {"cold": [], "warm": [], "cold_cpu": [], "warm_cpu": []}
    for digest in digests:
        forget()
        for kind in ("cold", "warm"):
            wall, cpu = time.perf_counter(), time.process_time()
            brief(digest)
            out[kind].append((time.perf_counter() - wall) * 1000)
            out[f"{kind}_cpu"].append((time.process_time() - cpu) * 1000)
    return out


def channels_total(
    digests: Sequence[Digest], brief: Callable[[Digest], None], forget: Callable[[], None]
) -> list[tuple[float, float]]:
    """(wall, CPU) seconds for all channels' briefings: from empty caches, then again warm."""
    forget()
    out = []
    for _ in range(2):
        wall, cpu = time.perf_counter(), time.process_time()
        for digest in digests:
            brief(digest)
        out.append((time.perf_counter() - wall, time.process_time() - cpu))
    return out


def main() -> int:
    rng = random.Random(SEED)
    days = {day: listing_papers(day) for day in LISTING_DAYS}
    digests = [radar_digest(days[rng.choice(LISTING_DAYS)], rng) for _ in range(DIGESTS)]
    start = time.perf_counter()
    new_briefing(digests[0])  # the first briefing of a process imports SciPy's hierarchy
    first_call = time.perf_counter() - start
    old_brief(digests[0])
    new = per_digest(digests, new_briefing, forget_analysed_papers)
    old = per_digest(digests, old_brief, forget_old)
    day = LISTING_DAYS[-1]
    channels = [radar_digest(days[day], rng) for _ in range(CHANNELS)]
    new_first, new_again = channels_total(channels, new_briefing, forget_analysed_papers)
    old_first, old_again = channels_total(channels, old_brief, forget_old)

    def total(seconds: tuple[float, float]) -> str:
        return f"{seconds[0] * 1000:.0f} ms (CPU {seconds[1] * 1000:.0f} ms)"

    def ms(times: dict[str, list[float]], kind: str) -> str:
        wall, cpu = times[kind], times[f"{kind}_cpu"]
        return (
            f"median {statistics.median(wall):.1f} ms, p95 {percentile(wall, 95):.1f} ms "
            f"(CPU median {statistics.median(cpu):.1f} ms)"
        )

    cold_ok = statistics.median(new["cold"]) <= 50
    entries = sum(len(d[0]) for d in channels)
    rows = [
        (
            f"25-paper briefing, caches cold ({DIGESTS} random real digests)",
            ms(new, "cold"),
            f"old: {ms(old, 'cold')}",
            f"≤ 50 ms {verdict(cold_ok)}",
        ),
        ("25-paper briefing, papers already analysed", ms(new, "warm"), f"old: {ms(old, 'warm')}", "—"),
        (
            f"{CHANNELS} channels' briefings, {day}, day's first build ({entries} entries)",
            total(new_first),
            f"old: {total(old_first)}",
            "—",
        ),
        (
            f"{CHANNELS} channels' briefings, rebuilt (what bench.digest times)",
            total(new_again),
            f"old: {total(old_again)}",
            "inside bench.digest's ≤ 1 s",
        ),
        (
            "first briefing of a process (imports SciPy's hierarchy)",
            f"{first_call * 1000:.0f} ms",
            "old: no import",
            "—",
        ),
    ]
    load = os.getloadavg()[0]
    print(
        f"machine: {machine()}, load average {load:.1f}; real papers of {len(LISTING_DAYS)} listing days; "
        f"digests drawn with BENCH_SEED={SEED}"
    )
    print(table("briefing: themes (issue 20) beside the term-count briefing", rows))
    return 0 if cold_ok else 1


if __name__ == "__main__":
    sys.exit(main())
