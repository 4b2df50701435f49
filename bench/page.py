"""Benchmark: the lab page's render time over a large store (target: p95 ≤ 100 ms at 1M papers).

The store is the search benchmark's: a snapshot generated from the real fixture records
(bench/corpus.py, fixed seed), loaded with `academichub fetch --source` (bench/search.py). One
Slack workspace gets a channel with a radar and a recorded digest for the newest day. Then the
page is requested over real HTTP (aiohttp server on loopback, signed-in session cookie) in a
mix of views a member makes: the day's digest and its next batches, an unrecorded day (the
radar picks afresh over that day's 2,000 papers), a day without a listing, the query box
(author, phrase, category + word), the Chinese interface, and /api/papers. Beside it, the
/healthz round trip is the floor of the same server and client.
Run: python -m bench.page [--papers N]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import re
import sys
import time
from urllib.parse import parse_qs, quote_plus, urlsplit

from aiohttp.test_utils import TestClient, TestServer

from adapters.web.app import create_lab_app
from bench.common import CACHE, bench_seed, engine_on, machine, percentile, table, verdict
from bench.corpus import all_rows
from bench.search import SHAPES, bulk_load, queries, snapshot_file
from bot.delivery import PostedRef
from bot.engine import Engine
from bot.models import Digest, DigestEntry
from bot.radar import parse_rule
from bot.signin import Member, SignIn

NEWEST = dt.date(2026, 6, 16)
NOW = dt.datetime(2026, 6, 16, 15, 0, tzinfo=dt.UTC)
CHANNEL = "slack:T0BENCH/C0PAPERS"
MEMBER = Member("slack", "T0BENCH", "U0BENCH")
SECRET = "bench-secret-key-not-for-production"


class NullPoster:
    """Records a digest without a chat platform: the page reads the outbox rows it leaves."""

    def find_parent(self, digest: Digest) -> PostedRef | None:
        return None

    def post_parent(self, digest: Digest) -> PostedRef:
        return PostedRef(f"parent-{digest.date}", f"thread-{digest.date}")

    def existing_entries(self, digest: Digest, parent: PostedRef) -> dict[str, str]:
        return {}

    def post_entry(self, digest: Digest, entry: DigestEntry, parent: PostedRef) -> str:
        return f"{digest.date}-{entry.number}"


def store(papers: int) -> str:
    """The benchmark store (built once per size, reused while the file exists)."""
    db = CACHE / f"page-{papers}.db"
    if not db.exists():
        bulk_load(snapshot_file(papers), f"sqlite:///{db}")
    return f"sqlite:///{db}"


def prepare(engine: Engine, seed: int) -> list[str]:
    """A channel with a radar and a recorded digest; returns the digest views to time."""
    rng = random.Random(seed)
    names = [
        str(a)
        for r in all_rows()
        for a in r["authors"]
        if re.fullmatch(r"[A-Z][a-z]+ [A-Z][a-z]{3,}", str(a))
    ]
    engine.channels.ensure(CHANNEL, name="ml-papers")
    for text in ("cat:cs.LG", f'author:"{rng.choice(names)}"', 'keyword:"neural operator"'):
        engine.channels.subscribe(CHANNEL, parse_rule(text))
    engine.digests.register_poster("slack", lambda info: NullPoster())
    engine.digests.post_all(channel=CHANNEL, day=NEWEST)
    days = ["/", "/?offset=5", "/?offset=10", "/?lang=zh", "/?date=2026-06-15", "/?date=2026-06-14"]
    return [*days, "/api/papers", "/api/papers?q=cat+cs.LG&offset=5"]


def query_views(seed: int, papers: int) -> list[tuple[str, str]]:
    """(shape, URL): the search benchmark's mix for `seed`, typed into the page's query box; a
    fifth of them ask for the second batch."""
    rng = random.Random(seed)
    out = []
    for shape, text in queries(seed, papers):
        offset = "&offset=5" if rng.random() < 0.2 else ""
        out.append((shape, f"/?q={quote_plus(text)}{offset}"))
    return out


async def timed_requests(
    engine: Engine, days: list[str], asked: list[tuple[str, str]], warm: list[tuple[str, str]], rounds: int
) -> tuple[dict[str, list[float]], dict[str, list[float]], list[float], dict[str, float]]:
    """(digest view times over `rounds` passes, query view times by shape (each asked once),
    /healthz times, the first, cold view of each digest URL)."""
    signin = SignIn(SECRET, clock=lambda: NOW.timestamp())
    app = create_lab_app(engine, signin, clock=lambda: NOW)
    times: dict[str, list[float]] = {url: [] for url in days}
    by_shape: dict[str, list[float]] = {shape: [] for shape in SHAPES}
    health: list[float] = []
    first: dict[str, float] = {}

    async def get(url: str) -> float:
        start = time.perf_counter()
        response = await client.get(url)
        body = await response.read()
        assert response.status == 200, (url, response.status, body[:300])
        return time.perf_counter() - start

    async with TestClient(TestServer(app)) as client:
        response = await client.get(f"/login?token={signin.link_token(MEMBER)}", allow_redirects=False)
        assert response.status == 303
        for url in days:  # a running server has its store's pages cached: one pass to warm
            first[url] = await get(url)
        for _shape, url in warm:
            await get(url)
        per_round = -(-len(asked) // rounds)
        for n in range(rounds):
            for url in days:
                times[url].append(await get(url))
            for shape, url in asked[n * per_round : (n + 1) * per_round]:
                by_shape[shape].append(await get(url))
            start = time.perf_counter()
            await (await client.get("/healthz")).read()
            health.append(time.perf_counter() - start)
    return times, by_shape, health, first


def search_alone(engine: Engine, asked: list[tuple[str, str]]) -> list[float]:
    """The baseline for the query views: the engine's search for the same text, no page around it."""
    out = []
    for _shape, url in asked:
        query = parse_qs(urlsplit(url).query)
        start = time.perf_counter()
        engine.search(query["q"][0], limit=6, offset=int(query.get("offset", ["0"])[0]))
        out.append(time.perf_counter() - start)
    return out


def ms(values: list[float]) -> str:
    p50, p95 = percentile(values, 50) * 1000, percentile(values, 95) * 1000
    return f"{p50:.1f} / {p95:.1f} / {max(values) * 1000:.1f} ms"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--papers", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument(
        "--seed",
        type=int,
        default=bench_seed(),
        help="the query mix and radar (default: BENCH_SEED, or drawn fresh); seed + 1 warms",
    )
    args = parser.parse_args()
    CACHE.mkdir(exist_ok=True)
    started = time.perf_counter()
    url = store(args.papers)
    built = time.perf_counter() - started
    engine = engine_on(url, ACADEMICHUB_SECRET_KEY=SECRET)
    engine.arxiv = None  # answers from the store only
    engine.commands.clock = lambda: NOW
    days = prepare(engine, args.seed)
    asked = query_views(args.seed, args.papers)
    warm = query_views(args.seed + 1, args.papers)
    load_before = os.getloadavg()[0]
    times, by_shape, health, first = asyncio.run(timed_requests(engine, days, asked, warm, args.rounds))
    alone = search_alone(engine, asked)
    load_after = os.getloadavg()[0]
    engine.close()
    day_times = [t for ts in times.values() for t in ts]
    query_times = [t for ts in by_shape.values() for t in ts]
    pages = day_times + query_times
    p95 = percentile(pages, 95)
    cold = max(first, key=lambda u: first[u])
    rows = [
        (
            f"lab page over HTTP, {len(pages)} requests, p50 / p95 / max",
            ms(pages),
            f"/healthz round trip p50 {percentile(health, 50) * 1000:.1f} ms",
            f"p95 ≤ 100 ms {verdict(p95 <= 0.1)}",
        ),
        (
            f"  digest views ({len(days)} URLs × {args.rounds}: day, next batches, other days, zh, JSON)",
            ms(day_times),
            "—",
            "—",
        ),
        (
            f"  query-box views ({len(asked)} queries, each once), p50 / p95 / max",
            ms(query_times),
            f"engine.search alone, same queries: {ms(alone)}",
            "—",
        ),
        *[(f"    {shape}", ms(ts), "", "") for shape, ts in by_shape.items() if ts],
        (
            "first view of each digest URL (cold; an unrecorded day's radar pick is computed, then kept)",
            f"p50 {percentile(list(first.values()), 50) * 1000:.1f} ms, max {first[cold] * 1000:.0f} ms",
            f"slowest: {cold}",
            "(no target)",
        ),
    ]
    print(
        f"machine: {machine()}; load average {load_before:.1f} → {load_after:.1f}; "
        f"store: {args.papers:,} papers (built or reused in {built:.0f} s); "
        f"BENCH_SEED={args.seed} (BENCH_SEED=… or --seed repeats it)"
    )
    print(table("lab page render", rows))
    return 0 if p95 <= 0.1 else 1


if __name__ == "__main__":
    sys.exit(main())
