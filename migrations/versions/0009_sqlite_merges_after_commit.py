"""SQLite: the full-text indexes' segments are merged after a commit, not while writing

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 14:40:00

FTS5 writes each batch of new entries as a segment and, with its default automerge 4,
merges segments while the next batches are written: ~30 ms of a 2,000-paper day's ingest,
on the one connection every batch of the day waits for. With automerge 0 the writes only
add segments; the store's upkeep worker (bot/store/db.py, `_CommitUpkeep`) merges them
after the commit with FTS5's 'merge' command, to the same shape (`usermerge` 4). FTS5's
crisismerge (16 segments on a level) still merges at once if the worker never runs.
PostgreSQL: nothing changes.
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_INDEXES = ("papers_fts", "paper_author_index")


def _automerge(value: int) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for name in _INDEXES:  # fixed names
        op.execute(f"INSERT INTO {name}({name}, rank) VALUES ('automerge', {value})")


def upgrade() -> None:
    _automerge(0)


def downgrade() -> None:
    _automerge(4)
