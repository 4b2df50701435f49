"""`/papers` and the "Show more" button: ack at once, then answer through response_url."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.refs import action_caller, command_caller
from adapters.slack.render import DIGEST_MORE_ACTION, MORE_ACTION, escape, reply_message, unescape
from bot.engine import Engine
from bot.models import INTERNAL_ERROR, Caller, Reply

log = logging.getLogger(__name__)


async def send_reply(reply: Reply, caller: Caller, respond: AsyncRespond, client: AsyncWebClient) -> None:
    """A Reply as a response_url message (ephemeral unless shared); a file goes to the user's DM."""
    if reply.attachment is not None:
        reply = await _upload(reply, caller, client)
    await respond(
        **reply_message(reply),
        response_type="ephemeral" if reply.ephemeral else "in_channel",
        replace_original=False,
        unfurl_links=False,
        unfurl_media=False,
    )


async def _upload(reply: Reply, caller: Caller, client: AsyncWebClient) -> Reply:
    """files_upload_v2 into the DM with the caller; the reply becomes a short note about it."""
    attachment = reply.attachment
    assert attachment is not None
    try:
        opened = await client.conversations_open(users=caller.user)
        dm = opened["channel"]["id"]
        await client.files_upload_v2(
            channel=dm,
            filename=attachment.filename,
            title=attachment.filename,
            content=attachment.content,
            initial_comment=escape(reply.text),
        )
    except SlackApiError as exc:
        log.warning("export upload for %s failed: %s", caller, exc.response.get("error"))
        return Reply(text=f"Could not send {attachment.filename}: Slack said {exc.response.get('error')}.")
    return Reply(text=f"Sent `{attachment.filename}` to you in a direct message from AcademicHub.")


async def with_admin(caller: Caller, text: str, engine: Engine, client: Any) -> Caller:
    """Mark workspace admins and owners (users.info) when the command changes the channel."""
    if not engine.requires_admin(text):
        return caller
    try:
        user = (await client.users_info(user=caller.user)).get("user") or {}
    except SlackApiError as exc:
        log.info("users.info %s: %s", caller.user, exc.response.get("error"))
        return caller
    return dataclasses.replace(caller, admin=bool(user.get("is_admin") or user.get("is_owner")))


async def announce(reply: Reply, caller: Caller, client: Any) -> None:
    """A change to the channel's radar or schedule, posted for everyone in the channel."""
    if not reply.announcement:
        return
    try:
        await client.chat_postMessage(
            channel=caller.channel,
            text=f"<@{caller.user}>: {escape(reply.announcement)}",
            unfurl_links=False,
            unfurl_media=False,
        )
    except SlackApiError as exc:
        log.warning("announcing a change in %s failed: %s", caller.channel, exc.response.get("error"))


async def answer(
    engine: Engine,
    text: str,
    caller: Caller,
    respond: AsyncRespond,
    client: Any,
    follow_ups: Executor | None = None,
) -> None:
    """Run the text through the core's one grammar (off the event loop) and send the answer;
    then a channel change's announcement, and a live look-up's follow-up — on threads of its
    own, so that slow look-ups never hold up anyone's first answer."""
    try:
        caller = await with_admin(caller, text, engine, client)
        reply = await asyncio.to_thread(engine.handle, text, caller)
        await send_reply(reply, caller, respond, client)
        await announce(reply, caller, client)
        if reply.follow_up is not None:
            loop = asyncio.get_running_loop()
            more = await loop.run_in_executor(follow_ups, engine.follow_up, reply.follow_up)
            if more is not None:
                more.ephemeral = reply.ephemeral
                await send_reply(more, caller, respond, client)
    except Exception:  # the user has been acked already; they must still hear back
        log.exception("/papers %r for %s failed", text[:200], caller)
        await respond(text=INTERNAL_ERROR, response_type="ephemeral", replace_original=False)


def register(app: AsyncApp, engine: Engine) -> None:
    """The slash command and the Show-more button."""
    follow_ups = ThreadPoolExecutor(max_workers=8, thread_name_prefix="slack-follow-up")

    @app.command("/papers")
    async def papers_command(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: Any) -> None:
        await ack()  # first: Slack gives up after 3 s, and a search may take longer under load
        text = unescape(str(body.get("text") or "")).strip()
        await answer(engine, text, command_caller(body), respond, client, follow_ups)

    @app.action(MORE_ACTION)
    async def show_more(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: Any) -> None:
        await ack()
        await answer(engine, "more", action_caller(body), respond, client)

    @app.action(DIGEST_MORE_ACTION)
    async def digest_more(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: Any) -> None:
        await ack()
        value = str((body.get("actions") or [{}])[0].get("value") or "")
        caller = action_caller(body)
        if not value.isdigit():
            await respond(
                text="That button carries no digest.", response_type="ephemeral", replace_original=False
            )
            return
        reply = await asyncio.to_thread(engine.more_of_digest, caller, int(value))
        await send_reply(reply, caller, respond, client)
