"""PostgreSQL indexes each pair of adjacent words, so a phrase is found by its pairs

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 20:10:00

GIN keeps no word positions. A phrase (`search "towards intelligent"`) was found by its
words and each candidate's TOASTed tsvector then re-read to test the phrase: at a million
papers two common words have tens of thousands of candidates for a handful of phrase
matches (60-110 ms; `"cross consistency"` 1 s). `search_pairs` holds every pair of
lexemes at adjacent positions of the title and abstract ("toward intellig"), under a GIN
index of its own: the papers holding a phrase's pairs are a superset of its matches (and
exactly them for two words), read from the index without touching a row.

The pairs are computed as `search_tsv` numbers its positions (title, then abstract), so
the pair index and the phrase test agree. A space never occurs inside a lexeme, so a pair
cannot collide with a word. On a store that already holds papers the column is computed
for each (measured: 20 minutes at a million papers on 2 cores, beside the index build).
SQLite's FTS5 keeps positions and needs none of this; the migration does nothing there.
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

WORD_PAIRS = """CREATE OR REPLACE FUNCTION academichub_word_pairs(v tsvector) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT previous || ' ' || lexeme), '{}') FROM (
        SELECT lexeme, position,
               lag(lexeme) OVER by_position AS previous,
               lag(position) OVER by_position AS previous_position
        FROM (SELECT lexeme, unnest(positions) AS position FROM unnest(v)) AS words
        WINDOW by_position AS (ORDER BY position)) AS sequence
    WHERE previous_position = position - 1
$$"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(WORD_PAIRS)
    op.execute(
        """ALTER TABLE papers ADD COLUMN search_pairs text[] GENERATED ALWAYS AS (
            academichub_word_pairs(to_tsvector('english', coalesce(title, '')) ||
                                   to_tsvector('english', coalesce(abstract, '')))) STORED"""
    )
    op.execute("CREATE INDEX ix_papers_search_pairs ON papers USING gin (search_pairs)")
    op.execute("ANALYZE papers")  # the search plans from the pairs' statistics (bot/store/search.py)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_papers_search_pairs")
    op.execute("ALTER TABLE papers DROP COLUMN IF EXISTS search_pairs")
    op.execute("DROP FUNCTION IF EXISTS academichub_word_pairs(tsvector)")
