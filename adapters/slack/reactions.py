"""Saves: a 🔖 reaction on a digest reply, or its Save button; link buttons are only acked."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from adapters.slack.refs import action_caller, message_ref, reaction_caller
from adapters.slack.render import LINK_ACTION_PREFIX, SAVE_ACTION, UNSAVE_ACTION, escape, save_button
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


def button_save(
    engine: Engine, caller: Caller, paper_id: str, saved: bool, clicked_at: dt.datetime | None = None
) -> dict[str, Any]:
    """The Save / Remove buttons: set the state the button names (a replayed click changes
    nothing) and answer with the opposite button, to undo."""
    paper = engine.show(paper_id)
    if paper is None:
        return {"text": f"`{escape(paper_id)}` is no longer in the store, so it cannot be saved."}
    state = engine.save(caller, paper.id, saved, event_at=clicked_at)
    verb = "Saved to" if state else "Removed from"
    text = f"{verb} your reading list: {escape(paper.title)} · `/papers saved`"
    undo = {"type": "actions", "elements": [save_button(paper.id, unsave=state)]}
    return {"text": text, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}, undo]}


def click_time(body: dict[str, Any]) -> dt.datetime | None:
    """When the button was clicked (action_ts), so that the later of two clicks wins."""
    action = (body.get("actions") or [{}])[0]
    try:
        return dt.datetime.fromtimestamp(float(action["action_ts"]), dt.UTC)
    except (KeyError, TypeError, ValueError):
        return None


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

    async def on_click(body: dict[str, Any], respond: AsyncRespond, saved: bool) -> None:
        paper_id = str((body.get("actions") or [{}])[0].get("value") or "")
        caller, at = action_caller(body), click_time(body)
        message = await asyncio.to_thread(button_save, engine, caller, paper_id, saved, at)
        await respond(**message, response_type="ephemeral", replace_original=False)

    @app.action(SAVE_ACTION)
    async def save_clicked(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        await on_click(body, respond, True)

    @app.action(UNSAVE_ACTION)
    async def unsave_clicked(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        await on_click(body, respond, False)

    @app.action(re.compile(f"^{LINK_ACTION_PREFIX}"))
    async def link_button(ack: AsyncAck) -> None:
        await ack()  # the browser opens the URL; Slack still expects the click to be acknowledged
