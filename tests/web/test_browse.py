"""The read-only use-cases behind the lab page, on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from bot.engine import Engine
from bot.models import Caller
from bot.store import archive
from tests.conftest import DEMO_DAY_FEED
from tests.fakes.poster import PlatformState, RecordingPoster
from tests.web.conftest import CHANNEL, CHANNELS, NOW, OTHER, SECRET, ZH_CHANNEL

DAY = NOW.date()


def test_channels_day_batches_archive_and_marker(db_url: str, engine_factory: Callable[..., Engine]) -> None:
    engine = engine_factory(db_url, CHANNELS, ACADEMICHUB_SECRET_KEY=SECRET)
    engine.arxiv = None
    engine.ingest([str(DEMO_DAY_FEED)])
    engine.channels.ensure("slack:T0LA/C0NOT")  # a workspace whose id is a prefix of another's
    alice = "slack:T0LAB/@U0ALICE"
    engine.handle("subscribe --me cat:cs.RO", Caller("slack", "T0LAB", "C0PAPERS", "U0ALICE"))
    # A member's personal radar is not one of the workspace's channels: only they get it.
    assert [c.key for c in engine.workspace_channels("slack", "T0LAB")] == [CHANNEL, ZH_CHANNEL]
    assert [r.text for r in engine.personal_radar(alice).rules] == ["cat:cs.RO"]
    nobody = engine.personal_radar("slack:T0LAB/@U0NOBODY")
    assert nobody.rules == () and engine.channels.info(nobody.key) is None
    assert [c.key for c in engine.workspace_channels("slack", "T0OTHER")] == [OTHER]
    info = engine.channels.info(CHANNEL)
    assert info is not None

    first = engine.day_view(info, DAY)
    assert not first.recorded and first.briefing and first.no_listing is None
    assert [e.number for e in first.batch.entries] == [1, 2, 3, 4, 5]
    assert first.batch.next_offset == 5 and first.batch.total == 80  # the thread's 25, then the rest
    second = engine.day_view(info, DAY, offset=5)
    assert [e.number for e in second.batch.entries] == [6, 7, 8, 9, 10]
    assert all(e.tldr for e in second.batch.entries)
    sunday = engine.day_view(info, dt.date(2026, 6, 14))
    assert sunday.no_listing and "Sundays" in sunday.no_listing and not sunday.batch.entries

    with engine.db.reading() as session:
        before = archive.store_marker(session=session)
    engine.save(Caller("slack", "T0LAB", "C0PAPERS", "U0BOB"), first.batch.entries[0].paper.id, True)
    state = PlatformState()
    engine.digests.register_poster("slack", lambda _info: RecordingPoster(state))
    engine.digests.post_all(channel=CHANNEL, day=DAY)
    with engine.db.reading() as session:
        assert archive.store_marker(session=session) != before
    assert engine.digest_archive(CHANNEL) == [(DAY, 80)]
    assert engine.digest_archive(OTHER) == []
    posted = engine.day_view(info, DAY)
    assert posted.recorded and [e.paper.id for e in posted.batch.entries] == state.entries()[:5]
    beyond = engine.day_view(info, DAY, offset=25)  # past the thread: what Show more reaches, numbered on
    assert [e.number for e in beyond.batch.entries] == [26, 27, 28, 29, 30]

    found = engine.search_batch("cat cs.LG", offset=5)
    assert [e.number for e in found.entries] == [6, 7, 8, 9, 10] and found.has_more
    today = engine.search_batch("today cat:cs.CV", channel=info, day=DAY)
    assert today.entries and all("cs.CV" in e.paper.categories for e in today.entries)
    assert [e.number for e in today.entries] == list(range(1, len(today.entries) + 1))
