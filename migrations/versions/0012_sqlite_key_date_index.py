"""SQLite: an index of each paper's key with its date, so a drive sorts without its rows

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 22:00:00

A search driven by a list of keys (a category's papers, an author's, the words' matches in
a window) sorts them newest first and keeps a page. The date of each key was read from its
row in `papers`, a 4 KB page of about two papers: `cat cs.LO` (3,218 papers) read ~3,200
pages, 3-9 ms where they were cached and 100-375 ms where the kernel had dropped them, as
this machine's does after a minute unused. `(pk, sort_date, linked_to)` holds what the sort
and its condition need in ~25 bytes a paper (~30 MB at a million): the same queries read
it in 2-6 ms from cold rows. The search names it (`INDEXED BY`): SQLite's planner always
takes a key lookup in the table itself. PostgreSQL: nothing changes.
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("CREATE INDEX IF NOT EXISTS ix_papers_key_date ON papers (pk, sort_date, linked_to)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("DROP INDEX IF EXISTS ix_papers_key_date")
