"""Discord: a digest's overflow walked to its end through the parent's Show more button and
`/papers more`, and who may change a channel."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from adapters.discord import AcademicHubBot
from bot.engine import Engine
from bot.radar import parse_rule
from tests.discord.conftest import BOB, CHANNEL, DAY, KEY, Gateway
from tests.discord.test_commands import FOLLOWUP, run_command, shown_ids
from tests.fakes.discord_api import FakeDiscord, Recorded

NUMBER = re.compile(r"^(\d{2})\. ")


def numbers(followup: Recorded) -> list[int]:
    return [int(m.group(1)) for e in followup.payload["embeds"] if (m := NUMBER.match(e.get("title", "")))]


async def click(
    bot: AcademicHubBot, fake: FakeDiscord, gateway: Gateway, message: dict[str, Any], custom_id: str
) -> Recorded:
    data = gateway.click(message, custom_id)  # Alice, who then runs `/papers more`
    bot._connection.parse_interaction_create(data)
    return (await fake.wait_for("POST", FOLLOWUP.replace("[^/]+", data["token"])))[0]


async def test_show_more_then_more_walks_the_whole_overflow(
    bot: AcademicHubBot, engine: Engine, fake: FakeDiscord, gateway: Gateway
) -> None:
    engine.channels.subscribe(KEY, parse_rule("cat:cs.LG"))
    [digest] = await asyncio.to_thread(engine.digests.post_all, KEY, DAY)
    assert digest.total > 30 and len(digest.entries) == 25
    parent = next(m for m in fake.history(CHANNEL) if "thread" in m)
    assert f"{digest.total} papers match; 25 here" in parent["content"]
    [button] = [c for row in parent["components"] for c in row["components"]]
    assert button["custom_id"] == f"academichub:digest-more:{digest.id}" and button["label"] == "Show more"

    first = await click(bot, fake, gateway, parent, button["custom_id"])
    seen, ids = numbers(first), shown_ids(first)
    assert first.payload["flags"] & 64, "each member's batch is their own"
    for _ in range(20):
        answer = await run_command(bot, fake, gateway, "more")
        if "That was all" in answer.payload["content"]:
            break
        seen += numbers(answer)
        ids += shown_ids(answer)
    assert seen == list(range(26, digest.total + 1))
    thread_ids = {e.paper.id for e in digest.entries}
    assert len(set(ids)) == len(ids) == digest.total - 25 and not set(ids) & thread_ids


async def test_members_without_manage_channels_cannot_change_the_channel(
    bot: AcademicHubBot, engine: Engine, fake: FakeDiscord, gateway: Gateway
) -> None:
    data = gateway.command("schedule", {"when": "off"}, user=BOB)
    data["member"]["permissions"] = "1024"  # View Channel only
    before = len(fake.sent("POST", FOLLOWUP))
    bot._connection.parse_interaction_create(data)
    [*_, refused] = await fake.wait_for("POST", FOLLOWUP, count=before + 1)
    assert "Only a channel admin" in refused.payload["content"]

    allowed = await run_command(bot, fake, gateway, "schedule", when="09:00 Europe/Vienna")
    assert "09:00 Europe/Vienna" in allowed.payload["content"]
    announced = await fake.wait_for("POST", FOLLOWUP, count=before + 3)
    public = [r for r in announced if not (r.payload.get("flags") or 0) & 64]
    assert public and "Set the daily thread to 09:00 Europe/Vienna" in public[-1].payload["content"]
    assert public[-1].payload["allowed_mentions"] == {"parse": []}
