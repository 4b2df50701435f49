"""Saving papers: 🔖 reactions per user, and the Save button, which survives a restart."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from adapters.discord import AcademicHubBot
from bot.config import FileConfig
from bot.engine import Engine, build_engine
from tests.discord.conftest import (
    ALICE,
    BOB,
    CHANNEL,
    DAY,
    GUILD,
    KEY,
    Gateway,
    eventually,
    make_settings,
    start_bot,
)
from tests.fakes.discord_api import FakeDiscord

FOLLOWUP = r"/webhooks/\d+/[^/]+"


async def post_digest(engine: Engine) -> None:
    """`/papers digest now` does this in a worker thread; here the test is the caller."""
    await asyncio.to_thread(engine.digests.post_all, KEY, DAY)


def paper_messages(fake: FakeDiscord) -> list[dict[str, Any]]:
    parent = next(m for m in fake.history(CHANNEL) if "thread" in m)
    return fake.history(parent["thread"]["id"])


def saved_ids(engine: Engine, user: str) -> list[str]:
    return [p.id for p in engine.library.saved(GUILD, user)]


async def test_reactions_save_and_unsave_per_user(
    bot: AcademicHubBot, engine: Engine, fake: FakeDiscord, gateway: Gateway
) -> None:
    await post_digest(engine)
    first, second = paper_messages(fake)[:2]
    paper = engine.paper_for_message(first["id"])
    assert paper == "2606.15007"

    state = bot._connection
    state.parse_message_reaction_add(gateway.reaction(first, ALICE))
    state.parse_message_reaction_add(gateway.reaction(first, ALICE, emoji="😊"))  # not a save emoji
    state.parse_message_reaction_add(gateway.reaction(second, BOB))
    await eventually(lambda: saved_ids(engine, ALICE) and saved_ids(engine, BOB))
    assert saved_ids(engine, ALICE) == [paper]
    assert saved_ids(engine, BOB) == [engine.paper_for_message(second["id"])]

    state.parse_message_reaction_remove(gateway.reaction(first, ALICE, add=False))
    await eventually(lambda: not saved_ids(engine, ALICE))
    assert saved_ids(engine, BOB), "Bob's save is his own"
    assert not fake.sent("POST", FOLLOWUP), "reactions answer nothing"


async def test_save_button_works_after_a_restart(
    tmp_path: Path, engine: Engine, fake: FakeDiscord, gateway: Gateway
) -> None:
    first = await start_bot(engine)
    await post_digest(engine)
    await first.close()
    message = paper_messages(fake)[2]
    custom_id = message["components"][0]["components"][-1]["custom_id"]
    paper = custom_id.removeprefix("academichub:save:")

    # A new process: a new engine on the same database, a new bot that never saw the message.
    fresh = build_engine(make_settings(tmp_path, fake), file_config=FileConfig())
    second = await start_bot(fresh)
    try:
        # Save twice (a second click, or a replay of the first): still saved, not flipped back.
        for _ in range(2):
            followup = await click_and_follow(second, gateway, fake, message, custom_id)
            assert paper in saved_ids(fresh, BOB) and "Saved" in followup.payload["content"]
        # The confirmation carries a Remove button, which removes (and only removes).
        remove = followup.payload["components"][0]["components"][0]
        assert remove["custom_id"] == f"academichub:unsave:{paper}" and remove["label"] == "Remove"
        confirmation = {**message, "components": followup.payload["components"]}  # the ephemeral message
        for _ in range(2):
            followup = await click_and_follow(second, gateway, fake, confirmation, remove["custom_id"])
            assert paper not in saved_ids(fresh, BOB) and "Removed" in followup.payload["content"]
        assert saved_ids(fresh, ALICE) == []
    finally:
        await second.close()
        fresh.close()


async def click_and_follow(
    bot: AcademicHubBot, gateway: Gateway, fake: FakeDiscord, message: dict[str, Any], custom_id: str
) -> Any:
    """Bob clicks a button on `message`; the ephemeral followup the bot sent."""
    click = gateway.click(message, custom_id, user=BOB)
    bot._connection.parse_interaction_create(click)
    followup = (await fake.wait_for("POST", FOLLOWUP.replace("[^/]+", click["token"])))[0]
    calls = [r for r in fake.requests if click["token"] in r.path]
    assert calls[0].path.endswith("/callback") and calls[0].payload["data"]["flags"] == 64
    assert followup.payload["flags"] & 64
    return followup
