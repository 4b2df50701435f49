"""PostgreSQL's search keys are computed by the application and stored as bigint[] under GIN

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 11:30:00

The generated columns `search_tsv` (to_tsvector) and `search_pairs` (adjacent lexemes, from a
second to_tsvector) cost the database ~700 µs a paper: a bulk load into PostgreSQL ran at
120-475 papers/s, a million papers in 35 minutes to two hours. And the author index was a
table of ~20 rows a paper (`paper_author_parts`), a B-tree of 20 million rows at a million.

Now the loader computes three arrays of 63-bit keys (bot/store/lexemes.py) in the process
that parsed the paper, and queries use the same functions:

* `search_terms`: stemmed words of title and abstract, and the category tokens;
* `search_pairs`: adjacent word pairs (phrases);
* `author_keys`: the author index keys (bot.names.index_keys_of), replacing the table.

Each has a GIN index. An existing store's rows are computed here in batches (about 2 minutes
a million papers on 2 cores). SQLite keeps FTS5 (migrations 0001, 0002): nothing changes there.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_BATCH = 5000
INDEXES = {
    "ix_papers_search_terms": "CREATE INDEX ix_papers_search_terms ON papers USING gin (search_terms)",
    "ix_papers_search_pairs": "CREATE INDEX ix_papers_search_pairs ON papers USING gin (search_pairs)",
    "ix_papers_author_keys": "CREATE INDEX ix_papers_author_keys ON papers USING gin (author_keys)",
}


def _backfill() -> None:
    from bot.models import Paper
    from bot.store.papers import UPDATE_SEARCH_KEYS, search_key_values  # as the store computes them

    conn = op.get_bind()
    last = 0
    while True:
        rows = conn.exec_driver_sql(
            "SELECT pk, title, abstract, categories, authors FROM papers WHERE pk > %(last)s "
            "ORDER BY pk LIMIT %(n)s",
            {"last": last, "n": _BATCH},
        ).all()
        if not rows:
            return
        last = rows[-1].pk
        values = []
        for pk, title, abstract, categories, authors in rows:
            cats = categories if isinstance(categories, list) else json.loads(categories or "[]")
            names = authors if isinstance(authors, list) else json.loads(authors or "[]")
            paper = Paper(
                id=str(pk), title=title or "", abstract=abstract or "", categories=cats, authors=names
            )
            values.append({"pk": pk, **search_key_values(paper)})
        conn.execute(UPDATE_SEARCH_KEYS, values)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_papers_search_tsv")
    op.execute("DROP INDEX IF EXISTS ix_papers_search_pairs")
    op.execute("ALTER TABLE papers DROP COLUMN IF EXISTS search_tsv, DROP COLUMN IF EXISTS search_pairs")
    op.execute("DROP FUNCTION IF EXISTS academichub_word_pairs(tsvector)")
    op.execute(
        "ALTER TABLE papers ADD COLUMN search_terms bigint[] NOT NULL DEFAULT '{}', "
        "ADD COLUMN search_pairs bigint[] NOT NULL DEFAULT '{}', "
        "ADD COLUMN author_keys bigint[] NOT NULL DEFAULT '{}'"
    )
    # A paper's ~300 keys are incompressible (random 63-bit numbers), and with them a row is
    # ~3.5 KB: PostgreSQL would toast it past 2 KB, trying to compress every array first and
    # then writing it out of line. Rows stay whole up to ~8 KB and the keys are never
    # compressed: 20,000 rows inserted in 0.3 s instead of 1.6 s, the table the same size.
    op.execute(
        "ALTER TABLE papers SET (toast_tuple_target = 8160), "
        "ALTER COLUMN search_terms SET STORAGE EXTERNAL, ALTER COLUMN search_pairs SET STORAGE EXTERNAL, "
        "ALTER COLUMN author_keys SET STORAGE EXTERNAL"
    )
    # The search plans start from the planner's estimate of a key's papers. With the default
    # statistics, any key outside its 1,000 most common was taken for 0.5 % of the papers (a
    # word in none: 5,022 at a million); with 10,000 tracked, 335, and a rare word drives at
    # once. ANALYZE samples 300,000 rows for it (~30 s at a million papers).
    op.execute(
        "ALTER TABLE papers ALTER COLUMN search_terms SET STATISTICS 1000, "
        "ALTER COLUMN search_pairs SET STATISTICS 1000, ALTER COLUMN author_keys SET STATISTICS 1000"
    )
    _backfill()
    op.execute("DROP TABLE IF EXISTS paper_author_parts")
    for statement in INDEXES.values():
        op.execute(statement)
    op.execute("ANALYZE papers")  # the search plans from the arrays' statistics (bot/store/search.py)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    from bot.names import index_keys_of

    for name in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    op.execute(
        "CREATE TABLE paper_author_parts (part VARCHAR(128) NOT NULL, paper_pk INTEGER NOT NULL, "
        "PRIMARY KEY (part, paper_pk))"
    )
    conn = op.get_bind()
    rows = conn.exec_driver_sql("SELECT pk, authors FROM papers").all()
    pairs = sorted(
        {(key, pk) for pk, authors in rows for author in (authors or []) for key in index_keys_of(author)}
    )
    if pairs:
        conn.exec_driver_sql("INSERT INTO paper_author_parts (part, paper_pk) VALUES (%s, %s)", pairs)
    op.execute(
        "ALTER TABLE papers DROP COLUMN search_terms, DROP COLUMN search_pairs, DROP COLUMN author_keys"
    )
    op.execute("ALTER TABLE papers RESET (toast_tuple_target)")
    op.execute(
        """ALTER TABLE papers ADD COLUMN search_tsv tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', coalesce(title, '')), 'A') ||
        setweight(to_tsvector('english', coalesce(abstract, '')), 'B') ||
        to_tsvector('simple', category_terms)) STORED"""
    )
    op.execute("CREATE INDEX ix_papers_search_tsv ON papers USING gin (search_tsv)")
    _previous("0003_postgres_word_pairs").upgrade()  # its function, column and index, as it made them


def _previous(name: str) -> Any:
    """An earlier migration's module (Alembic loads them by path, not as a package)."""
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
