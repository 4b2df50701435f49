"""Small pieces of state: conditional-GET validators, LLM token usage, TL;DR cache, query cursors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.store.tables import CursorRow, FetchState, LlmUsageRow, SummaryRow


def _on_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _insert(session: Session, table: Any) -> Any:
    """The dialect's INSERT with ON CONFLICT support."""
    return pg_insert(table) if _on_postgres(session) else sqlite_insert(table)


def _without_waiting_for_the_disk(session: Session) -> None:
    """This transaction writes only what can be made again (a TL;DR cache entry, where
    `/papers more` goes on): on PostgreSQL its commit does not wait for the WAL to reach the
    disk (a crash may lose the last ~0.2 s of such writes, never corrupts anything). Every
    `/papers` answer writes its cursor, and the first showing of a paper its TL;DR: each
    commit waited for the WAL's flush (1–2 ms on a quiet local disk, 9 ms measured during a
    bulk load, more on network storage). SQLite's WAL with synchronous=NORMAL already does
    not sync at commit. Never for deliveries or saves."""
    if _on_postgres(session):
        session.execute(text("SET LOCAL synchronous_commit = off"))


def get_fetch_state(*, session: Session, source: str) -> FetchState | None:
    return session.get(FetchState, source)


def put_fetch_state(
    *, session: Session, source: str, etag: str | None, last_modified: str | None, status: str
) -> None:
    """Remember the validators of the last successful fetch of a source."""
    row = session.get(FetchState, source)
    now = dt.datetime.now(dt.UTC)
    if row is None:
        session.add(
            FetchState(source=source, etag=etag, last_modified=last_modified, fetched_at=now, status=status)
        )
    else:
        row.etag, row.last_modified, row.fetched_at, row.status = etag, last_modified, now, status


def tokens_used(*, session: Session, day: dt.date) -> int:
    row = session.get(LlmUsageRow, day)
    return row.tokens if row else 0


def add_tokens(*, session: Session, day: dt.date, tokens: int) -> None:
    """Add to the day's token count atomically (several processes may spend at once)."""
    stmt = _insert(session, LlmUsageRow).values(day=day, tokens=tokens, requests=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=["day"],
        set_={"tokens": LlmUsageRow.tokens + tokens, "requests": LlmUsageRow.requests + 1},
    )
    session.execute(stmt)


def get_summaries(*, session: Session, ids: Sequence[str], key: str, language: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for start in range(0, len(ids), 500):
        rows = session.execute(
            select(SummaryRow.paper_id, SummaryRow.text).where(
                SummaryRow.paper_id.in_(ids[start : start + 500]),
                SummaryRow.cache_key == key,
                SummaryRow.language == language,
            )
        )
        out.update({r.paper_id: r.text for r in rows})
    return out


def put_summaries(*, session: Session, items: Mapping[str, str], key: str, language: str) -> None:
    """Store TL;DRs; a concurrent writer's identical row is kept (first one wins)."""
    if not items:
        return
    _without_waiting_for_the_disk(session)
    now = dt.datetime.now(dt.UTC)
    stmt = _insert(session, SummaryRow).on_conflict_do_nothing()
    session.execute(
        stmt,
        [
            {"paper_id": pid, "cache_key": key, "language": language, "text": tldr, "created_at": now}
            for pid, tldr in items.items()
        ],
    )


def get_cursor(*, session: Session, user_key: str, channel_key: str) -> CursorRow | None:
    return session.get(CursorRow, (user_key, channel_key))


def put_cursor(
    *,
    session: Session,
    user_key: str,
    channel_key: str,
    query: str,
    offset: int,
    digest_id: int | None = None,
) -> None:
    """Remember the caller's query (or the digest they are paging through) and how far
    `/papers more` has gone."""
    _without_waiting_for_the_disk(session)
    now = dt.datetime.now(dt.UTC)
    values = {"query": query, "offset": offset, "digest_id": digest_id, "updated_at": now}
    # One statement (every `/papers` answer writes it): a read then a write was two round
    # trips and the ORM's identity map on the reply's path.
    stmt = _insert(session, CursorRow).values(user_key=user_key, channel_key=channel_key, **values)
    session.execute(stmt.on_conflict_do_update(index_elements=["user_key", "channel_key"], set_=values))
