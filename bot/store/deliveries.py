"""The outbox: digests, their messages, and the lease that makes one process their poster."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.store.tables import DeliveryRow, DigestRow, PaperRow


@dataclass(frozen=True, slots=True)
class NewDelivery:
    """One match of a digest to record: in the thread, or held for Show more."""

    number: int
    paper_id: str
    tldr: str
    matched_authors: tuple[str, ...]
    in_thread: bool


def get_digest(*, session: Session, channel_key: str, day: dt.date) -> DigestRow | None:
    return session.execute(
        select(DigestRow).where(DigestRow.channel_key == channel_key, DigestRow.date == day)
    ).scalar_one_or_none()


def digest_days(
    *, session: Session, day: dt.date
) -> tuple[dict[str, tuple[dt.date, dt.datetime | None]], set[str]]:
    """For every channel at once: its latest digest before `day` as (day, cutoff), and whether
    it has one on `day`."""
    latest = (
        select(DigestRow.channel_key, func.max(DigestRow.date).label("day"))
        .where(DigestRow.date < day)
        .group_by(DigestRow.channel_key)
        .subquery()
    )
    rows = session.execute(
        select(DigestRow.channel_key, DigestRow.date, DigestRow.cutoff, DigestRow.created_at).join(
            latest, (latest.c.channel_key == DigestRow.channel_key) & (latest.c.day == DigestRow.date)
        )
    )
    previous = {r.channel_key: (r.date, _aware(r.cutoff or r.created_at)) for r in rows}
    today = set(session.execute(select(DigestRow.channel_key).where(DigestRow.date == day)).scalars())
    return previous, today


def _aware(when: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    return when.replace(tzinfo=dt.UTC) if when is not None and when.tzinfo is None else when


def latest_digest_days(*, session: Session) -> dict[str, dt.date]:
    """Every channel's latest digest day."""
    rows = session.execute(
        select(DigestRow.channel_key, func.max(DigestRow.date)).group_by(DigestRow.channel_key)
    )
    return {key: day for key, day in rows.all()}


def posted_by_channel(*, session: Session, ids: Sequence[str]) -> dict[str, set[str]]:
    """For these papers, which channels already hold them in a digest (posted once, ever) —
    directly, or as a journal item that now points at the paper (one paper, two homes)."""
    out: dict[str, set[str]] = {}
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        rows = session.execute(
            select(DeliveryRow.channel_key, DeliveryRow.paper_id).where(DeliveryRow.paper_id.in_(chunk))
        )
        linked = session.execute(
            select(DeliveryRow.channel_key, PaperRow.linked_to.label("paper_id"))
            .join(PaperRow, PaperRow.id == DeliveryRow.paper_id)
            .where(PaperRow.linked_to.in_(chunk))
        )
        for row in [*rows, *linked]:
            out.setdefault(row.channel_key, set()).add(row.paper_id)
    return out


def create_digest(
    *,
    session: Session,
    channel_key: str,
    day: dt.date,
    briefing: str,
    parent_text: str,
    cutoff: dt.datetime,
) -> DigestRow | None:
    """Insert the digest row; None when another process created it first."""
    row = DigestRow(
        channel_key=channel_key,
        date=day,
        state="open",
        briefing=briefing,
        parent_text=parent_text,
        cutoff=cutoff,
        created_at=dt.datetime.now(dt.UTC),
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return None
    return row


def add_deliveries(*, session: Session, digest: DigestRow, items: Sequence[NewDelivery]) -> None:
    """One row per match: `pending` for the thread, `held` for the rest (shown by Show more);
    a paper another digest already holds is skipped by the unique (channel, paper) key. One
    INSERT … ON CONFLICT DO NOTHING: a channel may match hundreds of papers a day."""
    rows = [
        {
            "digest_id": digest.id,
            "channel_key": digest.channel_key,
            "paper_id": item.paper_id,
            "number": item.number,
            "tldr": item.tldr,
            "matched_authors": list(item.matched_authors),
            "state": "pending" if item.in_thread else "held",
        }
        for item in items
    ]
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
    statement = insert(DeliveryRow).on_conflict_do_nothing(index_elements=["channel_key", "paper_id"])
    session.execute(statement, rows)


def deliveries_of(*, session: Session, digest_id: int) -> list[DeliveryRow]:
    return list(
        session.execute(
            select(DeliveryRow).where(DeliveryRow.digest_id == digest_id).order_by(DeliveryRow.number)
        ).scalars()
    )


def take_lease(
    *, session: Session, digest_id: int, owner: str, ttl: dt.timedelta, steal_from: str | None
) -> bool:
    """Atomically become the digest's poster: free, expired, ours, or a dead owner's lease."""
    now = dt.datetime.now(dt.UTC)
    conds = [DigestRow.lease_owner.is_(None), DigestRow.lease_until < now, DigestRow.lease_owner == owner]
    if steal_from:
        conds.append(DigestRow.lease_owner == steal_from)
    result = session.execute(
        update(DigestRow)
        .where(DigestRow.id == digest_id, DigestRow.state == "open", or_(*conds))
        .values(lease_owner=owner, lease_until=now + ttl)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def release_lease(*, session: Session, digest_id: int, owner: str, done: bool) -> None:
    values: dict[str, object] = {"lease_owner": None, "lease_until": None}
    if done:
        values["state"] = "done"
    session.execute(
        update(DigestRow).where(DigestRow.id == digest_id, DigestRow.lease_owner == owner).values(**values)
    )


def lease_owner(*, session: Session, digest_id: int) -> str | None:
    return session.execute(
        select(DigestRow.lease_owner).where(DigestRow.id == digest_id)
    ).scalar_one_or_none()


def record_parent(*, session: Session, digest_id: int, parent_ref: str, thread_ref: str | None) -> None:
    session.execute(
        update(DigestRow)
        .where(DigestRow.id == digest_id)
        .values(parent_ref=parent_ref, thread_ref=thread_ref)
    )


def record_sent(*, session: Session, delivery_id: int, message_ref: str | None) -> None:
    session.execute(
        update(DeliveryRow)
        .where(DeliveryRow.id == delivery_id)
        .values(state="sent", message_ref=message_ref, sent_at=dt.datetime.now(dt.UTC))
    )


def find_delivery_by_message(*, session: Session, message_ref: str) -> DeliveryRow | None:
    """The paper message a reaction or button points at."""
    return session.execute(
        select(DeliveryRow).where(DeliveryRow.message_ref == message_ref).limit(1)
    ).scalar_one_or_none()


def recorded_parent(*, session: Session, digest_id: int) -> tuple[str, str | None] | None:
    """The recorded parent message of a digest as (message id, thread id), or None."""
    row = session.execute(
        select(DigestRow.parent_ref, DigestRow.thread_ref).where(DigestRow.id == digest_id)
    ).one_or_none()
    if row is None or row.parent_ref is None:
        return None
    return row.parent_ref, row.thread_ref


def latest_overflowing_digest(*, session: Session, channel_key: str) -> DigestRow | None:
    """The channel's newest posted digest that has matches beyond its thread (held rows)."""
    held = select(DeliveryRow.digest_id).where(
        DeliveryRow.channel_key == channel_key, DeliveryRow.state == "held"
    )
    return session.execute(
        select(DigestRow)
        .where(
            DigestRow.channel_key == channel_key, DigestRow.parent_ref.is_not(None), DigestRow.id.in_(held)
        )
        .order_by(DigestRow.date.desc(), DigestRow.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def get_digest_by_id(*, session: Session, digest_id: int) -> DigestRow | None:
    return session.get(DigestRow, digest_id)


def thread_size(*, session: Session, digest_id: int) -> int:
    """How many of the digest's matches went into its thread (the rest are held)."""
    return int(
        session.execute(
            select(func.count())
            .select_from(DeliveryRow)
            .where(DeliveryRow.digest_id == digest_id, DeliveryRow.state != "held")
        ).scalar_one()
    )
