"""The `slack` platform plug-in: a poster for any process, `run slack`, and direct messages."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Protocol

from slack_sdk.errors import SlackApiError

from adapters.slack.poster import SlackPoster, WorkspaceCap, split_channel_key, web_client
from bot.engine import Engine
from bot.platforms import PlatformUnavailable

log = logging.getLogger(__name__)


class ChannelRef(Protocol):
    """What the poster needs of the core's channel info: its key, `slack:TEAM/CHANNEL`."""

    @property
    def key(self) -> str: ...


def token_for(engine: Engine, team: str) -> str:
    """The workspace's bot token, or PlatformUnavailable saying which setting is missing."""
    from adapters.slack.oauth import bot_token_for

    token = bot_token_for(engine.settings, team)
    if not token:
        raise PlatformUnavailable(
            f"SLACK_BOT_TOKEN is not set and workspace {team} has not installed the app: "
            "set the token, or install the app through /slack/install"
        )
    return token


class SlackPlatform:
    """Slack through Bolt (HTTP or Socket Mode) and the Web API."""

    name = "slack"

    def __init__(self) -> None:
        self._caps: dict[str, WorkspaceCap] = {}
        self._caps_lock = threading.Lock()

    def workspace_cap(self, team: str, per_second: float) -> WorkspaceCap:
        """The one cap every poster thread of this process shares for a workspace."""
        with self._caps_lock:
            if team not in self._caps:
                self._caps[team] = WorkspaceCap(per_second)
            return self._caps[team]

    def poster(self, engine: Engine, channel_info: ChannelRef) -> SlackPoster:
        """Post to `slack:TEAM/CHANNEL` with that workspace's bot token; no running app needed."""
        team, channel = split_channel_key(channel_info.key)
        client = web_client(token_for(engine, team), engine.settings.slack_api_url)
        cap = self.workspace_cap(team, engine.settings.workspace_posts_per_second)
        return SlackPoster(client, channel, cap=cap)

    def member_zone(self, engine: Engine, key: str) -> str | None:
        """A member's time zone from users.info (`Europe/Vienna`), for their radar's default schedule."""
        team, member = split_channel_key(key)
        client = web_client(token_for(engine, team), engine.settings.slack_api_url)
        try:
            user = client.users_info(user=member.removeprefix("@"))["user"]
        except SlackApiError as exc:
            log.info("users.info %s: %s", member, exc.response.get("error"))
            return None
        return str(user.get("tz") or "") or None

    def run(self, engine: Engine) -> int:
        """`academichub run slack`: serve until stopped."""
        from adapters.slack.app import check_settings, serve

        app_token = engine.settings.slack_app_token
        check_settings(engine, socket_mode=bool(app_token and app_token.get_secret_value()))
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        asyncio.run(serve(engine))
        return 0

    def send_direct_message(self, engine: Engine, workspace: str, user: str, text: str) -> None:
        """conversations.open + chat.postMessage; `text` is the core's own words (escaped anyway)."""
        from adapters.slack.render import escape

        client = web_client(token_for(engine, workspace), engine.settings.slack_api_url)
        dm = client.conversations_open(users=user)["channel"]["id"]
        client.chat_postMessage(channel=dm, text=escape(text), unfurl_links=False, unfurl_media=False)


platform = SlackPlatform()
