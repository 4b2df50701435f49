"""Fixtures for the Discord adapter: the REST stand-in, a real Engine, a logged-in bot, gateway events."""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import discord
import pytest

from adapters.discord import AcademicHubBot, create_bot
from bot.config import FileConfig, Settings, load_settings
from bot.engine import Engine, build_engine
from bot.radar import parse_rule
from tests.fakes.discord_api import TOKEN, FakeDiscord, fixture

BUNDLED_DAY = Path(__file__).resolve().parents[2] / "bot" / "data" / "arxiv_cs_2026-06-16.rss.gz"
DAY = dt.date(2026, 6, 16)
GUILD_CREATE = fixture("gateway_GUILD_CREATE_discord4j.json")["d"]
GUILD = GUILD_CREATE["id"]
CHANNEL = GUILD_CREATE["channels"][1]["id"]  # "test2"
KEY = f"discord:{GUILD}/{CHANNEL}"
ALICE, BOB = "275616469906358273", "134127815531560960"


@pytest.fixture
def fake() -> Iterator[FakeDiscord]:
    """The REST stand-in, knowing the fixture guild's text channels; Route.BASE restored afterwards."""
    base = discord.http.Route.BASE
    with FakeDiscord() as server:
        for channel in GUILD_CREATE["channels"]:
            server.add_text_channel(GUILD, channel)
        yield server
    discord.http.Route.BASE = base


def make_settings(tmp_path: Path, fake: FakeDiscord, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "DATABASE_URL": f"sqlite:///{tmp_path}/t.db",
        "OPENAI_API_KEY": None,
        "ACADEMICHUB_CONFIG": None,
        "DISCORD_TOKEN": TOKEN,
        "DISCORD_API_URL": fake.api_url,
        "ACADEMICHUB_ARXIV_API_URL": "http://127.0.0.1:9/",
    }
    return load_settings(**(values | extra))


def make_engine(settings: Settings, *feeds: str | Path) -> Engine:
    """A real engine on the settings' SQLite file; no live arXiv lookups (they are rate-limited to 1/3 s)."""
    engine = build_engine(settings, file_config=FileConfig())
    if feeds:
        report = engine.ingest([str(f) for f in feeds])
        assert not report.failed, report.to_json()
    engine.arxiv = None
    return engine


@pytest.fixture
def engine(tmp_path: Path, fake: FakeDiscord) -> Iterator[Engine]:
    """The bundled real arXiv day, and the test channel's radar: cs.GR plus the 574-author Nemotron paper."""
    engine = make_engine(make_settings(tmp_path, fake), BUNDLED_DAY)
    engine.channels.subscribe(KEY, parse_rule("cat:cs.GR"))
    engine.channels.subscribe(KEY, parse_rule('keyword:"Nemotron 3 Ultra"'))
    yield engine
    engine.close()


async def start_bot(engine: Engine) -> AcademicHubBot:
    """create_bot + login against the stand-in (REST only), then the guild as GUILD_CREATE brings it."""
    bot = create_bot(engine)
    await bot.login(TOKEN)
    bot._connection.parse_guild_create(copy.deepcopy(GUILD_CREATE))
    return bot


@pytest.fixture
async def bot(engine: Engine) -> AsyncIterator[AcademicHubBot]:
    client = await start_bot(engine)
    yield client
    await client.close()


class Gateway:
    """Builds gateway dispatches from the fixture payloads and feeds them to a bot's parsers."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake

    def _modern(self, d: dict[str, Any], channel_id: str) -> dict[str, Any]:
        """Add the interaction fields Discord sends today and the 2021 capture predates (SOURCES §7b)."""
        channel = {k: v for k, v in self.fake.channels[channel_id].items() if k != "permission_overwrites"}
        d.update(
            app_permissions="2248473465835073", locale="en-US", guild_locale="en-US", entitlements=[],
            authorizing_integration_owners={"0": GUILD}, context=0, attachment_size_limit=10485760,
            channel=channel | {"permissions": "2248473465835073"},
        )  # fmt: skip
        self.fake.register_interaction(d)
        return d

    def _member(self, user_id: str) -> dict[str, Any]:
        member = copy.deepcopy(
            fixture("gateway_INTERACTION_CREATE_slash_command_discord4j.json")["d"]["member"]
        )
        member["user"]["id"] = user_id
        return member

    def command(self, sub: str, options: dict[str, Any] | None = None, user: str = ALICE, kind: int = 2,
                channel: str = CHANNEL, focused: str | None = None) -> Any:  # fmt: skip
        """INTERACTION_CREATE for `/papers SUB option:value…` (type 4 = autocomplete)."""
        d = copy.deepcopy(fixture("gateway_INTERACTION_CREATE_slash_command_discord4j.json")["d"])
        types = {bool: 5, int: 4, str: 3}
        inner = [
            {"name": k, "type": types[type(v)], "value": v} | ({"focused": True} if k == focused else {})
            for k, v in (options or {}).items()
        ]
        d.update(
            id=self.fake.snowflake(), token=f"tok-{self.fake.snowflake()}", type=kind, guild_id=GUILD,
            channel_id=channel, application_id=self.fake.application["id"], member=self._member(user),
            data={"id": "817771924460929035", "name": "papers", "type": 1,
                  "options": [{"name": sub, "type": 1, "options": inner}]},
        )  # fmt: skip
        return self._modern(d, channel)

    def click(self, message: dict[str, Any], custom_id: str, user: str = ALICE) -> Any:
        """INTERACTION_CREATE for a button click on a stored message (interaction_button_click_docs shape)."""
        d = copy.deepcopy(fixture("interaction_button_click_docs.json"))
        d.update(
            id=self.fake.snowflake(), token=f"tok-{self.fake.snowflake()}", guild_id=GUILD,
            channel_id=message["channel_id"], application_id=self.fake.application["id"],
            member=self._member(user), message=copy.deepcopy(message),
            data={"custom_id": custom_id, "component_type": 2},
        )  # fmt: skip
        return self._modern(d, message["channel_id"])

    def reaction(self, message: dict[str, Any], user: str, emoji: str = "🔖", add: bool = True) -> Any:
        """MESSAGE_REACTION_ADD / _REMOVE for a stored message, from the Discord4J captures."""
        name = (
            "gateway_MESSAGE_REACTION_ADD_discord4j.json"
            if add
            else "gateway_MESSAGE_REACTION_REMOVE_discord4j.json"
        )
        d = copy.deepcopy(fixture(name)["d"])
        d.update(user_id=user, message_id=message["id"], channel_id=message["channel_id"], guild_id=GUILD)
        d["emoji"] = {"name": emoji, "id": None}
        if "member" in d:
            d["member"]["user"]["id"] = user
            d["member"].setdefault("flags", 0)  # members carry flags since 2023; the 2020 capture has none
        return d


@pytest.fixture
def gateway(fake: FakeDiscord) -> Gateway:
    return Gateway(fake)


async def eventually(check: Callable[[], Any], timeout: float = 10) -> Any:
    """Poll (in a worker thread: checks may read the database) until `check()` is truthy."""
    deadline = time.monotonic() + timeout
    while not (value := await asyncio.to_thread(check)):
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)
    return value
