"""Personal radars on Slack: `/papers … --me` over the signed HTTP endpoint, digests by direct
message through the Web API stand-in (conversations.open, users.info), exactly once."""

from __future__ import annotations

import datetime as dt
import logging
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from adapters.slack.platform import SlackPlatform
from bot.engine import Engine
from bot.models import Caller
from bot.scheduler import Scheduler
from tests.fakes.slack_api import FakeSlack
from tests.slack.conftest import Running, make_engine, poster_for
from tests.slack.helpers import ANN, BOB, CHANNEL, CHANNEL_KEY, TEAM
from tests.slack.test_commands import ask, texts

DAY = dt.date(2026, 6, 16)
ANN_KEY, BOB_KEY = f"slack:{TEAM}/@{ANN}", f"slack:{TEAM}/@{BOB}"
ANN_DM, BOB_DM = "D0ANN", "D0BOB"  # what the stand-in's conversations.open answers for them
# On the bundled day, Tomer Koren wrote 2606.15889 and Roi Koren is on 2606.15007; Yolanda Gil
# wrote 2606.15708 and Dan Gil is on 2606.15007: an author rule must not take the namesake.
KOREN, GIL, NAMESAKES = "2606.15889", "2606.15708", "2606.15007"


@pytest.fixture(autouse=True)
def members(engine: Engine, slack: FakeSlack) -> None:
    """Two members with their time zones, and the platform asked for zones as `run web` does."""
    slack.add_user(ANN, tz="Europe/Vienna", name="ann")
    slack.add_user(BOB, tz="Asia/Shanghai", name="bob")
    platform = SlackPlatform()
    engine.channels.zone_lookups["slack"] = lambda key: platform.member_zone(engine, key)


def run(engine: Engine, text: str, user: str) -> str:
    reply = engine.handle(text, Caller("slack", TEAM, CHANNEL, user))
    assert reply.ephemeral and not reply.error, reply.text
    return reply.text


def dm(slack: FakeSlack, channel: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(parents, replies) in a member's DM with the bot."""
    messages = slack.messages(channel)
    return [m for m in messages if "thread_ts" not in m], [m for m in messages if "thread_ts" in m]


def paper_ids(replies: list[dict[str, Any]]) -> Counter[str]:
    return Counter(m["metadata"]["event_payload"]["paper_id"] for m in replies)


async def test_members_manage_their_own_radar_and_see_only_theirs(running: Running, engine: Engine) -> None:
    added = await ask(running, 'subscribe --me author:"Tomer Koren"', user=ANN)
    assert added["response_type"] == "ephemeral"
    assert 'Added to your radar: `author:"Tomer Koren"`' in texts(added)
    assert "at 08:00 Europe/Vienna" in texts(added)  # users.info's tz for the default schedule
    for text in ('subscribe --me author:"Yolanda Gil"', "subscribe --me keyword:operator"):
        assert (await ask(running, text, user=BOB))["response_type"] == "ephemeral"

    ann = texts(await ask(running, "radar --me", user=ANN))
    assert "Your radar" in ann and "Tomer Koren" in ann and "Gil" not in ann and "operator" not in ann
    assert "Schedule: 08:00 Europe/Vienna" in ann
    bob = await ask(running, "radar --me", user=BOB)
    assert bob["response_type"] == "ephemeral"
    assert "Yolanda Gil" in texts(bob) and "operator" in texts(bob) and "Koren" not in texts(bob)
    assert "Schedule: 08:00 Asia/Shanghai" in texts(bob)
    channel = texts(await ask(running, "radar", user=ANN))  # the channel's radar holds none of it
    assert "no radar yet" in channel and "Koren" not in channel

    removed = await ask(running, "unsubscribe --me 1", user=BOB)
    assert removed["response_type"] == "ephemeral" and 'Removed `author:"Yolanda Gil"`' in texts(removed)
    info = engine.channels.info(BOB_KEY)
    assert info is not None and [r.text for r in info.rules] == ["keyword:operator"]
    missing = await ask(running, "unsubscribe --me 5", user=ANN)
    assert "no rule 5 on your radar" in texts(missing)
    assert [c.args["user"] for c in running.slack.calls_to("users.info")] == [ANN, BOB]  # once each


async def test_schedule_and_language_with_me_are_the_callers(running: Running, engine: Engine) -> None:
    answer = await ask(running, "schedule --me 07:15", user=ANN)  # the zone stays the member's own
    assert answer["response_type"] == "ephemeral" and "07:15 Europe/Vienna" in texts(answer)
    await ask(running, "language --me zh", user=ANN)
    info = engine.channels.info(ANN_KEY)
    assert info is not None and info.schedule == "07:15 Europe/Vienna" and info.language == "zh"
    assert engine.channels.info(CHANNEL_KEY) is None  # the channel was not touched
    off = await ask(running, "schedule --me off", user=ANN)
    assert "direct message is off" in texts(off)


def test_each_member_gets_exactly_their_matches_by_direct_message(engine: Engine, slack: FakeSlack) -> None:
    run(engine, 'subscribe --me author:"Tomer Koren"', ANN)
    run(engine, 'subscribe --me author:"Yolanda Gil"', BOB)
    digests = {d.channel: d for d in engine.digests.post_all(day=DAY)}
    assert digests[ANN_KEY].posted == digests[BOB_KEY].posted == 2
    assert {c.args["users"] for c in slack.calls_to("conversations.open")} == {ANN, BOB}
    for channel, paper in ((ANN_DM, KOREN), (BOB_DM, GIL)):
        [parent], replies = dm(slack, channel)
        assert list(paper_ids(replies)) == [paper]  # not the namesakes' 2606.15007
        assert parent["blocks"][0]["text"]["text"] == "📚 1 paper on your radar · Tue 16 Jun 2026"
        assert [b["type"] for b in parent["blocks"]] == ["header", "context"]  # no briefing under 5
        text = replies[0]["blocks"][0]["text"]["text"]  # the channel thread's renderer
        assert text.startswith("*01. <https://arxiv.org/abs/") and "TL;DR:" in text
        assert [b["text"]["text"] for b in replies[0]["blocks"][1]["elements"]] == ["abs", "pdf", "🔖 Save"]
    assert "*Tomer Koren*" in dm(slack, ANN_DM)[1][0]["blocks"][0]["text"]["text"]  # matched: bold
    assert slack.messages(CHANNEL) == []

    before = len(slack.calls_to("chat.postMessage"))
    again = engine.digests.post_all(day=DAY)
    assert all(d.posted == 0 for d in again) and len(slack.calls_to("chat.postMessage")) == before
    assert engine.paper_for_message(f"{ANN_DM}/{dm(slack, ANN_DM)[1][0]['ts']}") == KOREN  # 🔖 in a DM


def test_a_day_without_matches_sends_no_message(engine: Engine, slack: FakeSlack) -> None:
    run(engine, 'subscribe --me author:"Nobody Atall"', ANN)
    [digest] = engine.digests.post_all(channel=ANN_KEY, day=DAY)
    assert digest.posted == 0 and "nothing matched" in (digest.reason or "")
    assert slack.calls_to("chat.postMessage") == [] and slack.calls_to("conversations.open") == []


def test_killed_mid_dm_then_rerun_posts_each_paper_once(engine: Engine, slack: FakeSlack) -> None:
    run(engine, "subscribe --me keyword:operator", BOB)
    for answered in (0, 2, 3):  # die on the parent, then on the 2nd reply, then on the 3rd
        slack.crash_after_posts(answered)
        with pytest.raises(OSError):
            engine.digests.post_all(channel=BOB_KEY, day=DAY)
        slack.recover()
    [digest] = engine.digests.post_all(channel=BOB_KEY, day=DAY)
    parents, replies = dm(slack, BOB_DM)
    assert len(parents) == 1 and len(replies) >= 4
    assert paper_ids(replies) == Counter(e.paper.id for e in digest.entries)
    assert max(paper_ids(replies).values()) == 1
    assert engine.digests.post_all(channel=BOB_KEY, day=DAY)[0].posted == 0


@pytest.mark.parametrize("error", ["user_not_found", "account_inactive"])
def test_a_member_who_left_is_no_longer_posted_to(
    engine: Engine, slack: FakeSlack, error: str, caplog: pytest.LogCaptureFixture
) -> None:
    run(engine, 'subscribe --me author:"Tomer Koren"', ANN)
    run(engine, 'subscribe --me author:"Yolanda Gil"', BOB)
    slack.remove_user(ANN, error)
    with caplog.at_level(logging.INFO, logger="bot"):
        digests = {d.channel: d for d in engine.digests.post_all(day=DAY)}
        engine.digests.post_all(day=DAY)
    assert digests[ANN_KEY].posted == 0 and digests[BOB_KEY].posted == 2  # the others go on
    gone = [r for r in caplog.records if "left the workspace" in r.getMessage()]
    assert len(gone) == 1 and ANN_KEY in gone[0].getMessage()
    assert [i.key for i in engine.channels.all()] == [BOB_KEY]
    assert [c.args["users"] for c in slack.calls_to("conversations.open")].count(ANN) == 1
    assert slack.messages(ANN_DM) == []
    run(engine, "radar --me", ANN)  # a member back in the workspace with a command is back
    info = engine.channels.info(ANN_KEY)
    assert info is not None and not info.left


def test_the_scheduler_posts_at_08_00_in_each_members_zone(engine: Engine, slack: FakeSlack) -> None:
    run(engine, 'subscribe --me author:"Tomer Koren"', ANN)  # Europe/Vienna: 06:00 UTC in June
    run(engine, 'subscribe --me author:"Yolanda Gil"', BOB)  # Asia/Shanghai: 00:00 UTC
    scheduler = Scheduler(engine)
    assert scheduler.tick(dt.datetime(2026, 6, 16, 0, 30, tzinfo=dt.UTC)) == 2  # Bob's 08:30
    assert dm(slack, ANN_DM) == ([], [])
    assert scheduler.tick(dt.datetime(2026, 6, 16, 5, 59, tzinfo=dt.UTC)) == 0  # Ann's 07:59
    assert scheduler.tick(dt.datetime(2026, 6, 16, 6, 0, tzinfo=dt.UTC)) == 2
    assert list(paper_ids(dm(slack, ANN_DM)[1])) == [KOREN]
    assert scheduler.tick(dt.datetime(2026, 6, 16, 6, 1, tzinfo=dt.UTC)) == 0


def test_more_than_fit_continues_with_show_more_in_the_dm(
    demo_db: Path, tmp_path: Path, slack: FakeSlack
) -> None:
    shutil.copy(demo_db, tmp_path / "cap.db")
    engine = make_engine(tmp_path / "cap.db", slack.url, ACADEMICHUB_DIGEST_MAX="3")
    engine.digests.register_poster("slack", lambda info: poster_for(engine, info.key))
    try:
        run(engine, "subscribe --me keyword:operator", BOB)
        [digest] = engine.digests.post_all(channel=BOB_KEY, day=DAY)
        assert len(digest.entries) == 3 and digest.total > 3
        [parent], replies = dm(slack, BOB_DM)
        assert len(replies) == 3
        assert (
            parent["blocks"][0]["text"]["text"] == f"📚 {digest.total} papers on your radar · Tue 16 Jun 2026"
        )
        button = next(b for b in parent["blocks"] if b["type"] == "actions")["elements"][0]
        assert button["action_id"] == "academichub_digest_more" and button["text"]["text"] == "Show more"
        more = engine.more_of_digest(Caller("slack", TEAM, BOB_DM, BOB), int(button["value"]))
        assert more.first_number == 4 and more.papers  # numbering goes on from the DM thread
        assert not {p.id for p in more.papers} & {e.paper.id for e in digest.entries}
    finally:
        engine.close()
