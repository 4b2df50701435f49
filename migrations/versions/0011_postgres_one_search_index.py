"""PostgreSQL: one GIN index over a paper's words, word pairs and author keys

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 17:40:00

An author beside words (`search author:Zhang MLLMs`) is a condition on `author_keys` and
one on `search_terms` (or `search_pairs`). Under two indexes (0008, 0010) PostgreSQL ANDs
them by building a bitmap of each whole posting list: 44-48 ms for a common surname's
187,000 papers at a million, to keep the few hundred it shares with the words. One index
over the three columns answers every condition in a single scan, which steps through a
common list only where the rarer ones point (GIN's fast scan, as 0010 did for words and
pairs): 7 ms for the same AND. A condition on one column uses it as it used that column's
own index. At a million papers: 4.4 minutes to build on one core (the two took ~3 on two),
~1.3 GB; a bulk load builds it once after the rows, as it built the two.
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

INDEX = "CREATE INDEX ix_papers_search ON papers USING gin (search_terms, search_pairs, author_keys)"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(INDEX)
    op.execute("DROP INDEX IF EXISTS ix_papers_search_text")
    op.execute("DROP INDEX IF EXISTS ix_papers_author_keys")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE INDEX ix_papers_search_text ON papers USING gin (search_terms, search_pairs)")
    op.execute("CREATE INDEX ix_papers_author_keys ON papers USING gin (author_keys)")
    op.execute("DROP INDEX IF EXISTS ix_papers_search")
