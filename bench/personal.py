"""Benchmark: 100 personal radars × 5 rules on a 2,000-paper arXiv day: LLM requests and build time.

A personal digest is a digest whose destination is a person, so its TL;DRs come from the same
cache as the channels': the day costs ⌈unique papers / batch⌉ TL;DR requests in total, however
many members and channels share a paper, plus one briefing per digest that has one (a personal
digest only from 5 papers). Counted against a local OpenAI-compatible server, beside the
channel-only figure of the same run, through `academichub digest`'s path (every digest at once)
and through the scheduler's (every member due at 08:00). Run: python -m bench.personal
"""

from __future__ import annotations

import datetime as dt
import math
import random
import re
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path

from bench.common import engine_on, machine, median_of, table, verdict
from bench.corpus import big_day
from bench.digest import CHANNELS, SEED, setup
from bot.digests import PERSONAL_BRIEFING_MIN
from bot.engine import Engine
from bot.models import Digest, Paper
from bot.radar import RadarRule, parse_rule
from bot.scheduler import Scheduler
from bot.store.search import SearchSpec
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.poster import PlatformState, RecordingPoster

DAY = dt.date(2026, 6, 16)
MEMBERS = 100
BATCH = 8
Row = tuple[str, str, str, str]
Runner = Callable[[Engine], list[Digest]]
Counted = tuple[int, int, list[Digest]]


def member_radars(papers: list[Paper], seed: int = SEED) -> list[list[RadarRule]]:
    """Personal radars of 5 rules drawn at random, as a researcher follows people and a topic:
    4 authors of the day and one two-word topic found in 2–6 of its titles (a single word, or a
    category, is a channel's business: it matches hundreds of abstracts)."""
    rng = random.Random(seed)
    authors = sorted({a for p in papers for a in p.authors[:4] if len(a.split()) >= 2})
    pairs: Counter[str] = Counter()
    for p in papers:
        words = re.findall(r"[a-z]{4,}", p.title.lower())
        pairs.update(f"{a} {b}" for a, b in pairwise(words))
    topics = sorted(t for t, n in pairs.items() if 2 <= n <= 6)
    out = []
    for _ in range(MEMBERS):
        rules = [f'author:"{a}"' for a in rng.sample(authors, 4)] + [f'keyword:"{rng.choice(topics)}"']
        out.append([parse_rule(r) for r in rules])
    return out


def subscribe_members(engine: Engine, radars: list[list[RadarRule]]) -> None:
    for i, rules in enumerate(radars):
        for rule in rules:
            engine.channels.subscribe(f"console:@m{i:03d}", rule)  # 08:00 UTC by default


def llm_env(fake: FakeOpenAI) -> dict[str, str]:
    return {
        "OPENAI_API_KEY": "sk-bench",
        "OPENAI_BASE_URL": fake.base_url,
        "ACADEMICHUB_LLM_BATCH": str(BATCH),
    }


def with_channels(tmp: Path, feed: Path, name: str, members: bool, run: Runner) -> Counted:
    """(TL;DR requests, briefing requests, digests) of one fresh store's day: bench.digest's 100
    channels, and the members' radars when asked."""
    with FakeOpenAI() as fake:
        engine, papers, _ = setup(f"sqlite:///{tmp}/{name}.db", feed, **llm_env(fake))
        if members:
            subscribe_members(engine, member_radars(papers))
        digests = run(engine)
        engine.close()
        return len(fake.requests_of("tldr")), len(fake.requests_of("briefing")), digests


def members_only(tmp: Path, feed: Path, name: str, run: Runner) -> Counted:
    """The same with the members' radars alone (no channel in the store)."""
    with FakeOpenAI() as fake:
        engine = engine_on(f"sqlite:///{tmp}/{name}.db", **llm_env(fake))
        engine.ingest([str(feed)])
        subscribe_members(engine, member_radars(engine.find(SearchSpec(), limit=5000)))
        digests = run(engine)
        engine.close()
        return len(fake.requests_of("tldr")), len(fake.requests_of("briefing")), digests


def build_all(engine: Engine) -> list[Digest]:
    return engine.build_digests(day=DAY)


def scheduled(engine: Engine) -> list[Digest]:
    """Every member due at 08:00 UTC: the scheduler's tick posts them (summarised together first);
    the digests are then read back as recorded, which asks the model nothing."""
    engine.digests.register_poster("console", lambda info: RecordingPoster(PlatformState()))
    Scheduler(engine).tick(dt.datetime(2026, 6, 16, 8, 0, tzinfo=dt.UTC))
    return engine.build_digests(day=DAY)


def figures(label: str, tldr: int, brief: int, digests: list[Digest]) -> tuple[Row, bool, int]:
    unique = len({e.paper.id for d in digests for e in d.entries})
    briefed = sum(
        1 for d in digests if d.entries and (not d.person or len(d.entries) >= PERSONAL_BRIEFING_MIN)
    )
    ok = tldr == math.ceil(unique / BATCH) and brief <= briefed
    value = f"{tldr} TL;DR + {brief} briefing"
    target = f"⌈{unique}/{BATCH}⌉ = {math.ceil(unique / BATCH)} TL;DR + ≤ {briefed} {verdict(ok)}"
    return (label, value, "", target), ok, tldr + brief


def personal_llm_requests(tmp: Path, feed: Path) -> tuple[list[Row], bool]:
    """The LLM requests of the day: members alone (digest and scheduler paths), channels alone,
    both together; each row's baseline is the channel-only figure of this run."""
    channel_only = figures(
        "100 channels × 5–10 rules (channel-only)", *with_channels(tmp, feed, "c", False, build_all)
    )
    runs = [
        ("100 members × 5 rules, `academichub digest`", members_only(tmp, feed, "m", build_all)),
        ("100 members × 5 rules, scheduler at 08:00", members_only(tmp, feed, "s", scheduled)),
        ("100 channels + 100 members, one build", with_channels(tmp, feed, "cm", True, build_all)),
    ]
    rows, ok = [channel_only[0]], channel_only[1]
    baseline = f"channel-only: {channel_only[2]} requests"
    for label, result in runs:
        row, good, _ = figures(label, *result)
        rows.append((row[0], row[1], baseline, row[3]))
        ok = ok and good
    members = runs[0][1][2]
    sizes = sorted(len(d.entries) for d in members if d.entries)
    naive = sum(sizes)
    rows.append(
        (
            "personal digests with papers (median size)",
            f"{len(sizes)} ({sizes[len(sizes) // 2] if sizes else 0})",
            f"naive one request per paper per member: {naive}",
            "—",
        )
    )
    return rows, ok


def personal_build_time(tmp: Path, feed: Path) -> tuple[list[Row], bool]:
    """Match + build 100 channels' and 100 members' digests, summaries cached (SPEC §10: ≤ 1 s)."""
    engine, papers, _ = setup(f"sqlite:///{tmp}/t.db", feed)
    engine.build_digests(day=DAY)
    channels_only = median_of(3, lambda: engine.build_digests(day=DAY))
    subscribe_members(engine, member_radars(papers))
    engine.build_digests(day=DAY)  # the members' first build fills the cache, as a day's first does
    both = median_of(3, lambda: engine.build_digests(day=DAY))
    engine.close()
    ok = both <= 1.0
    return [
        (
            f"build {CHANNELS} channels' + {MEMBERS} members' digests",
            f"{both * 1000:.0f} ms",
            f"channels alone: {channels_only * 1000:.0f} ms",
            f"≤ 1 s {verdict(ok)}",
        )
    ], ok


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        feed = tmp / "day.xml"
        feed.write_bytes(big_day(2000))
        rows1, ok1 = personal_llm_requests(tmp, feed)
        rows2, ok2 = personal_build_time(tmp, feed)
    print(
        f"machine: {machine()}; 2,000 real papers, {CHANNELS} channels, {MEMBERS} personal radars "
        f"(BENCH_SEED={SEED})"
    )
    print(table("personal radars: 100 members × 5 rules × 2,000 papers", rows1 + rows2))
    return 0 if ok1 and ok2 else 1


if __name__ == "__main__":
    sys.exit(main())
