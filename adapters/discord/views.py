"""Interactions shared by commands and buttons: who asked, how to answer, and the persistent buttons.

Buttons outlive the process: the Save button is a `DynamicItem` whose custom_id carries the
paper id, and "Show more" is a persistent view with a fixed custom_id, so both work for
messages posted before a restart.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

import discord
import tenacity

from adapters.discord.render import (
    DIGEST_MORE_PREFIX,
    EMBEDS_PER_REPLY,
    MORE_ID,
    SAVE_BY_MESSAGE,
    plain,
    reply_content,
    reply_embeds,
    save_custom_id,
)
from bot.models import Caller, Reply

if TYPE_CHECKING:
    from bot.engine import Engine

log = logging.getLogger(__name__)

Interaction = discord.Interaction[Any]
T = TypeVar("T")

WRITE_ATTEMPTS = 3


def engine_of(client: discord.Client) -> Engine:
    """The engine the bot was built with (create_bot puts it there)."""
    return cast("Engine", client.engine)  # type: ignore[attr-defined]


async def save_write(client: discord.Client, fn: Callable[..., T], *args: Any) -> T:
    """Run a reading-list write in a worker thread, one at a time, retried when the store is busy.

    SQLite refuses a second writer that started its transaction as a reader ("database is
    locked") instead of waiting; two people reacting at once must not lose a save. Saves are
    keyed by (workspace, user, paper) with the event time, and a failed try rolled back, so a
    retry cannot apply twice.
    """
    lock: asyncio.Lock = client.write_lock  # type: ignore[attr-defined]
    async with lock:
        async for attempt in _write_retries():
            with attempt:
                return await asyncio.to_thread(fn, *args)
    raise AssertionError("unreachable")  # reraise=True: the last failure propagates


def _write_retries() -> tenacity.AsyncRetrying:
    """WRITE_ATTEMPTS tries, 0.2 s then 0.4 s apart, the last failure raised as it was."""
    return tenacity.AsyncRetrying(
        stop=tenacity.stop_after_attempt(WRITE_ATTEMPTS),
        wait=tenacity.wait_incrementing(start=0.2, increment=0.2),
        before_sleep=lambda state: log.warning(
            "save failed (attempt %d), retrying",
            state.attempt_number,
            exc_info=state.outcome.exception() if state.outcome else None,
        ),
        reraise=True,
    )


async def parent_channel_id(client: discord.Client, channel_id: int) -> int:
    """A thread's parent channel (radars and saves belong to the channel), else the channel itself."""
    channel: Any = client.get_channel(channel_id)
    if channel is None:
        try:
            channel = await client.fetch_channel(channel_id)
        except discord.HTTPException:
            return channel_id
    if isinstance(channel, discord.Thread) and channel.parent_id:
        return channel.parent_id
    return channel_id


async def caller_for(interaction: Interaction) -> Caller:
    """The platform-neutral caller of an interaction."""
    channel_id = interaction.channel_id or 0
    if isinstance(interaction.channel, discord.Thread) and interaction.channel.parent_id:
        channel_id = interaction.channel.parent_id
    elif not isinstance(interaction.channel, discord.TextChannel):
        channel_id = await parent_channel_id(interaction.client, channel_id)
    permissions = getattr(interaction, "permissions", None)
    return Caller(
        platform="discord",
        workspace=str(interaction.guild_id or "dm"),
        channel=str(channel_id),
        user=str(interaction.user.id),
        admin=bool(permissions and permissions.manage_channels),
    )


def reply_view(reply: Reply) -> discord.ui.View | None:
    """Save buttons for the answer's papers and, when there is more, "Show more"."""
    view = discord.ui.View(timeout=None)
    if len(reply.papers) <= EMBEDS_PER_REPLY:
        for number, paper in enumerate(reply.papers, start=reply.first_number):
            # An answer is no digest message, so a paper id too long for a custom_id gets no button.
            if not save_custom_id(paper.id).endswith(SAVE_BY_MESSAGE):
                view.add_item(SaveButton(paper.id, label=f"Save {number}"))
    if reply.has_more:
        view.add_item(MoreButton(row=1))
    return view if view.children else None


async def send_reply(interaction: Interaction, reply: Reply) -> None:
    """The core's Reply as a followup: text, embeds, buttons and the export file."""
    kwargs: dict[str, Any] = {
        "content": reply_content(reply),
        "embeds": reply_embeds(reply),
        "ephemeral": reply.ephemeral,
        "allowed_mentions": discord.AllowedMentions.none(),
    }
    view = reply_view(reply)
    if view is not None:
        kwargs["view"] = view
    if reply.attachment is not None:
        attachment = reply.attachment
        kwargs["file"] = discord.File(io.BytesIO(attachment.content), filename=attachment.filename)
    await interaction.followup.send(**kwargs)


async def answer(interaction: Interaction, text: str, share: bool = False) -> None:
    """Defer at once (Discord allows 3 s), run the `/papers` text through the core, follow up."""
    await interaction.response.defer(ephemeral=not share, thinking=True)
    if share:
        text += " --share"
    engine = engine_of(interaction.client)
    caller = await caller_for(interaction)
    reply = await asyncio.to_thread(engine.handle, text, caller)
    await send_reply(interaction, reply)
    if reply.announcement:  # a change to the channel's radar or schedule: everyone sees it
        await interaction.followup.send(
            f"<@{caller.user}>: {plain(reply.announcement)}",
            ephemeral=False,
            allowed_mentions=discord.AllowedMentions.none(),
        )
    if reply.follow_up is not None:  # the live arXiv look-up, after the answer from the store
        more = await asyncio.to_thread(engine.follow_up, reply.follow_up)
        if more is not None:
            more.ephemeral = reply.ephemeral
            await send_reply(interaction, more)


class SaveButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"academichub:(?P<action>save|unsave):(?P<paper>.+)",
):
    """The Save button under a paper, or the Remove button under a save's confirmation: each
    does what it shows (never a toggle), so a repeated or replayed click changes nothing."""

    def __init__(self, paper_id: str, label: str = "Save", *, unsave: bool = False) -> None:
        custom_id = save_custom_id(paper_id)
        if unsave:
            custom_id = custom_id.replace("academichub:save:", "academichub:unsave:", 1)
        super().__init__(
            discord.ui.Button(
                label=label,
                emoji=None if unsave else "🔖",
                style=discord.ButtonStyle.secondary,
                custom_id=custom_id,
            )
        )
        self.paper_id = paper_id
        self.unsave = unsave

    @classmethod
    async def from_custom_id(
        cls, interaction: Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> SaveButton:
        label = getattr(item, "label", None) or "Save"
        return cls(match["paper"], label=label, unsave=match["action"] == "unsave")

    async def callback(self, interaction: Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        engine = engine_of(interaction.client)
        paper_id: str | None = self.paper_id
        if paper_id == SAVE_BY_MESSAGE and interaction.message is not None:
            paper_id = await asyncio.to_thread(engine.paper_for_message, str(interaction.message.id))
        if not paper_id:
            await interaction.followup.send("That message carries no paper I know.", ephemeral=True)
            return
        caller = await caller_for(interaction)
        clicked = interaction.created_at  # the later of two clicks wins, as with reactions
        saved = await save_write(interaction.client, engine.save, caller, paper_id, not self.unsave, clicked)
        verb = "Saved" if saved else "Removed"
        place = "to" if saved else "from"
        undo = discord.ui.View(timeout=None)
        undo.add_item(SaveButton(paper_id, label="Remove" if saved else "Save", unsave=saved))
        await interaction.followup.send(
            f"{verb} `{plain(paper_id)}` {place} your reading list · `/papers saved`",
            ephemeral=True,
            view=undo,
            allowed_mentions=discord.AllowedMentions.none(),
        )


class MoreButton(discord.ui.Button[Any]):
    """ "Show more": the next batch of the clicker's last answer, like `/papers more`."""

    def __init__(self, row: int | None = None) -> None:
        super().__init__(label="Show more", style=discord.ButtonStyle.primary, custom_id=MORE_ID, row=row)

    async def callback(self, interaction: Interaction) -> None:
        await answer(interaction, "more")


class DigestMoreButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=DIGEST_MORE_PREFIX + r"(?P<digest>\d+)"
):
    """Show more under a digest's parent: the clicker's next 5 of the matches beyond the thread."""

    def __init__(self, digest_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Show more",
                style=discord.ButtonStyle.primary,
                custom_id=f"{DIGEST_MORE_PREFIX}{digest_id}",
            )
        )
        self.digest_id = digest_id

    @classmethod
    async def from_custom_id(
        cls, interaction: Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> DigestMoreButton:
        return cls(int(match["digest"]))

    async def callback(self, interaction: Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        engine = engine_of(interaction.client)
        caller = await caller_for(interaction)
        reply = await asyncio.to_thread(engine.more_of_digest, caller, self.digest_id)
        await send_reply(interaction, reply)


class MoreView(discord.ui.View):
    """The persistent view that routes every `academichub:more` click after a restart."""

    def __init__(self) -> None:
        super().__init__(timeout=None)
        self.add_item(MoreButton())


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
