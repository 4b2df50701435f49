"""`academichub digest` as processes: two at once post each message once; holidays say why."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from pathlib import Path

from tests.conftest import CLOSED_PORT_URL
from tests.core.test_cli import EXE
from tests.feeds import GROHS, Item, write_feed

CONFIG = """
[[channels]]
platform = "console"
id = "lab"
name = "ml-papers"
radar = ["cat:cs.LG", 'author:"Philipp Grohs"']
schedule = "09:00 Europe/Vienna"
"""


def prepare(tmp_path: Path, url: str) -> dict[str, str]:
    (tmp_path / "academichub.toml").write_text(CONFIG, encoding="utf-8")
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "ACADEMICHUB_CONFIG": str(tmp_path / "academichub.toml"),
        "ACADEMICHUB_ARXIV_API_URL": CLOSED_PORT_URL,
    }
    env.pop("OPENAI_API_KEY", None)
    items = [GROHS] + [
        Item(id=f"2606.2000{i}", title=f"Paper {i}", creators="Ada Lovelace") for i in range(1, 6)
    ]
    feed = write_feed(tmp_path / "day.xml", items, dt.date(2026, 6, 16))
    subprocess.run([EXE, "fetch", "-s", feed], env=env, check=True, capture_output=True, timeout=120)
    return env


def test_two_processes_at_once_post_each_message_once(db_url: str, tmp_path: Path) -> None:
    env = prepare(tmp_path, db_url)
    args = [EXE, "digest", "--channel", "console:lab", "--date", "2026-06-16", "--json"]
    procs = [
        subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    posted = [json.loads(out)["digests"][0]["posted"] for out, _ in outputs]
    assert sum(posted) == 7, posted  # one parent + six papers, in total
    rendered = "".join(err for _, err in outputs)
    assert rendered.count("TL;DR:") == 6 and rendered.count("📚 AcademicHub") == 1


def test_holiday_posts_nothing_exit_0_with_reason(sqlite_url: str, tmp_path: Path) -> None:
    env = prepare(tmp_path, sqlite_url)
    result = subprocess.run(
        [EXE, "digest", "--channel", "console:lab", "--date", "2026-11-26"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0 and "arXiv holiday (Thanksgiving)" in result.stdout
