"""SlackPoster: a digest thread through the Web API, reconciled by message metadata after a crash."""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from adapters.slack.refs import message_ref, ref_ts
from adapters.slack.render import DIGEST_EVENT, PAPER_EVENT, digest_key, entry_message, parent_message
from bot.delivery import PostedRef, RecipientGone
from bot.models import Digest, DigestEntry

log = logging.getLogger(__name__)

PACE_SECONDS = 1.0  # Slack allows about one message per second per channel
HISTORY_PAGES = 10  # how far back find_parent looks (200 messages a page)
# What Slack answers about a member who is gone (removed, deactivated); the list.
MEMBER_GONE = frozenset({"user_not_found", "account_inactive", "user_disabled"})


def split_channel_key(key: str) -> tuple[str, str]:
    """`slack:T0LAB/C0PAPERS` -> (`T0LAB`, `C0PAPERS`); `slack:T0LAB/@U0ALICE` -> (`T0LAB`, `@U0ALICE`)."""
    platform, _, rest = key.partition(":")
    team, _, channel = rest.partition("/")
    if platform != "slack" or not team or not channel:
        raise ValueError(f"{key!r} is not a Slack channel key (slack:TEAM/CHANNEL)")
    return team, channel


def web_client(token: str, base_url: str, retries: int = 5) -> WebClient:
    """A sync WebClient that waits out 429 Retry-After; connection errors are left to the poster."""
    return WebClient(
        token=token,
        base_url=base_url if base_url.endswith("/") else base_url + "/",
        timeout=30,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=retries)],
    )


class WorkspaceCap:
    """At most `per_second` messages a second into one workspace, across every channel's
    poster thread of this process (Slack limits channels to ~1 message/s and workspaces too)."""

    def __init__(self, per_second: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self._clock = clock
        self._lock = threading.Lock()
        self._next = 0.0

    def wait(self) -> None:
        """Claim the next slot and sleep until it comes (slots are handed out in order)."""
        if not self.interval:
            return
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self.interval
        if slot > now:
            time.sleep(slot - now)


def member_gone(exc: SlackApiError) -> bool:
    return exc.response.get("error") in MEMBER_GONE


class SlackPoster:
    """Implements bot.delivery.Poster for one Slack channel, or for a member's direct messages
    (`@U0ALICE`: the DM is opened with conversations.open on first use)."""

    def __init__(
        self,
        client: WebClient,
        channel: str,
        *,
        pace: float = PACE_SECONDS,
        cap: WorkspaceCap | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.member = channel[1:] if channel.startswith("@") else None
        self._channel = None if self.member else channel
        self.pace = pace
        self.cap = cap
        self._clock = clock
        self._sleep = sleep
        self._last_post: float | None = None

    @property
    def channel(self) -> str:
        """The channel id; for a member, their DM with the bot (im:write)."""
        if self._channel is None:
            assert self.member is not None
            try:
                opened = self.client.conversations_open(users=self.member)
            except SlackApiError as exc:
                if member_gone(exc):
                    raise RecipientGone(f"Slack member {self.member}: {exc.response.get('error')}") from None
                raise
            self._channel = str(opened["channel"]["id"])
        return self._channel

    # --- Poster -------------------------------------------------------------------------
    def find_parent(self, digest: Digest) -> PostedRef | None:
        """The parent this digest already has in the channel (its metadata names the digest)."""
        key = digest_key(digest)
        for message in self._pages("conversations_history", HISTORY_PAGES):
            meta = message.get("metadata") or {}
            if meta.get("event_type") == DIGEST_EVENT and meta.get("event_payload", {}).get("digest") == key:
                return self._ref(message["ts"])
        return None

    def post_parent(self, digest: Digest) -> PostedRef:
        if not digest.channel_name and not self.member:
            digest = dataclasses.replace(digest, channel_name=self._channel_name())
        ts = self._post(parent_message(digest), lambda: self.find_parent(digest))
        return self._ref(ts)

    def existing_entries(self, digest: Digest, parent: PostedRef) -> dict[str, str]:
        """Paper id -> `channel/ts` of the replies already in the thread (from their metadata)."""
        key = digest_key(digest)
        found: dict[str, str] = {}
        thread = parent.thread or ref_ts(parent.message)
        for message in self._pages("conversations_replies", None, ts=thread):
            meta = message.get("metadata") or {}
            payload = meta.get("event_payload") or {}
            if meta.get("event_type") == PAPER_EVENT and payload.get("digest") == key:
                found.setdefault(str(payload.get("paper_id")), message_ref(self.channel, message["ts"]))
        return found

    def post_entry(self, digest: Digest, entry: DigestEntry, parent: PostedRef) -> str:
        args = entry_message(digest, entry)
        thread = parent.thread or ref_ts(parent.message)

        def already() -> PostedRef | None:
            ref = self.existing_entries(digest, parent).get(entry.paper.id)
            return PostedRef(message=ref) if ref else None

        ts = self._post({**args, "thread_ts": thread}, already)
        return message_ref(self.channel, ts)

    # --- helpers ------------------------------------------------------------------------
    def _ref(self, ts: str) -> PostedRef:
        return PostedRef(message=message_ref(self.channel, ts), thread=ts)

    def _post(self, args: dict[str, Any], already: Callable[[], PostedRef | None]) -> str:
        """chat.postMessage, paced; after a lost answer, look before posting again."""
        self._wait_turn()
        try:
            return self._send(args)
        except OSError as exc:  # the request may have reached Slack even though no answer came back
            log.warning("chat.postMessage to %s lost its answer (%s); checking the thread", self.channel, exc)
            found = already()
            if found is not None:
                return ref_ts(found.message)
            return self._send(args)

    def _send(self, args: dict[str, Any]) -> str:
        try:
            response = self.client.chat_postMessage(
                channel=self.channel, unfurl_links=False, unfurl_media=False, **args
            )
        except SlackApiError as exc:
            if self.member and member_gone(exc):
                raise RecipientGone(f"Slack member {self.member}: {exc.response.get('error')}") from None
            raise
        self._last_post = self._clock()
        return str(response["ts"])

    def _wait_turn(self) -> None:
        """The channel's pace first (one message a second), then the workspace's turn."""
        if self._last_post is not None and self.pace > 0:
            wait = self.pace - (self._clock() - self._last_post)
            if wait > 0:
                self._sleep(wait)
        if self.cap is not None:
            self.cap.wait()

    def _pages(self, method: str, max_pages: int | None, **kwargs: Any) -> Iterator[dict[str, Any]]:
        """Every message of conversations.history / .replies, with metadata, page by page."""
        cursor: str | None = None
        pages = 0
        while max_pages is None or pages < max_pages:
            response = self._read(method, cursor=cursor, **kwargs)
            yield from response.get("messages") or []
            cursor = (response.get("response_metadata") or {}).get("next_cursor")
            pages += 1
            if not cursor:
                return

    def _read(self, method: str, **kwargs: Any) -> Any:
        """One page; a public channel the bot posts to via chat:write.public is joined to read it."""
        call = getattr(self.client, method)
        try:
            return call(channel=self.channel, include_all_metadata=True, limit=200, **kwargs)
        except SlackApiError as exc:
            if exc.response.get("error") != "not_in_channel":
                raise
            self.client.conversations_join(channel=self.channel)  # needs channels:join
            return call(channel=self.channel, include_all_metadata=True, limit=200, **kwargs)

    def _channel_name(self) -> str | None:
        """`#ml-papers` for the parent title; needs channels:read, so a failure is not fatal."""
        try:
            info = self.client.conversations_info(channel=self.channel)
        except SlackApiError as exc:
            log.info("conversations.info %s: %s", self.channel, exc.response.get("error"))
            return None
        name = (info.get("channel") or {}).get("name")
        return str(name) if name else None
