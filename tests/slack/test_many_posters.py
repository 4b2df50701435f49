"""Several posting processes on one store (PostgreSQL in production) share the day's digests:
every message goes out exactly once, even when one of them is killed mid-way."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from bot.engine import Engine
from bot.query import parse
from tests.fakes.slack_api import FakeSlack
from tests.slack.conftest import DEMO_DAY

EXE = str(Path(sys.executable).with_name("academichub"))
TEAM = "T0LAB"
RULES = ["cat:cs.LG", "cat:cs.CV", "cat:cs.CL", "cat:cs.AI", "cat:cs.RO", "cat:stat.ML"]
CHANNELS = [f"C{i:04d}" for i in range(12)]
CAP = 5
DAY = dt.date(2026, 6, 16)


def seed(engine: Engine) -> None:
    engine.ingest([str(DEMO_DAY)])
    for i, channel in enumerate(CHANNELS):
        rule = parse(f"subscribe {RULES[i % len(RULES)]}").rule
        assert rule is not None
        engine.channels.subscribe(f"slack:{TEAM}/{channel}", rule)


def poster_process(url: str, slack: FakeSlack) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_API_URL": slack.url,
        "ACADEMICHUB_DIGEST_MAX": str(CAP),
    }
    for unset in ("OPENAI_API_KEY", "ACADEMICHUB_CONFIG"):
        env.pop(unset, None)
    return subprocess.Popen(
        [EXE, "digest", "--date", "2026-06-16", "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_three_posting_processes_one_killed_post_each_message_once(
    db_url: str, engine_factory: Callable[..., Engine]
) -> None:
    engine = engine_factory(db_url)
    seed(engine)
    with FakeSlack() as slack:
        slack.faults.latency = 0.02
        procs = [poster_process(db_url, slack) for _ in range(3)]
        deadline = time.monotonic() + 120
        while len(slack.calls_to("chat.postMessage")) < 20 and time.monotonic() < deadline:
            time.sleep(0.05)
        procs[1].send_signal(signal.SIGKILL)  # mid-way: some of its threads are half-posted
        for proc in (procs[0], procs[2]):
            _out, err = proc.communicate(timeout=180)
            assert proc.returncode == 0, err
        procs[1].wait()
        # The next run (the scheduler's next tick) finishes whatever the killed one held.
        again = poster_process(db_url, slack)
        _out, err = again.communicate(timeout=180)
        assert again.returncode == 0, err
        per_channel = {c: slack.messages(c) for c in CHANNELS}
    for channel, messages in per_channel.items():
        parents = [m for m in messages if "thread_ts" not in m]
        replies = [m for m in messages if "thread_ts" in m]
        assert len(parents) == 1, (channel, len(parents))
        papers = Counter(m["metadata"]["event_payload"]["paper_id"] for m in replies)
        assert all(n == 1 for n in papers.values()), (channel, papers)
        recorded = engine.digests.outbox.stored(f"slack:{TEAM}/{channel}", DAY)
        assert recorded is not None and 0 < len(recorded.entries) <= CAP
        assert set(papers) == {e.paper.id for e in recorded.entries}, channel
        assert {m["thread_ts"] for m in replies} == {parents[0]["ts"]}
