"""Personal radars on Discord: `/papers … me:True` through the gateway, digests in each member's DM
channel over the REST stand-in (POST /users/@me/channels), exactly once, 50007 when a member left."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from typing import Any

import discord
import pytest

from adapters.discord import AcademicHubBot, DiscordPlatform
from adapters.discord.render import paper_id_from_marker
from bot.engine import Engine
from bot.models import Caller
from tests.discord.conftest import ALICE, BOB, CHANNEL, DAY, GUILD, KEY, Gateway
from tests.discord.test_commands import run_command
from tests.fakes.discord_api import FakeDiscord

ALICE_KEY, BOB_KEY = f"discord:{GUILD}/@{ALICE}", f"discord:{GUILD}/@{BOB}"
KOREN, GIL = "2606.15889", "2606.15708"  # Roi Koren and Dan Gil share 2606.15007: not theirs
SENDS = r"/channels/\d+/messages"


@pytest.fixture
def platform(engine: Engine) -> Iterator[DiscordPlatform]:
    plugin = DiscordPlatform()
    engine.digests.register_poster("discord", lambda info: plugin.poster(engine, info))
    engine.channels.zone_lookups["discord"] = lambda key: plugin.member_zone(engine, key)
    yield plugin
    plugin.close()


def run(engine: Engine, text: str, user: str) -> str:
    reply = engine.handle(text, Caller("discord", GUILD, CHANNEL, user))
    assert reply.ephemeral and not reply.error, reply.text
    return reply.text


def dm_of(fake: FakeDiscord, user: str) -> list[dict[str, Any]]:
    """The messages of the DM channel the bot opened with `user` (none if it never did)."""
    channel = next((c for c, ch in fake.channels.items() if ch.get("recipient") == user), None)
    return fake.history(channel) if channel else []


def papers_in(messages: list[dict[str, Any]]) -> Counter[str]:
    return Counter(
        pid
        for m in messages
        for e in m.get("embeds", [])
        if (pid := paper_id_from_marker((e.get("footer") or {}).get("text")))
    )


async def test_members_manage_their_own_radar_by_app_command(
    bot: AcademicHubBot, fake: FakeDiscord, gateway: Gateway, engine: Engine
) -> None:
    added = await run_command(bot, fake, gateway, "subscribe", rule='author:"Tomer Koren"', me=True)
    assert added.payload["flags"] & 64, "a personal radar's answers are only the caller's"
    assert "Added to your radar" in added.payload["content"] and "08:00 UTC" in added.payload["content"]
    data = gateway.command("subscribe", {"rule": 'author:"Yolanda Gil"', "me": True}, user=BOB)
    bot._connection.parse_interaction_create(data)
    await fake.wait_for("POST", r"/webhooks/\d+/[^/]+", count=2)

    mine = await run_command(bot, fake, gateway, "radar", me=True)
    assert mine.payload["flags"] & 64
    assert "Tomer Koren" in mine.payload["content"] and "Gil" not in mine.payload["content"]
    channel = await run_command(bot, fake, gateway, "radar")  # the channel's own rules only
    assert "Koren" not in channel.payload["content"] and "cat:cs.GR" in channel.payload["content"]
    gone = await run_command(bot, fake, gateway, "unsubscribe", number=1, me=True)
    assert gone.payload["flags"] & 64 and "Removed" in gone.payload["content"]
    alice = engine.channels.info(ALICE_KEY)
    bob = engine.channels.info(BOB_KEY)
    assert alice is not None and alice.rules == () and alice.schedule == "08:00 UTC"
    assert bob is not None and [r.text for r in bob.rules] == ['author:"Yolanda Gil"']
    assert engine.channels.info(KEY) is not None and len(engine.channels.info(KEY).rules) == 2  # type: ignore[union-attr]


def test_each_member_gets_exactly_their_matches_in_their_dm(
    engine: Engine, fake: FakeDiscord, platform: DiscordPlatform
) -> None:
    run(engine, 'subscribe --me author:"Tomer Koren"', ALICE)
    run(engine, 'subscribe --me author:"Yolanda Gil"', BOB)
    digests = {d.channel: d for d in engine.digests.post_all(day=DAY)}
    assert digests[ALICE_KEY].posted == digests[BOB_KEY].posted == 2
    opened = [r.payload["recipient_id"] for r in fake.sent("POST", r"/users/@me/channels")]
    assert sorted(map(str, opened)) == sorted([ALICE, BOB])
    for user, paper in ((ALICE, KOREN), (BOB, GIL)):
        parent, entry = dm_of(fake, user)
        assert parent["content"].startswith("📚 1 paper on your radar · Tue 16 Jun 2026")
        assert papers_in([entry]) == Counter([paper])  # not the namesakes' 2606.15007
        assert entry["embeds"][0]["title"].startswith("01. ")
        assert [b.get("label") for b in entry["components"][0]["components"]] == ["abs", "pdf", "Save"]
    assert all(r.payload["allowed_mentions"] == {"parse": []} for r in fake.sent("POST", SENDS))
    threads = fake.sent("POST", r"/channels/\d+/messages/\d+/threads")
    assert [t.path.split("/")[2] for t in threads] == [CHANNEL]  # the channel's own; DMs have none
    sends = len(fake.sent("POST", SENDS))
    assert all(d.posted == 0 for d in engine.digests.post_all(day=DAY))
    assert len(fake.sent("POST", SENDS)) == sends


@pytest.mark.parametrize("keep", [True, False], ids=["sent-but-not-recorded", "refused"])
def test_killed_mid_dm_then_rerun_posts_each_paper_once(
    engine: Engine, fake: FakeDiscord, platform: DiscordPlatform, keep: bool
) -> None:
    run(engine, "subscribe --me keyword:operator", BOB)
    fake.fail("POST", SENDS, after=3, times=1, keep=keep)  # the parent and 2 papers, then it dies
    with pytest.raises(discord.HTTPException):
        engine.digests.post_all(channel=BOB_KEY, day=DAY)
    assert len(dm_of(fake, BOB)) == (4 if keep else 3)
    [digest] = engine.digests.post_all(channel=BOB_KEY, day=DAY)
    messages = dm_of(fake, BOB)
    expected = Counter(e.paper.id for e in digest.entries)
    assert len(expected) >= 4 and papers_in(messages[1:]) == expected
    assert sum(1 for m in messages if "on your radar" in m["content"]) == 1
    assert len(messages) == 1 + len(expected)


def test_a_member_who_left_is_no_longer_posted_to(
    engine: Engine, fake: FakeDiscord, platform: DiscordPlatform, caplog: pytest.LogCaptureFixture
) -> None:
    run(engine, 'subscribe --me author:"Tomer Koren"', ALICE)
    run(engine, 'subscribe --me author:"Yolanda Gil"', BOB)
    fake.gone.add(ALICE)  # Discord answers 50007 "Cannot send messages to this user"
    with caplog.at_level(logging.INFO, logger="bot"):
        digests = {d.channel: d for d in engine.digests.post_all(day=DAY)}
        engine.digests.post_all(day=DAY)
    assert digests[ALICE_KEY].posted == 0 and digests[BOB_KEY].posted == 2
    assert [r.getMessage() for r in caplog.records if "left the workspace" in r.getMessage()] == [
        f"{ALICE_KEY} left the workspace: their personal radar is no longer posted"
    ]
    assert ALICE_KEY not in [i.key for i in engine.channels.all()]
    refused = [r for r in fake.sent("POST", SENDS) if r.status == 403]
    assert len(refused) == 1  # one try, then never again
