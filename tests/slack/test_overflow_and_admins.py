"""Slack: a digest's overflow walked to its end through Show more and `/papers more`, and who
may change a channel (with the change announced in the channel)."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from typing import Any

from adapters.slack.render import DIGEST_MORE_ACTION
from bot.engine import Engine
from tests.slack.conftest import Running
from tests.slack.helpers import ANN, BOB, CHANNEL, CHANNEL_KEY, action_body, slash_body
from tests.slack.test_digest import subscribe, thread

DAY = dt.date(2026, 6, 16)
NUMBERED = re.compile(r"\*(\d{2})\. ")


def shown(response: dict[str, Any]) -> tuple[list[int], list[str]]:
    """The numbers and paper ids of the papers in a response_url message."""
    numbers = [int(m) for b in response.get("blocks", []) for m in NUMBERED.findall(str(b.get("text", "")))]
    ids = [
        e["value"]
        for b in response.get("blocks", [])
        if b.get("type") == "actions"
        for e in b["elements"]
        if e.get("action_id") == "academichub_save"
    ]
    return numbers, ids


async def test_show_more_then_more_walks_the_whole_overflow(running: Running, engine: Engine) -> None:
    subscribe(engine, "cat:cs.LG")
    [digest] = engine.digests.post_all(channel=CHANNEL_KEY, day=DAY)
    assert digest.total > 35 and len(digest.entries) == 25
    parents, replies = thread(running.slack)
    assert len(replies) == 25
    note = str(parents[0]["blocks"])
    assert f"{digest.total} papers match; 25 here" in note
    [button] = [e for b in parents[0]["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert button["action_id"] == DIGEST_MORE_ACTION and button["value"] == str(digest.id)

    numbers: list[int] = []
    ids: list[str] = []
    status, _, _ = await running.post(
        action_body(DIGEST_MORE_ACTION, button["value"], running.slack.response_url("b")),
        "application/x-www-form-urlencoded",
    )
    assert status == 200
    [first] = await running.responses(1)
    got = shown(first)
    numbers += got[0]
    ids += got[1]
    while True:
        count = len(running.slack.state.responses)
        await running.command(slash_body("more", running.slack.response_url(f"m{count}")))
        answer = (await running.responses(count + 1))[-1]
        if "That was all" in answer["text"]:
            break
        got = shown(answer)
        numbers += got[0]
        ids += got[1]
    assert numbers == list(range(26, digest.total + 1)), "numbering goes on from the thread, to the end"
    thread_ids = {r["metadata"]["event_payload"]["paper_id"] for r in replies}
    assert len(set(ids)) == len(ids) == digest.total - 25 and not set(ids) & thread_ids


async def test_only_admins_change_a_channel_and_changes_are_announced(
    running: Running, engine: Engine
) -> None:
    running.slack.state.admins.add(ANN)
    await running.command(slash_body("schedule off", running.slack.response_url("r1"), user=BOB))
    [refused] = await running.responses(1)
    assert "Only a channel admin" in refused["text"] and refused["response_type"] == "ephemeral"

    await running.command(
        slash_body("schedule 09:00 Europe/Vienna", running.slack.response_url("r2"), user=ANN)
    )
    accepted = (await running.responses(2))[-1]
    assert "09:00 Europe/Vienna" in accepted["text"]

    await running.command(slash_body("subscribe cat:math.NA", running.slack.response_url("r3"), user=BOB))
    await running.responses(3)
    info = engine.channels.info(CHANNEL_KEY)
    assert info is not None and info.schedule == "09:00 Europe/Vienna"
    assert [r.text for r in info.rules] == ["cat:math.NA"], "anyone may add to a radar"
    # The announcement follows the (ephemeral) answer: wait for it.
    await asyncio.to_thread(running.slack.wait_for, lambda st: len(st.messages.get(CHANNEL, [])) >= 2)
    said = [m["text"] for m in running.slack.messages(CHANNEL) if "thread_ts" not in m]
    assert said == [
        f"<@{ANN}>: Set the daily thread to 09:00 Europe/Vienna on arXiv announcement days.",
        f"<@{BOB}>: Added `cat:math.NA` to this channel's radar.",
    ]


async def test_academichub_admins_may_change_a_channel(engine: Engine) -> None:
    from bot.models import Caller

    settings = engine.settings.model_copy(update={"admins": f"slack:T0LAB/{BOB}"})
    engine.commands.settings = settings
    reply = engine.handle("language zh", Caller("slack", "T0LAB", CHANNEL, BOB))
    assert not reply.error and reply.announcement
    refused = engine.handle("language de", Caller("slack", "T0LAB", CHANNEL, ANN))
    assert refused.error and "Only a channel admin" in refused.text
    asking = engine.handle("language", Caller("slack", "T0LAB", CHANNEL, ANN))
    assert not asking.error and "`zh`" in asking.text
