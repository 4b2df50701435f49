"""Slash-command latency: 50 concurrent signed `/papers author …` requests with the arXiv API
unreachable (SPEC §10): every ack ≤ 1 s, every first answer ≤ 2 s.

The arXiv API is a socket that accepts connections and never answers — the worst kind of dead.
The real app (ack first, answer from the store, the live look-up after, as a follow-up) runs
beside two baselines on the same store and requests: a handler that runs the query before
acking, and one that holds the first answer until the live look-up is done (no breaker), as
the first build did. Authors are drawn at random from the store's own author names.
Exit status 1 when any ack or first answer of the real app misses its target.

    python -m bench.slack_ack [--requests 50] [--target 1.0] [--answer-target 2.0]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import socket
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.async_app import AsyncAck, AsyncApp

from adapters.slack.app import create_app, create_web_app
from adapters.slack.commands import command_caller
from adapters.slack.render import reply_message, unescape
from bench.common import bench_seed
from bench.corpus import big_day
from bot.config import FileConfig, load_settings
from bot.engine import Engine, build_engine
from bot.store.search import SearchSpec
from tests.fakes.slack_api import FakeSlack
from tests.slack.helpers import SECRET, signed_headers, slash_body

DEMO_DAY = Path(__file__).resolve().parents[1] / "bot" / "data" / "arxiv_cs_2026-06-16.rss.gz"
SEED = bench_seed()


@dataclass
class Result:
    name: str
    acks: list[float]
    firsts: list[float]  # request sent -> its first response_url answer
    answered: int
    errors: int
    all_answered: float


def build(tmp: Path, api_url: str, arxiv_url: str, extra: int) -> tuple[Engine, int]:
    settings = load_settings(
        DATABASE_URL=f"sqlite:///{tmp}/bench.db",
        OPENAI_API_KEY=None,
        ACADEMICHUB_CONFIG=None,
        SLACK_BOT_TOKEN="xoxb-bench",
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=api_url,
        ACADEMICHUB_ARXIV_API_URL=arxiv_url,
        ACADEMICHUB_HTTP_TIMEOUT=5,
    )
    engine = build_engine(settings, file_config=FileConfig())
    sources = [str(DEMO_DAY)]
    if extra:  # a fuller store: a whole day of real records beside the demo day
        day = tmp / "big_day.xml"
        day.write_bytes(big_day(extra))
        sources.append(str(day))
    report = engine.ingest(sources)
    return engine, report.new + report.unchanged


def naive_app(engine: Engine, real: AsyncApp) -> AsyncApp:
    """Baseline 1: the query runs inline, and its answer is the ack."""
    app = AsyncApp(name="naive", signing_secret=SECRET, client=real.client)

    @app.command("/papers")
    async def papers(ack: AsyncAck, body: dict[str, Any]) -> None:
        reply = engine.handle(unescape(str(body.get("text") or "")), command_caller(body))
        await ack(**reply_message(reply), response_type="ephemeral")

    return app


def hostage_app(engine: Engine, real: AsyncApp) -> AsyncApp:
    """Baseline 2, the first build's path: ack first, but the first answer waits until the
    arXiv API has been asked (one request per 3 s for the process, each up to its timeout)."""
    app = AsyncApp(name="hostage", signing_secret=SECRET, client=real.client)
    arxiv = engine.arxiv
    assert arxiv is not None

    def look_up_then_answer(text: str, caller: Any) -> Any:
        reply = engine.handle(text, caller)
        if reply.follow_up is not None:
            try:
                arxiv.search(text.removeprefix("author "), max_results=25)
            except Exception as exc:  # what the first build showed: the failure, after the wait
                reply.text += f" (the live arXiv lookup failed: {exc})"
        return reply

    @app.command("/papers")
    async def papers(ack: AsyncAck, body: dict[str, Any], respond: Any) -> None:
        await ack()
        text = unescape(str(body.get("text") or ""))
        reply = await asyncio.to_thread(look_up_then_answer, text, command_caller(body))
        await respond(**reply_message(reply), response_type="ephemeral")

    return app


def random_authors(engine: Engine, count: int) -> list[str]:
    """Surnames and full names drawn from the store's own authors."""
    rng = random.Random(SEED)
    names = sorted({a for p in engine.find(SearchSpec(), limit=3000) for a in p.authors[:4] if " " in a})
    picked = rng.sample(names, min(count, len(names)))
    return [f'"{n}"' if rng.random() < 0.5 else n.split()[-1] for n in picked]


def silent_server() -> socket.socket:
    """An arXiv API that accepts connections and never says a word."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(256)
    return sock


async def timed_post(session: aiohttp.ClientSession, url: str, body: str) -> tuple[float, str]:
    headers = signed_headers(body, "application/x-www-form-urlencoded")
    started = time.perf_counter()
    async with session.post(url, data=body.encode(), headers=headers) as resp:
        text = await resp.text()
        if resp.status != 200:
            raise RuntimeError(f"HTTP {resp.status}: {text[:200]}")
    return time.perf_counter() - started, text


async def run_one(name: str, engine: Engine, app: AsyncApp, slack: FakeSlack, authors: list[str]) -> Result:
    runner = web.AppRunner(create_web_app(engine, app))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    url = f"http://127.0.0.1:{port}/slack/events"
    reply_to = slack.response_url(name)
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
            await timed_post(session, url, slash_body("help", reply_to))  # warm-up (auth.test, imports)
            count = len(authors)
            tag = "".join(c for c in name if c.isalnum())[:24]
            paths = [f"/respond/{tag}-{i}" for i in range(count)]
            before = len(slack.state.responses)
            started, clock = time.perf_counter(), time.monotonic()
            bodies = [
                slash_body(f"author {a}", slack.base + paths[i], user=f"U{i:04d}")
                for i, a in enumerate(authors)
            ]
            timings = await asyncio.gather(*(timed_post(session, url, b) for b in bodies))
            acks = [t for t, _ in timings]
            inline = [text for _, text in timings if text]
            if not inline:  # answers come through response_url after the ack, one or two each
                await asyncio.to_thread(slack.wait_for, lambda st: _all_answered(st.responses, paths), 300.0)
            done = time.perf_counter() - started
    finally:
        await runner.cleanup()
    later = slack.state.responses[before:]
    firsts = acks if inline else [min(r["at"] for r in later if r["path"] == p) - clock for p in paths]
    answers = inline or [str(r.get("text", "")) for r in later]
    errors = sum(1 for a in answers if "went wrong" in a)
    return Result(name, acks, firsts, len(answers), errors, done)


def _all_answered(responses: list[dict[str, Any]], paths: list[str]) -> bool:
    seen = {r["path"] for r in responses}
    return all(p in seen for p in paths)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def report(results: list[Result], target: float, answer_target: float, stored: int) -> None:
    print(
        f"slash ack: concurrent signed `/papers author …` requests, arXiv API silent; SQLite store of "
        f"{stored} papers; authors drawn with BENCH_SEED={SEED}"
    )
    print(
        f"{'handler':<44} {'n':>3} {'ack p50':>8} {'ack max':>8} {'1st p50':>8} {'1st max':>8} "
        f"{'errors':>6} {'all s':>7}"
    )
    for r in results:
        print(
            f"{r.name:<44} {len(r.acks):>3} {statistics.median(r.acks) * 1000:>8.0f} "
            f"{max(r.acks) * 1000:>8.0f} {statistics.median(r.firsts) * 1000:>8.0f} "
            f"{max(r.firsts) * 1000:>8.0f} {r.errors:>6} {r.all_answered:>7.1f}"
        )
    print(
        f"targets: every ack ≤ {target * 1000:.0f} ms, every first answer ≤ {answer_target * 1000:.0f} ms "
        "(times in ms; Slack gives up on an ack after 3000 ms)"
    )


async def main_async(count: int, target: float, answer_target: float, extra: int, hostages: int) -> int:
    with tempfile.TemporaryDirectory(prefix="academichub-bench-") as tmp, FakeSlack() as slack:
        arxiv = silent_server()
        arxiv_url = f"http://127.0.0.1:{arxiv.getsockname()[1]}/api/query"
        engine, stored = build(Path(tmp), slack.url, arxiv_url, extra)
        authors = random_authors(engine, count)
        real = create_app(engine)
        ours = await run_one("academichub: store first, arXiv as a follow-up", engine, real, slack, authors)
        naive = await run_one("baseline: query, then ack", engine, naive_app(engine, real), slack, authors)
        held = await run_one(
            "baseline: answer after the look-up, no breaker",
            engine,
            hostage_app(engine, real),
            slack,
            random_authors(engine, hostages),
        )
        engine.close()
        arxiv.close()
    report([ours, naive, held], target, answer_target, stored)
    slow_ack, slow_first = max(ours.acks), max(ours.firsts)
    if slow_ack > target or slow_first > answer_target or ours.errors:
        print(
            f"FAIL: slowest ack {slow_ack * 1000:.0f} ms, slowest first answer {slow_first * 1000:.0f} ms, "
            f"{ours.errors} error answers",
            file=sys.stderr,
        )
        return 1
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--target", type=float, default=1.0, help="seconds, every ack")
    parser.add_argument("--answer-target", type=float, default=2.0, help="seconds, every first answer")
    parser.add_argument("--extra", type=int, default=5000, help="real records stored beside the demo day")
    parser.add_argument("--hostages", type=int, default=6, help="requests for the held-answer baseline")
    args = parser.parse_args()
    raise SystemExit(
        asyncio.run(main_async(args.requests, args.target, args.answer_target, args.extra, args.hostages))
    )


if __name__ == "__main__":
    main()
