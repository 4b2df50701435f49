"""The Discord bot: `create_bot(engine)` builds it, `run_bot` runs it (`academichub run discord`).

Usage from a script or a test::

    bot = create_bot(engine)          # engine = bot.engine.build_engine(settings)
    await bot.login(token)            # REST only: setup_hook adds the cog, buttons and syncs commands
    await bot.connect()               # the gateway, when you want events

The bot asks for the least it needs: guild events (channels, threads, interactions) and guild
reactions. It never reads message content, and it mentions nobody (`AllowedMentions.none()`).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from adapters.discord.cog import PapersCog
from adapters.discord.poster import BotRest, DiscordPoster
from adapters.discord.views import DigestMoreButton, MoreView, SaveButton
from bot.config import Settings
from bot.platforms import PlatformUnavailable

if TYPE_CHECKING:
    from bot.engine import Engine

log = logging.getLogger(__name__)

NO_TOKEN = (
    "DISCORD_TOKEN is not set: create a bot in the Discord developer portal "
    "(Applications → Bot → Reset Token) and export DISCORD_TOKEN=…"
)


def bot_intents() -> discord.Intents:
    """Guilds (channels, threads, interactions) and guild reactions (🔖); no message content."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_reactions = True
    return intents


def use_api_base(settings: Settings) -> None:
    """Point discord.py's REST base (every route, webhooks included) at DISCORD_API_URL when set."""
    if settings.discord_api_url:
        discord.http.Route.BASE = settings.discord_api_url.rstrip("/")


def token_of(settings: Settings) -> str:
    """The bot token, or PlatformUnavailable with one sentence for people."""
    token = settings.discord_token.get_secret_value().strip() if settings.discord_token else ""
    if not token:
        raise PlatformUnavailable(NO_TOKEN)
    return token


class AcademicHubBot(commands.Bot):
    """discord.py's Bot carrying the engine; everything else lives in PapersCog and the views."""

    def __init__(self, engine: Engine, *, sync_commands: bool = True) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,  # no text commands: app commands only
            intents=bot_intents(),
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
        )
        self.engine = engine
        self.sync_commands = sync_commands
        self.write_lock = asyncio.Lock()  # reading-list writes, one at a time (see views.save_write)

    async def setup_hook(self) -> None:
        """After login, before the gateway: commands, persistent buttons, the digest poster, sync."""
        await self.add_cog(PapersCog(self))
        self.add_view(MoreView())
        self.add_dynamic_items(SaveButton, DigestMoreButton)
        # `/papers digest now` posts through this bot's own HTTP client.
        self.engine.digests.register_poster("discord", lambda info: DiscordPoster(BotRest(self), info.key))
        if self.sync_commands:
            await self.sync_app_commands()

    async def sync_app_commands(self) -> list[discord.app_commands.AppCommand]:
        """Guild-scoped when DISCORD_GUILD_ID is set (instant, for development), else global."""
        guild_id = self.engine.settings.discord_guild_id
        if guild_id:
            guild = discord.Object(id=guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
        else:
            synced = await self.tree.sync()
        where = f"to guild {guild_id}" if guild_id else "globally"
        log.info("synced %d app command(s) %s", len(synced), where)
        return synced


def create_bot(engine: Engine, *, sync_commands: bool = True) -> AcademicHubBot:
    """The AcademicHub Discord bot for this engine (DISCORD_API_URL applied); not yet logged in."""
    use_api_base(engine.settings)
    return AcademicHubBot(engine, sync_commands=sync_commands)


async def _serve(bot: AcademicHubBot, token: str) -> None:
    async with bot:
        await bot.start(token)


def run_bot(engine: Engine) -> int:
    """`academichub run discord`: log in, sync commands, stay on the gateway until stopped."""
    token = token_of(engine.settings)
    bot = create_bot(engine)
    discord.utils.setup_logging()
    try:
        asyncio.run(_serve(bot, token))
    except discord.LoginFailure:
        raise PlatformUnavailable(
            "DISCORD_TOKEN was rejected by Discord (401): reset the bot token and set it again"
        ) from None
    except discord.PrivilegedIntentsRequired:
        raise PlatformUnavailable("Discord refused the bot's intents: check the bot's settings") from None
    except KeyboardInterrupt:
        log.info("stopped")
    return 0
