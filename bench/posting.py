"""Posting: 100 channels' digest threads of 6 messages each (a parent and 5 papers) through the
Slack stand-in answering every Web API call in 20 ms (SPEC §10).

Each channel is paced at Slack's one message a second, so one thread takes ~5 s whatever
else happens. Measured: one process posting every channel (channels side by side), three
processes sharing one PostgreSQL store (work shared by lease; each message once), and the
first build's serial posting (one channel after another) as the baseline — run on a sample of
channels and scaled to 100, since the whole would take ten minutes.
Channels' radars are categories drawn at random from the day's real papers (BENCH_SEED).

    python -m bench.posting [--channels 100] [--serial-sample 6] [--skip-postgres]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import create_engine, text

from bench.common import CACHE, bench_seed, engine_on, machine, table, verdict
from bot.engine import Engine
from bot.query import parse
from tests.fakes.slack_api import FakeSlack

EXE = str(Path(sys.executable).with_name("academichub"))
DEMO_DAY = Path(__file__).resolve().parents[1] / "bot" / "data" / "arxiv_cs_2026-06-16.rss.gz"
DAY = "2026-06-16"
CAP = 5
LATENCY = 0.020
SEED = bench_seed()
PG_ADMIN = os.environ.get("BENCH_POSTGRES_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def fresh_postgres(name: str = "academichub_bench_posting") -> str:
    """An empty PostgreSQL database of this benchmark's own."""
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"


def seed_store(url: str, channels: int) -> tuple[Engine, list[str]]:
    """The demo day, and `channels` Slack channels each following a category that has at least
    CAP papers that day (so every thread has 6 messages)."""
    engine = engine_on(url, ACADEMICHUB_DIGEST_MAX=CAP)
    engine.ingest([str(DEMO_DAY)])
    counts = Counter(c for p in engine.search("cat cs", limit=1000) for c in p.categories)
    big = sorted(c for c, n in counts.items() if n >= CAP)
    rng = random.Random(SEED)
    keys = []
    for i in range(channels):
        key = f"slack:T0LAB/C{i:05d}"
        rule = parse(f"subscribe cat:{rng.choice(big)}").rule
        assert rule is not None
        engine.channels.subscribe(key, rule)
        keys.append(key)
    return engine, keys


def post(url: str, slack: FakeSlack, processes: int, **env: str) -> float:
    """Run `academichub digest` in N processes at once; seconds until the last one ends."""
    environment = {
        **os.environ,
        "DATABASE_URL": url,
        "SLACK_BOT_TOKEN": "xoxb-bench",
        "SLACK_API_URL": slack.url,
        "ACADEMICHUB_DIGEST_MAX": str(CAP),
        **env,
    }
    for unset in ("OPENAI_API_KEY", "ACADEMICHUB_CONFIG"):
        environment.pop(unset, None)
    started = time.perf_counter()
    procs = [
        subprocess.Popen(
            [EXE, "digest", "--date", DAY, "--json"],
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    for proc in procs:
        _out, err = proc.communicate(timeout=1800)
        if proc.returncode != 0:
            raise SystemExit(f"academichub digest failed: {err[-2000:]}")
    return time.perf_counter() - started


def check_once(slack: FakeSlack, keys: list[str]) -> tuple[int, int]:
    """(messages posted, duplicates): every channel holds one parent and its papers once."""
    total = dupes = 0
    for key in keys:
        messages = slack.messages(key.rsplit("/", 1)[1])
        total += len(messages)
        parents = sum(1 for m in messages if "thread_ts" not in m)
        papers = Counter(m["metadata"]["event_payload"]["paper_id"] for m in messages if "thread_ts" in m)
        dupes += (parents - 1) + sum(n - 1 for n in papers.values())
    return total, dupes


def run(url: str, channels: int, processes: int, **env: str) -> tuple[float, int, int]:
    engine, keys = seed_store(url, channels)
    engine.close()
    with FakeSlack() as slack:
        slack.faults.latency = LATENCY
        seconds = post(url, slack, processes, **env)
        total, dupes = check_once(slack, keys)
    return seconds, total, dupes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=100)
    parser.add_argument("--serial-sample", type=int, default=6)
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    rows = []
    ok = True
    CACHE.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
        sqlite = f"sqlite:///{tmp}/posting.db"
        one, total, dupes = run(sqlite, args.channels, 1)
        serial, s_total, _ = run(
            f"sqlite:///{tmp}/serial.db", args.serial_sample, 1, ACADEMICHUB_POST_CONCURRENCY="1"
        )
        projected = serial / args.serial_sample * args.channels
        met = one <= 30 and dupes == 0
        ok &= met
        rows.append(
            (
                f"1 process, SQLite: {args.channels} channels, {total} messages, {dupes} duplicates",
                f"{one:.1f} s",
                f"serial, one channel after another: {serial:.1f} s for {args.serial_sample} channels "
                f"({s_total} messages) → {projected:.0f} s for {args.channels}",
                f"≤ 30 s, each message once {verdict(met)}",
            )
        )
        if not args.skip_postgres:
            single_pg, _, d1 = run(fresh_postgres(), args.channels, 1)
            three_pg, total3, d3 = run(fresh_postgres(), args.channels, 3)
            met = d1 == 0 and d3 == 0 and three_pg <= single_pg * 1.1
            ok &= met
            rows.append(
                (
                    f"3 processes, PostgreSQL: {args.channels} channels, {total3} messages, {d3} duplicates",
                    f"{three_pg:.1f} s",
                    f"1 process on PostgreSQL: {single_pg:.1f} s ({d1} duplicates)",
                    f"no slower than one (±10 %), each message once {verdict(met)}",
                )
            )
    print(
        f"machine: {machine()}; Slack stand-in at {LATENCY * 1000:.0f} ms a call; "
        f"radars drawn with BENCH_SEED={SEED}"
    )
    print(table(f"posting: {args.channels} channels × 6 messages", rows))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
