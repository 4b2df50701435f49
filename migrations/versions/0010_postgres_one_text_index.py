"""PostgreSQL: one GIN index over a paper's words and word pairs together

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 15:40:00

A query with a word and a phrase (`search World "Models via"`) has a condition on
`search_terms` and one on `search_pairs`. Under two indexes (0008), PostgreSQL ANDs them by
building a bitmap of each whole posting list: ~25 ms for a word in 150,000 of a million
papers, to keep the 2,500 the phrase's pair shares with it. One index over both columns
answers both conditions in a single scan, which steps through the common list only where
the rare one points (GIN's fast scan): 2 ms for the same AND. A condition on one column
uses it as it used that column's own index. The two indexes' size, in one (~1.1 GB at a
million papers); a bulk load builds it once after the rows, as it built the two.
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

INDEX = "CREATE INDEX ix_papers_search_text ON papers USING gin (search_terms, search_pairs)"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(INDEX)
    op.execute("DROP INDEX IF EXISTS ix_papers_search_terms")
    op.execute("DROP INDEX IF EXISTS ix_papers_search_pairs")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE INDEX ix_papers_search_terms ON papers USING gin (search_terms)")
    op.execute("CREATE INDEX ix_papers_search_pairs ON papers USING gin (search_pairs)")
    op.execute("DROP INDEX IF EXISTS ix_papers_search_text")
