"""Read-only views for the lab page: a channel's archive of recorded digests, and a store marker."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.store.tables import DeliveryRow, DigestRow, PaperRow, SaveRow


def digest_archive(*, session: Session, channel_key: str, limit: int = 60) -> list[tuple[dt.date, int]]:
    """The channel's recorded digests, newest first, as (day, number of papers)."""
    rows = session.execute(
        select(DigestRow.date, func.count(DeliveryRow.id))
        .outerjoin(DeliveryRow, DeliveryRow.digest_id == DigestRow.id)
        .where(DigestRow.channel_key == channel_key)
        .group_by(DigestRow.id, DigestRow.date)
        .order_by(DigestRow.date.desc())
        .limit(limit)
    )
    return [(day, count) for day, count in rows.all()]


def store_marker(*, session: Session) -> tuple[object, ...]:
    """Changes whenever papers arrive, a digest is recorded or someone saves: what a cached
    radar pick depends on (three index or small-table reads)."""
    return (
        session.execute(select(func.max(PaperRow.pk))).scalar(),
        session.execute(select(func.max(DigestRow.id))).scalar(),
        tuple(session.execute(select(func.max(SaveRow.event_at), func.count())).one()),
    )
