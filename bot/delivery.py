"""The outbox: digests recorded before anything is sent, and exactly-once posting of them
through a platform `Poster`.

Protocol (SPEC §6): the digest and one delivery row per paper are recorded before
anything is sent; a lease in the database makes one process the poster; every message
is recorded as sent right after the platform accepts it; and before (re-)sending, the
poster is asked what the platform already holds (Slack message metadata, a Discord
thread's history), so a process killed between "sent" and "recorded" causes no duplicate.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from bot.models import Digest, DigestEntry, Paper
from bot.presentation import parent_title
from bot.store import deliveries as repo
from bot.store import papers as paper_repo
from bot.store.db import Database

log = logging.getLogger(__name__)

LEASE_TTL = dt.timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class PostedRef:
    """Where the parent message lives: its id, and the thread replies go to."""

    message: str
    thread: str | None = None


class RecipientGone(RuntimeError):
    """The person a direct message goes to has left the workspace (Slack `user_not_found` /
    `account_inactive`, Discord 50007): their personal radar is no longer posted to."""


class Poster(Protocol):
    """What a platform adapter implements to carry a digest thread."""

    def find_parent(self, digest: Digest) -> PostedRef | None:
        """The parent message already on the platform for this digest, if any."""

    def post_parent(self, digest: Digest) -> PostedRef:
        """Post the parent message (date, count, briefing) and open its thread."""

    def existing_entries(self, digest: Digest, parent: PostedRef) -> dict[str, str]:
        """Paper id -> message id of the paper replies the platform already holds."""

    def post_entry(self, digest: Digest, entry: DigestEntry, parent: PostedRef) -> str:
        """Post one paper reply into the thread; returns its message id."""


@dataclass(frozen=True, slots=True)
class Continuation:
    """The next batch of a digest's matches beyond its thread (Show more / `/papers more`)."""

    digest_id: int
    date: dt.date
    total: int
    entries: list[DigestEntry]  # numbered on from the thread (26, 27, …)

    @property
    def last_number(self) -> int:
        return self.entries[-1].number if self.entries else 0


class Outbox:
    """Owner of the digests and deliveries tables: what a digest holds, recorded once."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def record(self, digest: Digest) -> int | None:
        """Write the digest and one row per match (the thread's pending, the rest held) before
        anything is sent; returns the digest id (another process's, if it recorded first)."""
        with self.db.session() as session:
            row = repo.get_digest(session=session, channel_key=digest.channel, day=digest.date)
            if row is not None:
                return row.id
            row = repo.create_digest(
                session=session,
                channel_key=digest.channel,
                day=digest.date,
                briefing=digest.briefing,
                parent_text=parent_title(digest),
                cutoff=digest.cutoff or dt.datetime.now(dt.UTC),
            )
            if row is None:  # another process recorded it a moment ago
                row = repo.get_digest(session=session, channel_key=digest.channel, day=digest.date)
                return row.id if row else None
            items = [
                repo.NewDelivery(e.number, e.paper.id, e.tldr, tuple(e.matched_authors), in_thread)
                for in_thread, part in ((True, digest.entries), (False, digest.more))
                for e in part
            ]
            repo.add_deliveries(session=session, digest=row, items=items)
            digest.id = row.id
            return row.id

    def stored(self, channel_key: str, day: dt.date, channel_name: str | None = None) -> Digest | None:
        """A digest already recorded for this day, rebuilt from its rows (re-runs post nothing new)."""
        with self.db.session() as session:
            row = repo.get_digest(session=session, channel_key=channel_key, day=day)
            if row is None:
                return None
            rows = repo.deliveries_of(session=session, digest_id=row.id)
            papers = paper_repo.get_papers(session=session, ids=[r.paper_id for r in rows])
            briefing, digest_id, cutoff = row.briefing or "", row.id, row.cutoff
        thread = [_entry(r, papers) for r in rows if r.state != "held" and r.paper_id in papers]
        held = [_entry(r, papers) for r in rows if r.state == "held" and r.paper_id in papers]
        return Digest(
            channel=channel_key,
            date=day,
            entries=thread,
            more=held,
            briefing=briefing,
            total=len(thread) + len(held),
            channel_name=channel_name,
            id=digest_id,
            cutoff=cutoff,
        )

    def finished(self, digest: Digest) -> bool:
        """True when the digest is recorded and every message of its thread was sent."""
        with self.db.reading() as session:
            row = repo.get_digest(session=session, channel_key=digest.channel, day=digest.date)
            return row is not None and row.state == "done"

    def latest_with_more(self, channel_key: str) -> tuple[int, dt.datetime] | None:
        """The channel's newest posted digest with matches beyond its thread: (id, recorded at)."""
        with self.db.reading() as session:
            row = repo.latest_overflowing_digest(session=session, channel_key=channel_key)
            if row is None:
                return None
            created = row.created_at
        return row.id, created if created.tzinfo else created.replace(tzinfo=dt.UTC)

    def continuation(self, digest_id: int, after: int | None, size: int) -> Continuation | None:
        """Up to `size` of the digest's matches numbered after `after` (default: after its thread)."""
        with self.db.reading() as session:
            row = repo.get_digest_by_id(session=session, digest_id=digest_id)
            if row is None:
                return None
            rows = repo.deliveries_of(session=session, digest_id=digest_id)
            day = row.date
        start = after if after is not None else sum(1 for r in rows if r.state != "held")
        batch = [r for r in rows if r.number > start][:size]
        with self.db.reading() as session:
            papers = paper_repo.get_papers(session=session, ids=[r.paper_id for r in batch])
        entries = [_entry(r, papers) for r in batch if r.paper_id in papers]
        return Continuation(digest_id=digest_id, date=day, total=len(rows), entries=entries)


def _entry(row: Any, papers: dict[str, Paper]) -> DigestEntry:
    return DigestEntry(
        number=row.number, paper=papers[row.paper_id], tldr=row.tldr, matched_authors=row.matched_authors
    )


def new_owner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _dead_local_owner(owner: str | None) -> bool:
    """A lease held by a process on this host that no longer exists (kill -9) can be taken."""
    if not owner:
        return False
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class DeliveryService:
    """Posts recorded digests; safe to run from any number of processes at once."""

    def __init__(
        self, db: Database, owner: str | None = None, pace: Callable[[], None] | None = None
    ) -> None:
        self.db = db
        self.owner = owner or new_owner_id()
        self.pace = pace

    def post(self, digest_id: int, digest: Digest, poster: Poster) -> int:
        """Post whatever of the digest is missing; returns how many messages this call sent."""
        if not self._lease(digest_id):
            log.info("digest %s is being posted by another process", digest_id)
            return 0
        done = False
        try:
            sent = self._post_locked(digest_id, digest, poster)
            done = True
            return sent
        finally:
            with self.db.session() as session:
                repo.release_lease(session=session, digest_id=digest_id, owner=self.owner, done=done)

    def _lease(self, digest_id: int) -> bool:
        with self.db.session() as session:
            holder = repo.lease_owner(session=session, digest_id=digest_id)
            steal = holder if _dead_local_owner(holder) else None
            return repo.take_lease(
                session=session, digest_id=digest_id, owner=self.owner, ttl=LEASE_TTL, steal_from=steal
            )

    def _post_locked(self, digest_id: int, digest: Digest, poster: Poster) -> int:
        sent = 0
        parent, posted_now = self._ensure_parent(digest_id, digest, poster)
        sent += posted_now
        with self.db.session() as session:
            rows = repo.deliveries_of(session=session, digest_id=digest_id)
        pending = [r for r in rows if r.state == "pending"]  # held rows are for Show more
        if not pending:
            return sent
        already = poster.existing_entries(digest, parent)
        by_id = {e.paper.id: e for e in digest.entries}
        for row in pending:
            if row.paper_id in already:
                self._record(row.id, already[row.paper_id])
                continue
            entry = by_id.get(row.paper_id)
            if entry is None:
                continue
            if self.pace and sent:
                self.pace()
            ref = poster.post_entry(digest, entry, parent)
            self._record(row.id, ref)
            sent += 1
        return sent

    def _ensure_parent(self, digest_id: int, digest: Digest, poster: Poster) -> tuple[PostedRef, int]:
        with self.db.session() as session:
            recorded = repo.recorded_parent(session=session, digest_id=digest_id)
        if recorded is not None:
            return PostedRef(message=recorded[0], thread=recorded[1]), 0
        found = poster.find_parent(digest)
        posted = 0
        if found is None:
            found = poster.post_parent(digest)
            posted = 1
        with self.db.session() as session:
            repo.record_parent(
                session=session, digest_id=digest_id, parent_ref=found.message, thread_ref=found.thread
            )
        return found, posted

    def _record(self, delivery_id: int, ref: str | None) -> None:
        with self.db.session() as session:
            repo.record_sent(session=session, delivery_id=delivery_id, message_ref=ref)
