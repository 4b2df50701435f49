"""SQLite keeps the author index in FTS5, not in a B-tree table

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 16:50:00

The author index has ~40 keys per paper (each name part, paired with every other token's
initial and whole name). As rows of the `paper_author_parts` B-tree that was 40 million
rows at a million papers: most of a bulk load's time and 0.8 GB of the file. FTS5 stores
the same postings as compressed doclists (~15× smaller) and writes them in sorted
segments. The index is contentless (the keys are recomputed from `papers.authors` when a
paper's authors change) and keeps no positions (`detail=none`): lookups are by whole key.
The `ascii` tokenizer with `#=.-` as token characters keeps every key one token: keys are
folded, so their only ASCII characters are letters, digits and those four, and `ascii`
treats every non-ASCII character as part of a token.

The text index's triggers gain a condition: while a bulk load builds both indexes in a
scratch file (bot/store/fulltext.py, PRAGMA user_version = BUILD_MARK), the main file's
text index is replaced at the end, so an update must not touch it meanwhile (deleting an
entry it does not hold is corruption to FTS5); the side build takes the change instead.

PostgreSQL keeps `paper_author_parts` (its bulk loads have no target, and its planner reads
the B-tree well); this migration does nothing there.
"""

from __future__ import annotations

import json

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BUILD_MARK = 0x4148  # bot.store.fulltext.BUILD_MARK as of this revision
_NOT_BUILDING = f"WHEN (SELECT user_version FROM pragma_user_version) != {BUILD_MARK}"
_TRIGGERS = {
    "papers_fts_ad": """AFTER DELETE ON papers {when} BEGIN
        INSERT INTO papers_fts(papers_fts, rowid, title, abstract, category_terms)
        VALUES ('delete', old.pk, old.title, old.abstract, old.category_terms);
    END""",
    "papers_fts_au": """AFTER UPDATE OF title, abstract, category_terms ON papers {when} BEGIN
        INSERT INTO papers_fts(papers_fts, rowid, title, abstract, category_terms)
        VALUES ('delete', old.pk, old.title, old.abstract, old.category_terms);
        INSERT INTO papers_fts(rowid, title, abstract, category_terms)
        VALUES (new.pk, new.title, new.abstract, new.category_terms);
    END""",
}


def _create_triggers(when: str) -> None:
    for name, body in _TRIGGERS.items():
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute(f"CREATE TRIGGER {name} " + body.format(when=when))


CREATE_AUTHOR_INDEX = """CREATE VIRTUAL TABLE paper_author_index USING fts5(
    keys, content='', columnsize=0, detail=none, tokenize="ascii tokenchars '#=.-'")"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(CREATE_AUTHOR_INDEX)
    op.execute("INSERT INTO paper_author_index(paper_author_index, rank) VALUES ('pgsz', 16000)")
    op.execute(
        "INSERT INTO paper_author_index(rowid, keys) "
        "SELECT paper_pk, group_concat(part, ' ') FROM paper_author_parts GROUP BY paper_pk"
    )
    op.execute("DROP TABLE paper_author_parts")
    _create_triggers(_NOT_BUILDING)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    from bot.names import index_keys_of  # the keys are computed, as the store computes them

    op.execute(
        "CREATE TABLE paper_author_parts (part VARCHAR(128) NOT NULL, paper_pk INTEGER NOT NULL, "
        "PRIMARY KEY (part, paper_pk)) WITHOUT ROWID"
    )
    conn = op.get_bind()
    rows = conn.exec_driver_sql("SELECT pk, authors FROM papers").all()
    pairs = {
        (key, pk)
        for pk, authors in rows
        for author in json.loads(authors or "[]")
        for key in index_keys_of(author)
    }
    if pairs:
        conn.exec_driver_sql("INSERT INTO paper_author_parts (part, paper_pk) VALUES (?, ?)", sorted(pairs))
    op.execute("DROP TABLE paper_author_index")
    _create_triggers("")
