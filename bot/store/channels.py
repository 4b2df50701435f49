"""Channels and their radars: the database is the truth once a channel exists."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.store.tables import ChannelRow, RadarRuleRow


def get_channel(*, session: Session, key: str) -> ChannelRow | None:
    return session.get(ChannelRow, key)


def channel_language(*, session: Session, key: str) -> str | None:
    """The channel's language (None when it has none, or there is no such channel)."""
    return session.execute(select(ChannelRow.language).where(ChannelRow.key == key)).scalar()


def list_channels(*, session: Session) -> list[ChannelRow]:
    return list(session.execute(select(ChannelRow).order_by(ChannelRow.key)).scalars())


def ensure_channel(*, session: Session, key: str, platform: str, name: str | None = None) -> ChannelRow:
    """The channel row, created on first use with no radar and no schedule."""
    row = session.get(ChannelRow, key)
    if row is None:
        row = ChannelRow(
            key=key,
            platform=platform,
            name=name,
            timezone="UTC",
            include_replacements=False,
            created_at=dt.datetime.now(dt.UTC),
        )
        session.add(row)
        session.flush()
    return row


def radar_rules(*, session: Session, key: str) -> list[tuple[str, str]]:
    """The channel's (kind, value) rules in the order they were added."""
    rows = session.execute(
        select(RadarRuleRow.kind, RadarRuleRow.value)
        .where(RadarRuleRow.channel_key == key)
        .order_by(RadarRuleRow.id)
    )
    return [(r.kind, r.value) for r in rows]


def all_radar_rules(*, session: Session) -> dict[str, list[tuple[str, str]]]:
    """Every channel's rules in one query, in the order they were added."""
    out: dict[str, list[tuple[str, str]]] = {}
    rows = session.execute(
        select(RadarRuleRow.channel_key, RadarRuleRow.kind, RadarRuleRow.value).order_by(RadarRuleRow.id)
    )
    for row in rows:
        out.setdefault(row.channel_key, []).append((row.kind, row.value))
    return out


def add_rule(*, session: Session, key: str, kind: str, value: str) -> bool:
    """Add a rule; False when the channel already had it. `include:replacements` also turns on
    the channel's replacements flag."""
    if kind == "include":
        channel = session.get(ChannelRow, key)
        if channel is not None:
            channel.include_replacements = True
    exists = session.execute(
        select(RadarRuleRow.id).where(
            RadarRuleRow.channel_key == key, RadarRuleRow.kind == kind, RadarRuleRow.value == value
        )
    ).first()
    if exists:
        return False
    try:
        with session.begin_nested():
            session.add(RadarRuleRow(channel_key=key, kind=kind, value=value))
    except IntegrityError:
        return False
    return True


def remove_rule(*, session: Session, key: str, index: int) -> tuple[str, str] | None:
    """Remove the index-th rule (1-based, as `/papers radar` numbers them)."""
    rows = list(
        session.execute(
            select(RadarRuleRow).where(RadarRuleRow.channel_key == key).order_by(RadarRuleRow.id)
        ).scalars()
    )
    if not 1 <= index <= len(rows):
        return None
    row = rows[index - 1]
    session.execute(delete(RadarRuleRow).where(RadarRuleRow.id == row.id))
    return row.kind, row.value
