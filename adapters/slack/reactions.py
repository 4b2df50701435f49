"""Saves: a 🔖 reaction on a digest reply, or its Save button; link buttons are only acked."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from adapters.slack.refs import action_caller, message_ref, reaction_caller
from adapters.slack.render import LINK_ACTION_PREFIX, SAVE_ACTION, escape
from bot.engine import Engine
from bot.models import Caller

log = logging.getLogger(__name__)


def event_time(event: dict[str, Any]) -> dt.datetime | None:
    """When the user reacted (event_ts), so that the latest of two racing events wins."""
    try:
        return dt.datetime.fromtimestamp(float(event["event_ts"]), dt.UTC)
    except (KeyError, TypeError, ValueError):
        return None


def reaction_save(engine: Engine, body: dict[str, Any], saved: bool) -> bool | None:
    """Apply one reaction event; None when it is not a save reaction on a digest paper."""
    event = body.get("event") or {}
    item = event.get("item") or {}
    if event.get("reaction") not in engine.settings.reaction_names or item.get("type") != "message":
        return None
    paper_id = engine.paper_for_message(message_ref(item.get("channel"), item.get("ts")))
    if paper_id is None:
        return None
    return engine.save(reaction_caller(body), paper_id, saved, event_at=event_time(event))


def toggle_save(engine: Engine, caller: Caller, paper_id: str) -> str:
    """The Save button: flip the caller's save and say what the state is now."""
    paper = engine.show(paper_id)
    if paper is None:
        return f"`{escape(paper_id)}` is no longer in the store, so it cannot be saved."
    state = engine.toggle_save(caller, paper.id)
    verb = "Saved to" if state else "Removed from"
    return f"{verb} your reading list: {escape(paper.title)} · `/papers saved`"


def register(app: AsyncApp, engine: Engine) -> None:
    """Reaction events, the Save button, and the link buttons."""

    # Events are acked by Bolt before these run, retries included (X-Slack-Retry-Num): a save is
    # idempotent by (workspace, user, paper) and the latest event_ts wins, so a retry changes nothing.
    @app.event("reaction_added")
    async def reaction_added(body: dict[str, Any]) -> None:
        await asyncio.to_thread(reaction_save, engine, body, True)

    @app.event("reaction_removed")
    async def reaction_removed(body: dict[str, Any]) -> None:
        await asyncio.to_thread(reaction_save, engine, body, False)

    @app.action(SAVE_ACTION)
    async def save_button(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        paper_id = str((body.get("actions") or [{}])[0].get("value") or "")
        text = await asyncio.to_thread(toggle_save, engine, action_caller(body), paper_id)
        await respond(text=text, response_type="ephemeral", replace_original=False)

    @app.action(re.compile(f"^{LINK_ACTION_PREFIX}"))
    async def link_button(ack: AsyncAck) -> None:
        await ack()  # the browser opens the URL; Slack still expects the click to be acknowledged
