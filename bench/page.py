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
from urllib.parse import parse_qs, urlsplit

from aiohttp.test_utils import TestClient, TestServer

from adapters.web.app import create_lab_app
from bench.common import CACHE, engine_on, machine, percentile, table, verdict
from bench.corpus import all_rows
from bench.search import bulk_load, snapshot_file
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


def prepare(engine: Engine) -> list[str]:
    """A channel with a radar and a recorded digest; returns the page URLs to time."""
    rng = random.Random(17)
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
    urls = ["/", "/?offset=5", "/?offset=10", "/?lang=zh", "/?date=2026-06-15", "/?date=2026-06-14"]
    for _ in range(3):
        urls.append(f"/?q=author+{rng.choice(names).split()[-1]}")
        urls.append(f'/?q=author+"{rng.choice(names)}"')
        urls.append("/?q=search+cat:cs.LG+" + rng.choice(["learning", "graph", "model", "network"]))
        urls.append('/?q=search+"neural+network"&offset=5')
    urls += ["/api/papers", "/api/papers?q=cat+cs.LG&offset=5"]
    return urls


async def timed_requests(
    engine: Engine, urls: list[str], rounds: int
) -> tuple[dict[str, list[float]], list[float], dict[str, float]]:
    """(times per URL over `rounds` passes, /healthz times, the first, cold view of each URL)."""
    signin = SignIn(SECRET, clock=lambda: NOW.timestamp())
    app = create_lab_app(engine, signin, clock=lambda: NOW)
    times: dict[str, list[float]] = {url: [] for url in urls}
    health: list[float] = []
    first: dict[str, float] = {}
    async with TestClient(TestServer(app)) as client:
        response = await client.get(f"/login?token={signin.link_token(MEMBER)}", allow_redirects=False)
        assert response.status == 303
        for url in urls:  # a running server has its store's pages cached: one pass to warm
            start = time.perf_counter()
            await (await client.get(url)).read()
            first[url] = time.perf_counter() - start
        for _ in range(rounds):
            for url in urls:
                start = time.perf_counter()
                response = await client.get(url)
                body = await response.read()
                times[url].append(time.perf_counter() - start)
                assert response.status == 200, (url, response.status, body[:300])
            start = time.perf_counter()
            await (await client.get("/healthz")).read()
            health.append(time.perf_counter() - start)
    return times, health, first


def search_alone(engine: Engine, urls: list[str], rounds: int) -> list[float]:
    """The baseline for the query views: the engine's search for the same text, no page around it."""
    out = []
    for _ in range(rounds):
        for url in urls:
            query = parse_qs(urlsplit(url).query)
            if "q" not in query:
                continue
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
    args = parser.parse_args()
    CACHE.mkdir(exist_ok=True)
    started = time.perf_counter()
    url = store(args.papers)
    built = time.perf_counter() - started
    engine = engine_on(url, ACADEMICHUB_SECRET_KEY=SECRET)
    engine.arxiv = None  # answers from the store only
    engine.commands.clock = lambda: NOW
    urls = prepare(engine)
    load_before = os.getloadavg()[0]
    times, health, first = asyncio.run(timed_requests(engine, urls, args.rounds))
    alone = search_alone(engine, urls, args.rounds)
    load_after = os.getloadavg()[0]
    engine.close()
    pages = [t for ts in times.values() for t in ts]
    days = [t for u, ts in times.items() if "q=" not in u for t in ts]
    queries = [t for u, ts in times.items() if "q=" in u for t in ts]
    p95 = percentile(pages, 95)
    cold = max(first, key=lambda u: first[u])
    rows = [
        (
            f"lab page over HTTP, {len(pages)} requests ({len(urls)} views × {args.rounds}), p50 / p95 / max",
            ms(pages),
            f"/healthz round trip p50 {percentile(health, 50) * 1000:.1f} ms",
            f"p95 ≤ 100 ms {verdict(p95 <= 0.1)}",
        ),
        ("  digest views (day, next batches, other days, zh, JSON), p50 / p95 / max", ms(days), "—", "—"),
        (
            "  query-box views (author, phrase, category + word), p50 / p95 / max",
            ms(queries),
            f"engine.search alone, same queries: {ms(alone)}",
            "—",
        ),
        (
            "first view of each URL (cold; an unrecorded day's radar pick is computed, then kept)",
            f"p50 {percentile(list(first.values()), 50) * 1000:.1f} ms, max {first[cold] * 1000:.0f} ms",
            f"slowest: {cold}",
            "(no target)",
        ),
    ]
    print(
        f"machine: {machine()}; load average {load_before:.1f} → {load_after:.1f}; "
        f"store: {args.papers:,} papers (built or reused in {built:.0f} s)"
    )
    print(table("lab page render", rows))
    return 0 if p95 <= 0.1 else 1


if __name__ == "__main__":
    sys.exit(main())
