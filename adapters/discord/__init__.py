"""AcademicHub on Discord: the `discord` platform plug-in (see pyproject's entry points).

`create_bot(engine)` builds the bot for scripts and tests; `platform` is what the CLI loads.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Protocol

from adapters.discord.client import AcademicHubBot, create_bot, run_bot, token_of, use_api_base
from adapters.discord.poster import DiscordPoster, ThreadRest, send_direct_message

if TYPE_CHECKING:
    from bot.engine import Engine


class ChannelRef(Protocol):
    """What a poster needs of the core's ChannelInfo: its `discord:GUILD/CHANNEL` key."""

    @property
    def key(self) -> str: ...


class DiscordPlatform:
    """The Discord platform: a poster for the scheduler, the gateway bot, direct messages."""

    name = "discord"

    def __init__(self) -> None:
        self._rest: dict[str, ThreadRest] = {}
        self._lock = threading.Lock()

    def _rest_for(self, engine: Engine) -> ThreadRest:
        """One REST loop per token for the whole process, so rate-limit state is shared."""
        token = token_of(engine.settings)
        use_api_base(engine.settings)
        with self._lock:
            if token not in self._rest:
                self._rest[token] = ThreadRest(token)
            return self._rest[token]

    def poster(self, engine: Engine, channel: ChannelRef) -> DiscordPoster:
        """REST with the bot token; no gateway connection needed."""
        return DiscordPoster(self._rest_for(engine), channel.key)

    def run(self, engine: Engine) -> int:
        """`academichub run discord`."""
        return run_bot(engine)

    def member_zone(self, engine: Engine, key: str) -> str | None:
        """Discord does not share a member's time zone: their radar runs on UTC unless they set one."""
        return None

    def send_direct_message(self, engine: Engine, workspace: str, user: str, text: str) -> None:
        """Create (or reuse) the DM channel with the user and send the text."""
        send_direct_message(self._rest_for(engine), int(user), text)

    def close(self) -> None:
        """Stop the REST loops (tests and scripts; a process exit does it too)."""
        with self._lock:
            rests, self._rest = list(self._rest.values()), {}
        for rest in rests:
            rest.close()


platform = DiscordPlatform()

__all__ = ["AcademicHubBot", "DiscordPlatform", "DiscordPoster", "create_bot", "platform"]
