"""The posting engine: which papers a day holds, exactly-once posting, arXiv's calendar."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.config import ChannelConfig
from bot.engine import Engine
from tests.fakes.poster import Crash, PlatformState, RecordingPoster
from tests.feeds import GROHS, Item, write_feed

DAY1 = dt.date(2026, 6, 16)
DAY2 = dt.date(2026, 6, 17)
LAB = ChannelConfig(
    platform="console", id="lab", name="ml-papers", radar=["cat:cs.LG", 'author:"Philipp Grohs"']
)
OTHERS = [
    Item(id="2606.20001", title="Graph transformers at scale", creators="Ada Lovelace", categories=["cs.LG"]),
    Item(
        id="2606.20002",
        title="Spectral methods for PDEs",
        creators="Carl Runge",
        categories=["math.NA", "cs.LG"],
        announce="cross",
    ),
    Item(id="2606.20003", title="A galaxy survey", creators="Vera Rubin", categories=["astro-ph.GA"]),
    Item(
        id="2606.20004",
        title="Old paper, new version",
        creators="Emmy Noether",
        categories=["cs.LG"],
        announce="replace",
        version=3,
    ),
]


def setup(engine_factory: Callable[..., Engine], url: str, tmp_path: Path) -> tuple[Engine, PlatformState]:
    engine = engine_factory(url, channels=[LAB])
    engine.ingest([write_feed(tmp_path / "day1.xml", [GROHS, *OTHERS], DAY1)])
    state = PlatformState()
    engine.digests.register_poster("console", lambda info: RecordingPoster(state))
    return engine, state


def test_day1_then_again_then_day2(
    db_url: str, engine_factory: Callable[..., Engine], tmp_path: Path
) -> None:
    engine, state = setup(engine_factory, db_url, tmp_path)
    [digest] = engine.digests.post_all(channel="console:lab", day=DAY1)
    # Grohs first (author match beats category), replacements excluded, astro-ph not on the radar
    assert [e.paper.id for e in digest.entries] == ["2606.16028", "2606.20002", "2606.20001"]
    assert digest.entries[0].matched_authors == ["Philipp Grohs"]
    assert digest.posted == 4 and len(state.messages) == 4
    assert all(e.tldr and len(e.tldr) <= 280 for e in digest.entries) and len(digest.briefing) <= 900

    [again] = engine.digests.post_all(channel="console:lab", day=DAY1)
    assert again.posted == 0 and len(state.messages) == 4

    day2 = [
        dataclasses.replace(GROHS, announce="replace", version=2),  # a later version is not new
        dataclasses.replace(OTHERS[1], announce="cross"),  # a re-announced cross-list
        dataclasses.replace(
            OTHERS[0], categories=["cs.LG", "stat.ML"], announce="cross"
        ),  # seen via another feed
        Item(id="2606.30001", title="Really new", creators="Alan Turing", categories=["cs.LG"]),
    ]
    engine.ingest([write_feed(tmp_path / "day2.xml", day2, DAY2)])
    [second] = engine.digests.post_all(channel="console:lab", day=DAY2)
    assert [e.paper.id for e in second.entries] == ["2606.30001"]
    assert second.posted == 2 and state.entries().count("2606.16028") == 1


def test_dry_run_posts_nothing_and_json_shape(
    sqlite_url: str, engine_factory: Callable[..., Engine], tmp_path: Path
) -> None:
    engine, state = setup(engine_factory, sqlite_url, tmp_path)
    [digest] = engine.digests.post_all(channel="console:lab", day=DAY1, dry_run=True)
    assert digest.posted == 0 and state.messages == []
    doc = digest.to_json()
    assert doc["channel"] == "console:lab" and doc["date"] == "2026-06-16"
    assert [p["number"] for p in doc["papers"]] == [1, 2, 3] and all(p["tldr"] for p in doc["papers"])


@pytest.mark.parametrize(
    ("day", "words"),
    [(dt.date(2026, 11, 26), "holiday"), (dt.date(2026, 11, 28), "Friday and Saturday")],
)
def test_no_listing_days_post_nothing_and_say_why(
    sqlite_url: str, engine_factory: Callable[..., Engine], tmp_path: Path, day: dt.date, words: str
) -> None:
    engine, state = setup(engine_factory, sqlite_url, tmp_path)
    engine.digests.post_all(channel="console:lab", day=DAY1)
    before = len(state.messages)
    [digest] = engine.digests.post_all(channel="console:lab", day=day)
    assert digest.entries == [] and words in (digest.reason or "")
    assert len(state.messages) == before


def test_new_channel_starts_with_latest_announcement_day(
    sqlite_url: str, engine_factory: Callable[..., Engine], tmp_path: Path
) -> None:
    engine, _ = setup(engine_factory, sqlite_url, tmp_path)
    later = dt.date(2026, 6, 18)  # Thursday: the latest announcement stored up to then is DAY1
    [digest] = engine.build_digests(channel="console:lab", day=later)
    assert digest.entries and digest.entries[0].paper.id == "2606.16028"


def test_crash_after_every_message_then_rerun_posts_each_once(
    db_url: str, engine_factory: Callable[..., Engine], tmp_path: Path
) -> None:
    total = 4  # parent + three papers
    for k in range(1, total + 1):
        url = db_url if db_url.startswith("postgresql") else f"sqlite:///{tmp_path / f'crash{k}.db'}"
        if url.startswith("postgresql"):
            from tests.conftest import reset_postgres

            reset_postgres(url)
        engine, state = setup(engine_factory, url, tmp_path)
        engine.digests.register_poster("console", lambda info, s=state, k=k: RecordingPoster(s, die_after=k))
        with pytest.raises(Crash):
            engine.digests.post_all(channel="console:lab", day=DAY1)
        engine.close()
        fresh = engine_factory(url, channels=[LAB])
        fresh.digests.register_poster("console", lambda info, s=state: RecordingPoster(s))
        [digest] = fresh.digests.post_all(channel="console:lab", day=DAY1)
        assert state.parents() == ["console:lab|2026-06-16"], k
        assert sorted(state.entries()) == ["2606.16028", "2606.20001", "2606.20002"], k
        assert digest.posted == total - k


def test_today_narrows_the_radar_by_filters_and_more_continues(
    sqlite_url: str, engine_factory: Callable[..., Engine], tmp_path: Path
) -> None:
    from bot.models import Caller

    engine, _ = setup(engine_factory, sqlite_url, tmp_path)
    engine.commands.clock = lambda: dt.datetime(2026, 6, 16, 12, 0, tzinfo=dt.UTC)
    me = Caller("console", "local", "lab", "me")
    assert [p.id for p in engine.handle("today", me).papers] == ["2606.16028", "2606.20002", "2606.20001"]
    assert [p.id for p in engine.handle("today cat:math", me).papers] == ["2606.16028", "2606.20002"]
    assert [p.id for p in engine.handle("today -spectral", me).papers] == ["2606.16028", "2606.20001"]
    assert engine.handle("more", me).papers == []  # the filtered answer had no second batch
