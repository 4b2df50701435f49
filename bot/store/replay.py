"""Requests already seen (Slack's signed requests), shared by every process through the database."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, DateTime, MetaData, String, Table, delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

# Its own metadata: the table is created by migration 0007, like every other, and nothing
# else joins it.
replays = Table(
    "slack_replays",
    MetaData(),
    Column("key", String(200), primary_key=True),
    Column("seen_at", DateTime(timezone=True), nullable=False),
)

# Slack accepts a timestamp up to 5 minutes old (either way); twice that is kept.
KEEP = dt.timedelta(minutes=10)


def first_sight(*, session: Session, key: str, now: dt.datetime) -> bool:
    """Record `key`; True the first time it is seen, False for a replay (in any process)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(delete(replays).where(replays.c.seen_at < now - KEEP))
    result = session.execute(
        insert(replays).values(key=key[:200], seen_at=now).on_conflict_do_nothing(index_elements=["key"])
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
