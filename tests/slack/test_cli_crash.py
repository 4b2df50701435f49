"""`academichub digest` as a real process, killed with SIGKILL mid-thread, then run again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

from bot.engine import Engine
from tests.fakes.slack_api import FakeSlack
from tests.slack.helpers import CHANNEL, CHANNEL_KEY, SECRET
from tests.slack.test_digest import DAY, paper_ids, subscribe, thread

CLI = [sys.executable, "-c", "from bot.cli import main; main()"]


def digest_process(engine: Engine, slack: FakeSlack, cwd: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OPENAI_", "ACADEMICHUB_"))}
    env |= {
        "DATABASE_URL": engine.settings.database_url,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.url,
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    args = ["digest", "--channel", CHANNEL_KEY, "--date", "2026-06-16"]
    return subprocess.Popen(CLI + args, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_kill_9_mid_thread_then_rerun_posts_every_paper_once(
    engine: Engine, slack: FakeSlack, tmp_path: Path
) -> None:
    subscribe(engine, 'keyword:"optimal transport"', "keyword:wasserstein", "keyword:pde")
    first = digest_process(engine, slack, tmp_path)
    try:
        slack.wait_for(lambda s: len(s.messages.get(CHANNEL, [])) >= 3, timeout=30)  # parent + 2
    finally:
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
    assert first.returncode == -signal.SIGKILL
    cut = len(slack.messages(CHANNEL))
    second = digest_process(engine, slack, tmp_path)
    _out, err = second.communicate(timeout=60)
    assert second.returncode == 0, err.decode()
    parents, replies = thread(slack)
    assert len(parents) == 1 and cut < 1 + len(replies)
    [recorded] = engine.digests.post_all(channel=CHANNEL_KEY, day=DAY, dry_run=True)
    assert len(recorded.entries) >= 4
    assert paper_ids(replies) == Counter(e.paper.id for e in recorded.entries)  # each exactly once
