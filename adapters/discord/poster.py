"""The daily thread over Discord's REST API, for the core's synchronous DeliveryService.

The core calls a Poster from a worker thread, so REST calls run on an event loop elsewhere:
the running bot's loop (`BotRest`) or a private loop in a daemon thread (`ThreadRest`, for
`run scheduler` and the CLI, which have no gateway connection).
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import threading
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

import discord
from discord.http import HTTPClient, handle_message_parameters

from adapters.discord.render import (
    CONTENT_MAX,
    cut,
    digest_day_from_marker,
    entry_embed,
    inert,
    paper_id_from_marker,
    parent_content,
    parent_embed,
    thread_name,
)
from adapters.discord.views import DigestMoreButton, SaveButton
from bot.delivery import PostedRef, RecipientGone
from bot.models import Digest, DigestEntry

log = logging.getLogger(__name__)

T = TypeVar("T")
RestCall = Callable[[HTTPClient], Awaitable[T]]

REST_TIMEOUT = 120.0  # seconds for one poster call, rate-limit waits included
HISTORY_PAGES = 10  # 1,000 messages: far more than a digest thread holds
THREAD_ALREADY_EXISTS = 160004  # Discord's error code when a message already has a thread
# "Cannot send messages to this user" (left every shared server, or closed DMs), "Unknown User".
MEMBER_GONE = frozenset({50007, 10013})


class Rest(Protocol):
    """Runs a REST coroutine for a synchronous caller and knows the bot's own user id."""

    def call(self, fn: RestCall[T]) -> T: ...

    def user_id(self) -> int: ...


class ThreadRest:
    """A private event loop in a daemon thread with an HTTPClient logged in by static_login."""

    def __init__(self, token: str) -> None:
        self._token = token
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="discord-rest", daemon=True)
        self._thread.start()
        self._http: HTTPClient | None = None
        self._user_id: int | None = None
        self._lock = threading.Lock()

    async def _client(self) -> HTTPClient:
        if self._http is None:
            http = HTTPClient(self._loop)
            me = await http.static_login(self._token)  # raises LoginFailure on a bad token
            self._http, self._user_id = http, int(me["id"])
        return self._http

    def call(self, fn: RestCall[T]) -> T:
        async def run() -> T:
            return await fn(await self._client())

        with self._lock:  # one call at a time keeps discord.py's rate-limit buckets simple
            return asyncio.run_coroutine_threadsafe(run(), self._loop).result(REST_TIMEOUT)

    def user_id(self) -> int:
        if self._user_id is None:
            self.call(lambda http: asyncio.sleep(0))
        assert self._user_id is not None
        return self._user_id

    def close(self) -> None:
        """Close the HTTP session and stop the loop thread."""
        if self._http is not None:
            asyncio.run_coroutine_threadsafe(self._http.close(), self._loop).result(10)
            self._http = None
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


class BotRest:
    """REST through a running bot's HTTPClient, from a worker thread of that bot's loop."""

    def __init__(self, bot: discord.Client) -> None:
        self._bot = bot

    def call(self, fn: RestCall[T]) -> T:
        loop = self._bot.loop
        if _running_in(loop):
            raise RuntimeError("BotRest.call would block the bot's own event loop; use asyncio.to_thread")

        async def run() -> T:
            return await fn(self._bot.http)

        return asyncio.run_coroutine_threadsafe(run(), loop).result(REST_TIMEOUT)

    def user_id(self) -> int:
        assert self._bot.user is not None, "the bot is not logged in"
        return self._bot.user.id


def _running_in(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


async def _logs(http: HTTPClient, *, channel_id: int, before: int | None) -> list[Any]:
    return list(await http.logs_from(channel_id, 100, before=before))


def parse_channel_key(key: str) -> tuple[int, int]:
    """`discord:GUILD/CHANNEL` -> (guild id, channel id)."""
    platform, _, rest = key.partition(":")
    guild, _, channel = rest.partition("/")
    if platform != "discord" or not guild.isdigit() or not channel.isdigit():
        raise ValueError(f"not a Discord channel key: {key!r} (expected discord:GUILD_ID/CHANNEL_ID)")
    return int(guild), int(channel)


def _save_view(entry: DigestEntry) -> discord.ui.View:
    """[abs] [pdf] [Save]: link buttons and the persistent Save button."""
    view = discord.ui.View(timeout=None)
    paper = entry.paper
    if (paper.url or "").startswith("http"):
        view.add_item(discord.ui.Button(label="abs", url=paper.url))
    if (paper.pdf_url or "").startswith("http"):
        view.add_item(discord.ui.Button(label="pdf", url=paper.pdf_url))
    view.add_item(SaveButton(paper.id))
    return view


def _more_view(digest: Digest) -> discord.ui.View | None:
    """Show more under the parent when more papers matched than the thread holds."""
    if not digest.more or digest.id is None:
        return None
    view = discord.ui.View(timeout=None)
    view.add_item(DigestMoreButton(digest.id))
    return view


def parse_member_key(key: str) -> tuple[int, int] | None:
    """`discord:GUILD/@USER` (a personal radar) -> (guild id, user id); None for other keys."""
    platform, _, rest = key.partition(":")
    guild, _, target = rest.partition("/")
    if platform != "discord" or not guild.isdigit() or not target.startswith("@") or not target[1:].isdigit():
        return None
    return int(guild), int(target[1:])


class DiscordPoster:
    """Posts one channel's digest: a parent message, its thread, one embed per paper. For a
    member (`discord:GUILD/@USER`) the same messages go to their DM channel, where Discord has
    no threads: the papers follow the parent in the DM itself."""

    def __init__(self, rest: Rest, channel_key: str) -> None:
        self.rest = rest
        member = parse_member_key(channel_key)
        self.member: int | None = None
        self._channel_id: int | None = None
        if member is not None:
            self.guild_id, self.member = member
        else:
            self.guild_id, self._channel_id = parse_channel_key(channel_key)
        self.mentions = discord.AllowedMentions.none()

    @property
    def channel_id(self) -> int:
        """The channel; for a member, their DM channel (opened, or reused, on first use)."""
        if self._channel_id is None:
            member = self.member
            assert member is not None
            dm: Any = self._call(lambda http: http.start_private_message(member))
            self._channel_id = int(dm["id"])
        return self._channel_id

    def _call(self, fn: RestCall[T]) -> T:
        """One REST call; for a member, Discord's "cannot send to this user" means they are gone."""
        try:
            return self.rest.call(fn)
        except discord.HTTPException as exc:
            if self.member is not None and exc.code in MEMBER_GONE:
                raise RecipientGone(f"Discord user {self.member}: {exc.text or exc.code}") from None
            raise

    def _ours(self, message: dict[str, Any]) -> bool:
        return str(message.get("author", {}).get("id")) == str(self.rest.user_id())

    def _history(self, channel_id: int, pages: int = HISTORY_PAGES) -> list[dict[str, Any]]:
        """The channel's messages, newest first, as far back as `pages` × 100."""
        out: list[dict[str, Any]] = []
        before: int | None = None
        for _ in range(pages):
            page = functools.partial(_logs, channel_id=channel_id, before=before)
            batch: list[Any] = self._call(page)
            out.extend(batch)
            if len(batch) < 100:
                break
            before = int(batch[-1]["id"])
        return out

    def find_parent(self, digest: Digest) -> PostedRef | None:
        """This digest's parent in the channel's recent history (by the marker in its embed footer)."""
        day = digest.date.isoformat()
        for message in self._history(self.channel_id, pages=1):
            footers = [(e.get("footer") or {}).get("text") for e in message.get("embeds", [])]
            if self._ours(message) and any(digest_day_from_marker(f) == day for f in footers):
                if self.member is not None:  # a DM has no threads: the papers follow in the DM
                    return PostedRef(message=str(message["id"]), thread=str(self.channel_id))
                thread = (message.get("thread") or {}).get("id") or self._open_thread(message["id"], digest)
                return PostedRef(message=str(message["id"]), thread=str(thread))
        return None

    def _open_thread(self, message_id: str | int, digest: Digest) -> str:
        async def start(http: HTTPClient) -> str:
            try:
                thread = await http.start_thread_with_message(
                    self.channel_id, message_id, name=thread_name(digest), auto_archive_duration=1440
                )
            except discord.HTTPException as exc:
                if exc.code != THREAD_ALREADY_EXISTS:
                    raise
                return str(message_id)  # a thread started from a message has that message's id
            return str(thread["id"])

        return self._call(start)

    def _named(self, digest: Digest) -> Digest:
        """The digest with the channel's name (for the title line) when the core has none."""
        if digest.channel_name or self.member is not None:
            return digest
        try:
            channel: Any = self._call(lambda http: http.get_channel(self.channel_id))
        except discord.HTTPException:
            return digest
        return dataclasses.replace(digest, channel_name=channel.get("name") or None)

    def post_parent(self, digest: Digest) -> PostedRef:
        """The parent message (title, hint, briefing embed), then the thread started from it."""
        named = self._named(digest)
        channel_id = self.channel_id  # here, not in the coroutine: a member's DM is opened by a REST call

        async def send(http: HTTPClient) -> str:
            # The View is built here because discord.py views need a running loop.
            view = _more_view(digest)
            params = handle_message_parameters(
                content=parent_content(named),
                embed=parent_embed(named),
                allowed_mentions=self.mentions,
                view=view if view is not None else discord.utils.MISSING,
            )
            with params:
                message = await http.send_message(channel_id, params=params)
            return str(message["id"])

        message_id = self._call(send)
        if self.member is not None:
            return PostedRef(message=message_id, thread=str(self.channel_id))
        return PostedRef(message=message_id, thread=self._open_thread(message_id, digest))

    def existing_entries(self, digest: Digest, parent: PostedRef) -> dict[str, str]:
        """Paper id -> message id for the paper messages the thread already holds."""
        found: dict[str, str] = {}
        for message in self._history(int(parent.thread or parent.message)):
            if not self._ours(message):
                continue
            for embed in message.get("embeds", []):
                paper_id = paper_id_from_marker((embed.get("footer") or {}).get("text"))
                if paper_id:
                    found.setdefault(paper_id, str(message["id"]))
        return found

    def post_entry(self, digest: Digest, entry: DigestEntry, parent: PostedRef) -> str:
        """One paper message in the thread; returns its message id."""
        thread_id = int(parent.thread or parent.message)

        async def send(http: HTTPClient) -> str:
            # The View is built here because discord.py views need a running loop.
            params = handle_message_parameters(
                embed=entry_embed(entry), view=_save_view(entry), allowed_mentions=self.mentions
            )
            with params:
                message = await http.send_message(thread_id, params=params)
            return str(message["id"])

        return self._call(send)


def send_direct_message(rest: Rest, user_id: int, text: str) -> str:
    """Open (or reuse) the DM channel with a user and send the text; returns the message id."""

    async def send(http: HTTPClient) -> str:
        channel = await http.start_private_message(user_id)
        params = handle_message_parameters(
            content=cut(inert(text), CONTENT_MAX), allowed_mentions=discord.AllowedMentions.none()
        )
        with params:
            message = await http.send_message(channel["id"], params=params)
        return str(message["id"])

    return rest.call(send)


__all__ = ["BotRest", "DiscordPoster", "ThreadRest", "parse_channel_key", "send_direct_message"]
