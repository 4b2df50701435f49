"""The plug-in around the bot: `run discord` without a token, direct messages, intents and mentions."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import discord

from adapters.discord import DiscordPlatform, create_bot
from bot.engine import Engine
from tests.fakes.discord_api import FakeDiscord

ACADEMICHUB = Path(sys.executable).with_name("academichub")


def test_run_discord_without_a_token_is_one_clear_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "ACADEMICHUB_"))}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path}/t.db"
    done = subprocess.run(
        [str(ACADEMICHUB), "run", "discord"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "DISCORD_TOKEN is not set" in lines[0], done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_direct_message_opens_a_dm_and_mentions_nobody(engine: Engine, fake: FakeDiscord) -> None:
    platform = DiscordPlatform()
    try:
        platform.send_direct_message(
            engine, "GUILD", "53908232506183680", "New version of 2606.15007 @everyone"
        )
    finally:
        platform.close()
    (dm,) = fake.sent("POST", r"/users/@me/channels")
    assert dm.payload == {"recipient_id": 53908232506183680}
    (send,) = fake.sent("POST", r"/channels/\d+/messages")
    assert send.payload["allowed_mentions"] == {"parse": []} and "@everyone" not in send.payload["content"]


def test_bot_asks_for_the_least_it_needs(engine: Engine) -> None:
    bot = create_bot(engine)
    assert bot.intents == discord.Intents(guilds=True, guild_reactions=True)
    assert not bot.intents.message_content
    assert bot.allowed_mentions is not None and bot.allowed_mentions.to_dict() == {"parse": []}
    assert engine.settings.discord_api_url == discord.http.Route.BASE
