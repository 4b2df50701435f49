"""The clock process: due days, posting at local time, catch-up once, SIGTERM, version notices."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.config import ChannelConfig
from bot.engine import Engine
from bot.library import VersionNotice
from bot.models import Caller, ChannelInfo
from bot.scheduler import Scheduler, due_days
from tests.core.test_cli import EXE
from tests.fakes.poster import PlatformState, RecordingPoster
from tests.feeds import GROHS, Item, write_feed

VIENNA = ChannelInfo(
    key="console:lab",
    platform="console",
    name="ml-papers",
    rules=(),
    schedule="09:00 Europe/Vienna",
    timezone="Europe/Vienna",
    language=None,
    include_replacements=False,
)


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("last", "now", "expected"),
    [
        (None, "2026-06-16T06:59", []),  # 08:59 in Vienna: not yet
        (None, "2026-06-16T07:00", ["2026-06-16"]),  # a new channel starts today
        ("2026-06-16", "2026-06-16T20:00", []),  # posted today already
        ("2026-06-15", "2026-06-16T07:30", ["2026-06-16"]),
        ("2026-06-14", "2026-06-17T06:00", ["2026-06-15", "2026-06-16"]),  # down two days: late, once each
        ("2026-05-01", "2026-06-16T07:30", [f"2026-06-{d:02d}" for d in range(10, 17)]),  # capped at a week
    ],
)
def test_due_days(last: str | None, now: str, expected: list[str]) -> None:
    last_day = dt.date.fromisoformat(last) if last else None
    assert [d.isoformat() for d in due_days(VIENNA, last_day, utc(now))] == expected


def test_no_schedule_is_never_due() -> None:
    assert due_days(dataclasses.replace(VIENNA, schedule=None), None, utc("2026-06-16T12:00")) == []


LAB = ChannelConfig(platform="console", id="lab", radar=["cat:cs.LG"], schedule="09:00 Europe/Vienna")


def day_items(n: int) -> list[Item]:
    return [Item(id=f"2606.{n}{i:04d}", title=f"Paper {n}.{i}", creators="Ada Lovelace") for i in range(3)]


def lab_after_day_one(engine: Engine, tmp_path: Path) -> tuple[Engine, PlatformState, Scheduler]:
    """The lab channel with Tuesday's listing stored, a recording platform and a scheduler."""
    state = PlatformState()
    engine.digests.register_poster("console", lambda info: RecordingPoster(state))
    engine.ingest([write_feed(tmp_path / "d1.xml", day_items(1), dt.date(2026, 6, 16))])
    return engine, state, Scheduler(engine)


def test_ticks_post_at_local_time_and_catch_up_once(
    sqlite_url: str, engine_factory: Callable[..., Engine], tmp_path: Path
) -> None:
    engine, state, scheduler = lab_after_day_one(engine_factory(sqlite_url, channels=[LAB]), tmp_path)
    assert scheduler.tick(utc("2026-06-16T06:30")) == 0
    assert scheduler.tick(utc("2026-06-16T07:01")) == 4
    assert scheduler.tick(utc("2026-06-16T07:02")) == 0
    # down on Wednesday; Thursday's tick posts Wednesday late, then Thursday
    engine.ingest([write_feed(tmp_path / "d2.xml", day_items(2), dt.date(2026, 6, 17))])
    engine.ingest([write_feed(tmp_path / "d3.xml", day_items(3), dt.date(2026, 6, 18))])
    assert scheduler.tick(utc("2026-06-18T08:00")) == 8
    assert state.parents() == ["console:lab|2026-06-16", "console:lab|2026-06-17", "console:lab|2026-06-18"]
    assert Scheduler(engine).tick(utc("2026-06-18T09:00")) == 0  # a restarted scheduler posts nothing twice


def test_a_day_whose_feed_is_late_is_retried_not_skipped(
    sqlite_url: str, engine_factory: Callable[..., Engine], tmp_path: Path
) -> None:
    engine, _state, scheduler = lab_after_day_one(engine_factory(sqlite_url, channels=[LAB]), tmp_path)
    scheduler.tick(utc("2026-06-16T07:01"))
    assert scheduler.tick(utc("2026-06-17T07:01")) == 0  # Wednesday's listing not fetched yet
    engine.ingest([write_feed(tmp_path / "d2.xml", day_items(2), dt.date(2026, 6, 17))])
    assert scheduler.tick(utc("2026-06-17T07:30")) == 4


def test_new_version_notices_go_once_to_each_saver(
    sqlite_url: str, engine_factory: Callable[..., Engine], tmp_path: Path
) -> None:
    engine = engine_factory(sqlite_url, channels=[LAB])
    engine.ingest([write_feed(tmp_path / "d1.xml", [GROHS], dt.date(2026, 6, 16))])
    for user in ("U0BOB", "U0ANN"):
        engine.save(Caller("slack", "T0LAB", "C0PAPERS", user), "2606.16028", True)
    sent: list[VersionNotice] = []
    assert engine.library.send_version_notices(sent.append) == 0  # nothing new yet
    v2 = dataclasses.replace(GROHS, announce="replace", version=2)
    engine.ingest([write_feed(tmp_path / "d2.xml", [v2], dt.date(2026, 6, 17))])
    assert engine.library.send_version_notices(sent.append) == 2
    assert engine.library.send_version_notices(sent.append) == 0
    assert sorted(n.user for n in sent) == ["U0ANN", "U0BOB"]
    assert all(n.platform == "slack" and n.text.startswith("v2 of a paper you saved") for n in sent)


def test_a_failed_notice_is_retried(
    sqlite_url: str, engine_factory: Callable[..., Engine], tmp_path: Path
) -> None:
    engine = engine_factory(sqlite_url, channels=[LAB])
    engine.ingest([write_feed(tmp_path / "d1.xml", [GROHS], dt.date(2026, 6, 16))])
    engine.save(Caller("slack", "T0LAB", "C0PAPERS", "U0BOB"), "2606.16028", True)
    engine.ingest(
        [write_feed(tmp_path / "d2.xml", [dataclasses.replace(GROHS, version=2)], dt.date(2026, 6, 17))]
    )

    def broken(_notice: VersionNotice) -> None:
        raise ConnectionError("Slack is down")

    assert engine.library.send_version_notices(broken) == 0
    assert engine.library.send_version_notices(lambda n: None) == 1


def test_run_scheduler_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    config = tmp_path / "academichub.toml"
    config.write_text(
        '[[channels]]\nplatform = "console"\nid = "lab"\nradar = ["cat:cs.LG"]\n'
        'schedule = "09:00 Europe/Vienna"\n',
        encoding="utf-8",
    )
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 's.db'}", "ACADEMICHUB_CONFIG": str(config)}
    env.pop("OPENAI_API_KEY", None)
    proc = subprocess.Popen(
        [EXE, "run", "scheduler"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stderr is not None
    started = time.monotonic()
    for line in proc.stderr:  # a busy machine may take a while to import everything
        if "scheduler running" in line or time.monotonic() - started > 60:
            break
    assert proc.poll() is None, proc.communicate()
    proc.send_signal(signal.SIGTERM)
    _out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
