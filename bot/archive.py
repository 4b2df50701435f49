"""The stored papers and each caller's place in an answer: the services the command runner
reads through (it opens no database session of its own)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from bot.models import Caller, Paper, StoreCounts
from bot.query import UsageError
from bot.store import papers as paper_repo
from bot.store import state as state_repo
from bot.store.db import Database
from bot.store.search import SearchSpec, search_papers


class StoreLoading(UsageError):
    """A search found nothing because the store is mid-load; the message says how far along."""


class Archive:
    """Papers in the store: one by any id form, a search, and storing live results."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def show(self, ref: str) -> Paper | None:
        """One stored paper by any form of its id (SPEC §4)."""
        with self.db.reading() as session:
            return paper_repo.get_paper(session=session, ref=ref)

    def find(self, spec: SearchSpec, limit: int = 5, offset: int = 0) -> list[Paper]:
        """Run a search spec against the store; StoreLoading when nothing was found because a
        bulk load into an empty store has not built its search index yet."""
        with self.db.reading() as session:
            papers = search_papers(session=session, spec=spec, offset=offset, limit=limit)
        if not papers and (note := self.db.loading_note()):
            raise StoreLoading(note)
        return papers

    def store(self, papers: Sequence[Paper]) -> StoreCounts:
        """Keep papers found elsewhere (the live arXiv look-up)."""
        with self.db.session() as session:
            return paper_repo.upsert_papers(session=session, papers=papers)


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where `/papers more` goes on from: a query and its offset, or a digest and its last number."""

    query: str
    offset: int
    digest_id: int | None
    updated_at: dt.datetime


def user_key(caller: Caller) -> str:
    """The caller as one string: `slack:T0LAB/U0ALICE`."""
    return f"{caller.platform}:{caller.workspace}/{caller.user}"


class Cursors:
    """Each caller's last answer per channel, so `/papers more` (换一批) continues it."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, caller: Caller) -> Cursor | None:
        with self.db.reading() as session:
            row = state_repo.get_cursor(
                session=session, user_key=user_key(caller), channel_key=caller.channel_key
            )
            if row is None:
                return None
            when = row.updated_at if row.updated_at.tzinfo else row.updated_at.replace(tzinfo=dt.UTC)
            return Cursor(row.query, row.offset, row.digest_id, when)

    def put(self, caller: Caller, query: str, offset: int, digest_id: int | None = None) -> None:
        with self.db.session() as session:
            state_repo.put_cursor(
                session=session,
                user_key=user_key(caller),
                channel_key=caller.channel_key,
                query=query,
                offset=offset,
                digest_id=digest_id,
            )
