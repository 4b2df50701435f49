"""PostgreSQL: a word pair across stop words has a key of its own

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 07:10:00

A phrase is found by its word pairs (0003, 0008), which skip stop words so that `"state of
the art"` has the pair state–art. That pair was also the one of `"state art"`, so the
phrase of two words side by side took every paper holding them across a stop word for a
candidate, and the phrase check then turned each away: `search "state art"` read the
179,000 papers holding `state of the art`, 22 s at a million papers; `search "across wide"`
(5,609 papers with `across a wide`, none with `across wide`) 4.7 s. Now a pair with stop words
between its words has its key marked (bot.store.lexemes.PAIR_ACROSS), and a phrase asks for
the kind it has.

Every stored paper's pairs are computed again here, from its title and abstract, in batches,
with the search index dropped meanwhile and built once after (as a bulk load does): at a
million papers about as long as a bulk load's index build and as many row writes. SQLite
keeps FTS5, whose phrases have positions: nothing changes there.
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_BATCH = 5000
INDEX = "CREATE INDEX ix_papers_search ON papers USING gin (search_terms, search_pairs, author_keys)"


def _repair_pairs() -> None:
    from bot.store import lexemes  # the keys as the store computes them

    conn = op.get_bind()
    last = 0
    while True:
        rows = conn.exec_driver_sql(
            "SELECT pk, title, abstract FROM papers WHERE pk > %(last)s ORDER BY pk LIMIT %(n)s",
            {"last": last, "n": _BATCH},
        ).all()
        if not rows:
            return
        last = rows[-1].pk
        values = [
            {"pk": pk, "pairs": lexemes.document_keys((title or "", abstract or ""))[1].tolist()}
            for pk, title, abstract in rows
        ]
        conn.exec_driver_sql(
            "UPDATE papers SET search_pairs = CAST(%(pairs)s AS bigint[]) WHERE pk = %(pk)s", values
        )


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_papers_search")
    _repair_pairs()
    op.execute(INDEX)
    op.execute("ANALYZE papers")  # the plans start from the pairs' statistics (bot/store/search.py)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # The mark cleared: pairs across stop words and side by side are one key again.
    op.execute(
        "UPDATE papers SET search_pairs = ARRAY(SELECT DISTINCT p & ~(1::bigint << 62) "
        "FROM unnest(search_pairs) AS p ORDER BY 1) WHERE search_pairs <> '{}'"
    )
    op.execute("ANALYZE papers")
