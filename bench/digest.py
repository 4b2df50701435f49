"""Benchmark: 100 channels × 5–10 radar rules × a 2,000-paper arXiv day.

Part 1 times building every digest (matching, ordering, numbering, TL;DRs from the cache,
briefings) beside a naive per-channel, per-paper, per-rule match. Part 2 counts LLM requests
and tokens per posted paper against a local OpenAI-compatible server, beside the naive
one-request-per-paper-per-channel cost. Run: python -m bench.digest
"""

from __future__ import annotations

import datetime as dt
import math
import random
import re
import sys
import tempfile
from collections import Counter
from pathlib import Path

from bench.common import bench_seed, engine_on, machine, median_of, table, timed, verdict
from bench.corpus import big_day
from bot.engine import Engine
from bot.models import Paper
from bot.radar import RadarRule, match_paper, parse_rule
from tests.fakes.openai_server import FakeOpenAI

DAY = dt.date(2026, 6, 16)
CHANNELS = 100


SEED = bench_seed()


def radars(papers: list[Paper], seed: int = SEED) -> list[list[RadarRule]]:
    """Radars drawn at random (BENCH_SEED repeats a run) from the day's real categories,
    authors and title words."""
    rng = random.Random(seed)
    cats = sorted({c for p in papers for c in p.categories})
    authors = sorted({a for p in papers for a in p.authors[:3] if len(a.split()) >= 2})
    words = Counter(w for p in papers for w in re.findall(r"[a-z]{6,}", p.title.lower()))
    keywords = [w for w, n in words.most_common(400) if n >= 3]
    out = []
    for _ in range(CHANNELS):
        rules = [f"cat:{rng.choice(cats)}" for _ in range(rng.randint(1, 2))]
        rules += [f'author:"{rng.choice(authors)}"' for _ in range(rng.randint(2, 4))]
        rules += [f'keyword:"{rng.choice(keywords)}"' for _ in range(rng.randint(2, 4))]
        out.append([parse_rule(r) for r in dict.fromkeys(rules)])
    return out


def setup(url: str, feed: Path, **env: str) -> tuple[Engine, list[Paper], list[list[RadarRule]]]:
    engine = engine_on(url, **env)
    engine.ingest([str(feed)])
    papers = engine.find(__import__("bot.store.search", fromlist=["SearchSpec"]).SearchSpec(), limit=5000)
    channel_rules = radars(papers)
    for i, rules in enumerate(channel_rules):
        for rule in rules:
            engine.channels.subscribe(f"console:ch{i:03d}", rule)
    return engine, papers, channel_rules


def naive_match(papers: list[Paper], channel_rules: list[list[RadarRule]]) -> int:
    return sum(1 for rules in channel_rules for p in papers if match_paper(p, rules) is not None)


def part_timing(tmp: Path, feed: Path) -> tuple[list[tuple[str, str, str, str]], bool]:
    engine, papers, channel_rules = setup(f"sqlite:///{tmp}/timing.db", feed)
    digests = engine.build_digests(day=DAY)  # warms the TL;DR cache, as a day's first build does
    built = median_of(3, lambda: engine.build_digests(day=DAY))
    naive = timed(lambda: naive_match(papers, channel_rules))
    entries = sum(len(d.entries) for d in digests)
    matches = sum(d.total for d in digests)
    rules = sum(len(r) for r in channel_rules)
    # Recording writes every match (the thread's and the held rest) before anything is posted.
    recorded = timed(lambda: [engine.digests.outbox.record(d) for d in digests if d.entries])
    engine.close()
    ok = built <= 1.0
    return [
        (
            f"build {CHANNELS} digests ({rules} rules, {matches} matches, {entries} in threads, "
            "summaries cached)",
            f"{built * 1000:.0f} ms",
            f"naive per-paper matching alone: {naive * 1000:.0f} ms",
            f"≤ 1 s {verdict(ok)}",
        ),
        (
            f"record their full match lists in the outbox ({matches} rows)",
            f"{recorded * 1000:.0f} ms",
            "—",
            "— (once a day, before posting)",
        ),
    ], ok


def part_llm(tmp: Path, feed: Path) -> tuple[list[tuple[str, str, str, str]], bool]:
    with FakeOpenAI() as fake:
        engine, _papers, _rules = setup(
            f"sqlite:///{tmp}/llm.db",
            feed,
            OPENAI_API_KEY="sk-bench",
            OPENAI_BASE_URL=fake.base_url,
            ACADEMICHUB_LLM_BATCH="8",
        )
        digests = engine.build_digests(day=DAY)
        engine.close()
        posted = sum(len(d.entries) for d in digests)
        unique = len({e.paper.id for d in digests for e in d.entries})
        tldr, brief = len(fake.requests_of("tldr")), len(fake.requests_of("briefing"))
        with_entries = sum(1 for d in digests if d.entries)
        expected = math.ceil(unique / 8) + with_entries
        per_request = fake.tokens / max(1, tldr + brief)
        naive_tokens = per_request / 8 * posted  # one paper per request, per channel
    ok = tldr + brief <= expected
    return [
        (
            "LLM requests for the day",
            f"{tldr} TL;DR + {brief} briefing = {tldr + brief}",
            f"naive: {posted} (one per paper per channel)",
            f"⌈{unique}/8⌉ + {with_entries} = {expected} {verdict(ok)}",
        ),
        ("requests per posted paper", f"{(tldr + brief) / posted:.3f}", "naive: 1.000", "—"),
        (
            "tokens per posted paper",
            f"{fake.tokens / posted:.0f}",
            f"naive: ~{naive_tokens / posted:.0f}",
            "—",
        ),
    ], ok


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        feed = tmp / "day.xml"
        feed.write_bytes(big_day(2000))
        rows1, ok1 = part_timing(tmp, feed)
        rows2, ok2 = part_llm(tmp, feed)
    print(
        f"machine: {machine()}; 2,000 real papers, {CHANNELS} channels; radars drawn with BENCH_SEED={SEED}"
    )
    print(table("digest: 100 channels × 5–10 rules × 2,000 papers", rows1 + rows2))
    return 0 if ok1 and ok2 else 1


if __name__ == "__main__":
    sys.exit(main())
