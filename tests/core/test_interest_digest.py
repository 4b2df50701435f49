"""The lab's interest orders a digest: saves on operator learning lift a new operator-learning paper."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

from bot.config import ChannelConfig
from bot.engine import Engine
from bot.models import Caller
from tests.conftest import FIXTURES
from tests.fakes.poster import PlatformState, RecordingPoster
from tests.feeds import Item, write_feed

SAVED = ["2603.14734", "2606.01577", "2606.08711", "2606.08796"]  # neural operators, real records
NEW_OPERATOR = "2606.16624"  # MR-GVNO: a physics-informed neural operator
UNRELATED = "2606.16870"  # reinforcement learning for food fracture simulation (higher id: newer)
LAB = ChannelConfig(platform="console", id="lab", radar=["cat:cs.LG"])


def real_items(ids: list[str]) -> list[Item]:
    """Feed items carrying the real titles, authors and abstracts (all put in cs.LG: same radar match)."""
    found: dict[str, Item] = {}
    for path in sorted((FIXTURES / "corpus").glob("daily_arxiv_listing_*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row["id"] in ids and row["id"] not in found:
                found[row["id"]] = Item(
                    id=row["id"],
                    title=row["title"],
                    creators=", ".join(row["authors"]),
                    abstract=" ".join(row["summary"].split()),
                    categories=["cs.LG"],
                )
    return [found[i] for i in ids]


def second_day_order(engine: Engine, tmp_path: Path) -> list[str]:
    engine.ingest(
        [write_feed(tmp_path / "d2.xml", real_items([NEW_OPERATOR, UNRELATED]), dt.date(2026, 6, 16))]
    )
    [digest] = engine.build_digests(channel="console:lab", day=dt.date(2026, 6, 16))
    return [e.paper.id for e in digest.entries]


def first_day(engine_factory: Callable[..., Engine], url: str, tmp_path: Path) -> Engine:
    engine = engine_factory(url, channels=[LAB])
    engine.digests.register_poster("console", lambda info: RecordingPoster(PlatformState()))
    engine.ingest([write_feed(tmp_path / "d1.xml", real_items(SAVED), dt.date(2026, 6, 15))])
    engine.digests.post_all(channel="console:lab", day=dt.date(2026, 6, 15))
    return engine


def test_without_saves_newest_first(
    sqlite_url: str, engine_factory: Callable[..., Engine], tmp_path: Path
) -> None:
    engine = first_day(engine_factory, sqlite_url, tmp_path)
    assert second_day_order(engine, tmp_path) == [UNRELATED, NEW_OPERATOR]


def test_saves_put_the_related_paper_first(
    db_url: str, engine_factory: Callable[..., Engine], tmp_path: Path
) -> None:
    engine = first_day(engine_factory, db_url, tmp_path)
    for i, paper in enumerate(SAVED):
        engine.save(Caller("console", "local", "lab", f"U{i % 2}"), paper, True)
    assert second_day_order(engine, tmp_path) == [NEW_OPERATOR, UNRELATED]
