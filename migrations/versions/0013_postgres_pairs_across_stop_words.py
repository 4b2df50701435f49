"""PostgreSQL: a word pair across stop words has a key of its own

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 07:10:00

A phrase is found by its word pairs (0003, 0008), which skip stop words so that `"state of
the art"` has the pair state–art. That pair was also the one of `"state art"`, so the
phrase of two words side by side took every paper holding them across a stop word for a
candidate, and the phrase check then turned each away: `search "state art"` read the
179,000 papers holding `state of the art`, 22 s at a million papers; `search "across wide"`
(5,609 papers with `across a wide`, none with `across wide`) 4.7 s; `"state of art"` would read
the same 179,000. Now a pair's key holds how many stop words stood between its words (none,
one, two, or three and more: bot.store.lexemes.PAIR_GAPS), and a phrase asks for the pairs
it has.

Every stored paper's pairs are computed again here, from its title and abstract, in batches,
with the search index dropped meanwhile and built once after (as a bulk load does): 831 s at
a million papers on a 2-core machine (~12 minutes of row updates, then the build), and every
row rewritten leaves a dead one for autovacuum (`VACUUM ANALYZE papers` by hand: 2 minutes).
Stop every process of the older code first: one still running would store pairs the new
phrases do not ask for. SQLite keeps FTS5, whose phrases have positions: nothing changes there.
"""

from __future__ import annotations

import itertools

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_BATCH = 5000
INDEX = "CREATE INDEX ix_papers_search ON papers USING gin (search_terms, search_pairs, author_keys)"


def _repair_pairs(upgrade: bool = True) -> None:
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
        values = []
        for pk, title, abstract in rows:
            if upgrade:
                pairs = lexemes.document_keys((title or "", abstract or ""))[1].tolist()
            else:
                sequences = [
                    [k for k in lexemes.words(t or "") if k != lexemes.STOP] for t in (title, abstract)
                ]
                pairs = sorted({_old_pair(a, b) for seq in sequences for a, b in itertools.pairwise(seq)})
            values.append({"pk": pk, "pairs": pairs})
        conn.exec_driver_sql(
            "UPDATE papers SET search_pairs = CAST(%(pairs)s AS bigint[]) WHERE pk = %(pk)s", values
        )


def _old_pair(a: int, b: int) -> int:  # 0008's: two 31-bit halves, stop words skipped unsaid
    return ((a >> 32) << 31) | (b >> 32)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_papers_search")
    _repair_pairs()
    op.execute("SET LOCAL maintenance_work_mem = '256MB'")  # as a load builds it (bot/store/db.py)
    op.execute(INDEX)
    op.execute("ANALYZE papers")  # the plans start from the pairs' statistics (bot/store/search.py)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_papers_search")
    _repair_pairs(upgrade=False)  # 0008's pairs: no gap said
    op.execute("SET LOCAL maintenance_work_mem = '256MB'")
    op.execute(INDEX)
    op.execute("ANALYZE papers")
