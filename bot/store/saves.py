"""Reading lists: one row per (workspace, user, paper); the latest event decides."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.store.tables import PaperRow, SaveRow


def set_saved(
    *,
    session: Session,
    workspace: str,
    user: str,
    paper_id: str,
    saved: bool,
    event_at: dt.datetime,
    channel_key: str | None = None,
) -> bool:
    """Apply a save/unsave unless a later event already decided; returns the resulting state.

    Out-of-order and repeated deliveries (Slack retries, a reaction and a button press
    racing) therefore always end in the state of the user's last action.
    """
    key = (workspace, user, paper_id)
    row = session.get(SaveRow, key, with_for_update=True)
    if row is None:
        try:
            with session.begin_nested():
                session.add(
                    SaveRow(
                        workspace=workspace,
                        user=user,
                        paper_id=paper_id,
                        saved=saved,
                        channel_key=channel_key,
                        event_at=event_at,
                    )
                )
            return saved
        except IntegrityError:  # a concurrent event inserted first: fall through to compare
            row = session.get(SaveRow, key, with_for_update=True, populate_existing=True)
            assert row is not None
    stored_at = row.event_at if row.event_at.tzinfo else row.event_at.replace(tzinfo=dt.UTC)
    if event_at >= stored_at:
        session.execute(
            update(SaveRow)
            .where(SaveRow.workspace == workspace, SaveRow.user == user, SaveRow.paper_id == paper_id)
            .values(saved=saved, event_at=event_at, channel_key=channel_key or row.channel_key)
        )
        return saved
    return row.saved


def is_saved(*, session: Session, workspace: str, user: str, paper_id: str) -> bool:
    row = session.get(SaveRow, (workspace, user, paper_id))
    return bool(row and row.saved)


def saved_paper_ids(*, session: Session, workspace: str | None, user: str) -> list[str]:
    """The user's saved papers, oldest save first (stable export order)."""
    query = select(SaveRow.paper_id).where(SaveRow.user == user, SaveRow.saved.is_(True))
    if workspace is not None:
        query = query.where(SaveRow.workspace == workspace)
    return list(dict.fromkeys(session.execute(query.order_by(SaveRow.event_at, SaveRow.paper_id)).scalars()))


def users_matching(*, session: Session, user: str) -> list[tuple[str, str]]:
    """(workspace, user) pairs known for a bare user id, to resolve `export --user U`."""
    rows = session.execute(select(SaveRow.workspace, SaveRow.user).where(SaveRow.user == user).distinct())
    return [(r.workspace, r.user) for r in rows]


def channels_with_saves(*, session: Session) -> set[str]:
    """Channels whose members saved something from their threads."""
    rows = session.execute(select(SaveRow.channel_key).where(SaveRow.saved.is_(True)).distinct())
    return {key for key in rows.scalars() if key}


def channel_saved_ids(*, session: Session, channel_key: str, limit: int = 500) -> list[str]:
    """What members saved from this channel's threads (for the lab-interest model)."""
    rows = session.execute(
        select(SaveRow.paper_id)
        .where(SaveRow.channel_key == channel_key, SaveRow.saved.is_(True))
        .order_by(SaveRow.event_at.desc())
        .limit(limit)
    )
    return list(dict.fromkeys(rows.scalars()))


def savers_to_notify(*, session: Session) -> list[tuple[SaveRow, int]]:
    """Saves whose paper has a newer version than the one the saver was last told about."""
    rows = session.execute(
        select(SaveRow, PaperRow.version)
        .join(PaperRow, PaperRow.id == SaveRow.paper_id)
        .where(SaveRow.saved.is_(True), PaperRow.version.is_not(None))
    ).all()
    out: list[tuple[SaveRow, int]] = []
    for save, version in rows:
        if version is not None and save.notified_version is not None and version > save.notified_version:
            out.append((save, version))
    return out


def _baseline(session: Session, key: tuple[str, str, str], column: str, value: Any) -> None:
    """Set a notice column of a save when it is not set yet (what the saver knew at saving)."""
    workspace, user, paper_id = key
    session.execute(
        update(SaveRow)
        .where(
            SaveRow.workspace == workspace,
            SaveRow.user == user,
            SaveRow.paper_id == paper_id,
            getattr(SaveRow, column).is_(None),
        )
        .values({column: value})
    )


def baseline_version(*, session: Session, workspace: str, user: str, paper_id: str, version: int) -> None:
    """Set the version a saver already knows, when not set yet."""
    _baseline(session, (workspace, user, paper_id), "notified_version", version)


def _swap(session: Session, key: tuple[str, str, str], column: str, value: Any) -> Any:
    """Set one notice column of a save; returns what it held (None when there is no save)."""
    row = session.get(SaveRow, key, with_for_update=True)
    if row is None:
        return None
    previous = getattr(row, column)
    workspace, user, paper_id = key
    session.execute(
        update(SaveRow)
        .where(SaveRow.workspace == workspace, SaveRow.user == user, SaveRow.paper_id == paper_id)
        .values({column: value})
    )
    return previous


def mark_notified(
    *, session: Session, workspace: str, user: str, paper_id: str, version: int | None
) -> int | None:
    """Record the version the saver has been told about; returns the previous value."""
    previous: int | None = _swap(session, (workspace, user, paper_id), "notified_version", version)
    return previous


def savers_to_tell_of_journals(*, session: Session) -> list[tuple[SaveRow, str]]:
    """Saves of a paper that now names its journal, whose saver has not been told of it."""
    rows = session.execute(
        select(SaveRow, PaperRow.journal)
        .join(PaperRow, PaperRow.id == SaveRow.paper_id)
        .where(SaveRow.saved.is_(True), PaperRow.journal.is_not(None), SaveRow.journal_notified.is_(None))
    ).all()
    return [(save, journal) for save, journal in rows if journal]


def mark_journal_notified(
    *, session: Session, workspace: str, user: str, paper_id: str, journal: str | None
) -> str | None:
    """Record the journal the saver has been told of; returns the previous value."""
    previous: str | None = _swap(session, (workspace, user, paper_id), "journal_notified", journal)
    return previous


def baseline_journal(*, session: Session, workspace: str, user: str, paper_id: str, journal: str) -> None:
    """A saver who saved a paper that already names its journal needs no notice of it."""
    _baseline(session, (workspace, user, paper_id), "journal_notified", journal)
