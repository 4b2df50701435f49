"""Slack's identifiers in the core's terms: who asked (a `Caller`) and which message (`channel/ts`)."""

from __future__ import annotations

from typing import Any

from bot.models import Caller


def slack_caller(team: object, channel: object, user: object) -> Caller:
    """The Caller for a Slack team, channel and user id (missing ids become "")."""
    return Caller(
        platform="slack", workspace=str(team or ""), channel=str(channel or ""), user=str(user or "")
    )


def command_caller(body: dict[str, Any]) -> Caller:
    """Who ran a slash command, from Slack's form fields."""
    return slack_caller(body.get("team_id"), body.get("channel_id"), body.get("user_id"))


def action_caller(body: dict[str, Any]) -> Caller:
    """Who clicked a button: block_actions carry the team, user and the message's channel."""
    user = body.get("user") or {}
    team = (body.get("team") or {}).get("id") or user.get("team_id")
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
    return slack_caller(team, channel, user.get("id"))


def reaction_caller(body: dict[str, Any]) -> Caller:
    """Who reacted: the event's user, in the channel of the message reacted to."""
    event = body.get("event") or {}
    return slack_caller(body.get("team_id"), (event.get("item") or {}).get("channel"), event.get("user"))


def message_ref(channel: object, ts: object) -> str:
    """How the core names a Slack message (the outbox, saves by reaction): `C0PAPERS/1712.000100`."""
    return f"{channel}/{ts}"


def ref_ts(ref: str) -> str:
    """The message timestamp of a `channel/ts` reference."""
    return ref.rpartition("/")[2]
