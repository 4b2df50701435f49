"""Slash-command ack latency: 50 concurrent signed `/papers author …` requests (SPEC §10).

Runs the real app (ack first, answer through response_url) beside a naive handler that runs
the query before acking, on the same store and the same requests, and prints both.
Exit status 1 when any ack of the real app takes longer than the target.

    python -m bench.slack_ack [--requests 50] [--target 1.0]
"""

from __future__ import annotations

import argparse
import asyncio
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
from bench.corpus import big_day
from bot.config import FileConfig, load_settings
from bot.engine import Engine, build_engine
from tests.fakes.slack_api import FakeSlack
from tests.slack.helpers import SECRET, signed_headers, slash_body

DEMO_DAY = Path(__file__).resolve().parents[1] / "bot" / "data" / "arxiv_cs_2026-06-16.rss.gz"
AUTHORS = ["Wang", "Zhang", '"Zhigang Tu"', "Li", "Chen", "Liu", "Yang", "Smith", "Kim", "Huang"]


@dataclass
class Result:
    name: str
    acks: list[float]
    answered: int
    errors: int
    all_answered: float


def build(tmp: Path, api_url: str, extra: int) -> tuple[Engine, int]:
    settings = load_settings(
        DATABASE_URL=f"sqlite:///{tmp}/bench.db",
        OPENAI_API_KEY=None,
        ACADEMICHUB_CONFIG=None,
        SLACK_BOT_TOKEN="xoxb-bench",
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=api_url,
    )
    engine = build_engine(settings, file_config=FileConfig())
    engine.arxiv = None  # offline: what is measured is the ack path, not arXiv's 3 s pacing
    sources = [str(DEMO_DAY)]
    if extra:  # a fuller store: a whole day of real records beside the demo day
        day = tmp / "big_day.xml"
        day.write_bytes(big_day(extra))
        sources.append(str(day))
    report = engine.ingest(sources)
    return engine, report.new + report.unchanged


def naive_app(engine: Engine, real: AsyncApp) -> AsyncApp:
    """The baseline: the query runs inline, and its answer is the ack."""
    app = AsyncApp(name="naive", signing_secret=SECRET, client=real.client)

    @app.command("/papers")
    async def papers(ack: AsyncAck, body: dict[str, Any]) -> None:
        reply = engine.handle(unescape(str(body.get("text") or "")), command_caller(body))
        await ack(**reply_message(reply), response_type="ephemeral")

    return app


async def timed_post(session: aiohttp.ClientSession, url: str, body: str) -> tuple[float, str]:
    headers = signed_headers(body, "application/x-www-form-urlencoded")
    started = time.perf_counter()
    async with session.post(url, data=body.encode(), headers=headers) as resp:
        text = await resp.text()
        if resp.status != 200:
            raise RuntimeError(f"HTTP {resp.status}: {text[:200]}")
    return time.perf_counter() - started, text


async def run_one(name: str, engine: Engine, app: AsyncApp, slack: FakeSlack, count: int) -> Result:
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
            before = len(slack.state.responses)
            started = time.perf_counter()
            bodies = [
                slash_body(f"author {AUTHORS[i % len(AUTHORS)]}", reply_to, user=f"U{i:04d}")
                for i in range(count)
            ]
            timings = await asyncio.gather(*(timed_post(session, url, b) for b in bodies))
            acks = [t for t, _ in timings]
            inline = [text for _, text in timings if text]
            if not inline:  # answers come through response_url after the ack
                await asyncio.to_thread(slack.wait_responses, before + count, 60.0)
            done = time.perf_counter() - started
    finally:
        await runner.cleanup()
    answers = inline or [str(r.get("text", "")) for r in slack.state.responses[before:]]
    errors = sum(1 for a in answers if "went wrong" in a or "⚠️" in a)
    return Result(name, acks, len(answers), errors, done)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def report(results: list[Result], target: float, count: int, stored: int) -> None:
    print(
        f"slash ack: {count} concurrent signed `/papers author …` requests; SQLite store of {stored} papers"
    )
    columns = ("p50 ms", "p95 ms", "max ms", "answers")
    print(
        f"{'handler':<28} " + " ".join(f"{c:>8}" for c in columns) + f" {'errors':>7} {'all answered s':>15}"
    )
    for r in results:
        print(
            f"{r.name:<28} {statistics.median(r.acks) * 1000:>8.1f} {pct(r.acks, 0.95) * 1000:>8.1f} "
            f"{max(r.acks) * 1000:>8.1f} {r.answered:>8} {r.errors:>7} {r.all_answered:>15.2f}"
        )
    print(f"target: every ack ≤ {target * 1000:.0f} ms (Slack gives up after 3000 ms)")


async def main_async(count: int, target: float, extra: int) -> int:
    with tempfile.TemporaryDirectory(prefix="academichub-bench-") as tmp, FakeSlack() as slack:
        engine, stored = build(Path(tmp), slack.url, extra)
        real = create_app(engine)
        results = [
            await run_one("ack first (academichub)", engine, real, slack, count),
            await run_one("baseline: query, then ack", engine, naive_app(engine, real), slack, count),
        ]
        engine.close()
    report(results, target, count, stored)
    worst = max(results[0].acks)
    if worst > target or results[0].errors:
        print(f"FAIL: slowest ack {worst * 1000:.0f} ms, {results[0].errors} error answers", file=sys.stderr)
        return 1
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--target", type=float, default=1.0, help="seconds")
    parser.add_argument("--extra", type=int, default=5000, help="real records stored beside the demo day")
    args = parser.parse_args()
    raise SystemExit(asyncio.run(main_async(args.requests, args.target, args.extra)))


if __name__ == "__main__":
    main()
