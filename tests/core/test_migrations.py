"""Schema migrations on a store that already holds papers."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from bot.engine import Engine
from bot.names import index_keys_of
from bot.store import lexemes
from bot.store.db import Database, alembic_config
from tests.conftest import make_engine, postgres_url, reset_postgres
from tests.core.test_bulk import SNAPSHOT, assert_indexes_sound


def test_0002_moves_the_sqlite_author_index_into_fts5_and_back(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    db = Database(url)
    command.upgrade(alembic_config(db.engine), "0001")
    authors = ["Philipp Grohs", "Anna Grohs"]
    with db.engine.begin() as conn:  # a paper as revision 0001's code stored it
        conn.execute(
            text(
                "INSERT INTO papers (pk, id, title, abstract, authors, categories, content_hash, "
                "category_terms) VALUES (1, '2606.16028', 'Deep ReLU networks', '', :authors, "
                "'[\"math.NA\"]', 'x', 'catmath0na9')"
            ),
            {"authors": '["Philipp Grohs", "Anna Grohs"]'},
        )
        conn.execute(
            text(
                "INSERT INTO papers_fts (rowid, title, abstract, category_terms) "
                "SELECT pk, title, abstract, category_terms FROM papers"
            )
        )
        pairs = sorted({(k, 1) for a in authors for k in index_keys_of(a)})
        conn.execute(
            text("INSERT INTO paper_author_parts (part, paper_pk) VALUES (:k, :pk)"),
            [{"k": k, "pk": pk} for k, pk in pairs],
        )
    db.upgrade()
    engine: Engine = make_engine(url)
    try:
        assert [p.id for p in engine.search('author "P. Grohs"')] == ["2606.16028"]
        assert_indexes_sound(engine)
    finally:
        engine.close()
    command.downgrade(alembic_config(db.engine), "0001")
    with db.engine.connect() as conn:
        restored = conn.execute(text("SELECT part, paper_pk FROM paper_author_parts ORDER BY 1")).all()
    assert [tuple(r) for r in restored] == pairs
    db.dispose()


def test_a_loaded_store_upgrades_in_place(tmp_path: Path) -> None:
    """From 0001 with the real snapshot loaded by 0001's schema (author rows included) to head."""
    url = f"sqlite:///{tmp_path / 'loaded.db'}"
    db = Database(url)
    db.upgrade()
    engine = make_engine(url)
    try:
        engine.ingest([str(SNAPSHOT)])
        before = [p.id for p in engine.search("author Balázs", limit=10)]
    finally:
        engine.close()
    command.downgrade(alembic_config(db.engine), "0001")
    db.upgrade()
    engine = make_engine(url)
    try:
        assert before and [p.id for p in engine.search("author Balázs", limit=10)] == before
    finally:
        engine.close()
    db.dispose()


def _postgres_loaded_at_head(queries: list[str]) -> tuple[str, Database, dict[str, list[str]]]:
    """A PostgreSQL store at head with the real snapshot loaded: its URL, its Database, and
    the ids each query finds (up to 50), for a migration down and up again to keep."""
    url = postgres_url()
    if url is None:
        pytest.skip("PostgreSQL tests skipped: set TEST_DATABASE_URL")
    reset_postgres(url)
    db = Database(url)
    db.upgrade()
    engine = make_engine(url)
    try:
        engine.ingest([str(SNAPSHOT)])
        return url, db, {q: [p.id for p in engine.search(q, limit=50)] for q in queries}
    finally:
        engine.close()


def test_0008_computes_postgres_search_keys_for_a_loaded_store_and_back() -> None:
    """A PostgreSQL store loaded before 0008 (generated tsvector and pair columns, the author
    table) gains the search keys in place, every stored paper computed; the answers to phrase,
    word, category and author searches stay the same, and a downgrade restores the old columns."""
    queries = ['search "magnetic field"', "search quantum", "author Balázs", "cat:hep-ph calculation"]
    url, db, before = _postgres_loaded_at_head(queries)
    command.downgrade(alembic_config(db.engine), "0007")  # the old columns, computed by PostgreSQL
    listed = "SELECT column_name FROM information_schema.columns WHERE table_name = 'papers'"
    with db.engine.connect() as conn:
        columns = set(conn.execute(text(listed)).scalars())
        parts = conn.execute(text("SELECT count(DISTINCT paper_pk) FROM paper_author_parts")).scalar_one()
        stored = conn.execute(text("SELECT count(*) FROM papers")).scalar_one()
    assert {"search_tsv", "search_pairs"} <= columns and "search_terms" not in columns
    assert parts == stored
    db.upgrade()
    with db.engine.connect() as conn:
        empty = conn.execute(
            text(
                "SELECT count(*) FROM papers "
                "WHERE cardinality(search_terms) = 0 OR cardinality(author_keys) = 0"
            )
        ).scalar_one()
        columns = set(conn.execute(text(listed)).scalars())
    assert empty == 0 and "search_tsv" not in columns
    engine = make_engine(url)
    try:
        assert all(before.values())
        assert {q: [p.id for p in engine.search(q, limit=50)] for q in queries} == before
    finally:
        engine.close()
    db.dispose()


def test_0013_counts_the_stop_words_in_postgres_pairs_for_a_loaded_store_and_back() -> None:
    """A PostgreSQL store whose pairs did not tell `quark and gluon` from `quark gluon` gets
    every paper's pairs computed again, as the store computes them now; phrases with and
    without their stop word answer as before, and a downgrade computes 0008's pairs again."""
    phrases = ('"quark gluon"', '"quark and gluon"', '"equation of state"', '"equation state"')
    queries = [f"search {q}" for q in phrases]
    url, db, before = _postgres_loaded_at_head(queries)

    def stored() -> list[tuple[str, str, list[int]]]:
        with db.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text("SELECT title, abstract, search_pairs FROM papers"))]

    def old_pairs(texts: tuple[str, str]) -> list[int]:  # 0008's: two 31-bit halves, no gap said
        kept = [[k for k in lexemes.words(t) if k != lexemes.STOP] for t in texts]
        return sorted({((a >> 32) << 31) | (b >> 32) for seq in kept for a, b in itertools.pairwise(seq)})

    command.downgrade(alembic_config(db.engine), "0012")
    rows = stored()
    assert rows and all(pairs == old_pairs((t, a)) for t, a, pairs in rows)
    db.upgrade()
    rows = stored()
    assert all(pairs == lexemes.document_keys((t, a))[1].tolist() for t, a, pairs in rows)
    assert any(p >> 60 for _t, _a, pairs in rows for p in pairs)  # some pairs across stop words
    with db.engine.connect() as conn:
        index = conn.execute(
            text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_papers_search'")
        ).scalar()
    assert index is not None and "search_pairs" in index
    engine = make_engine(url)
    try:
        assert before['search "quark gluon"'] and before['search "equation of state"']
        assert {q: [p.id for p in engine.search(q, limit=50)] for q in queries} == before
    finally:
        engine.close()
    db.dispose()


def test_0009_leaves_sqlite_index_merges_to_the_upkeep_worker_and_back(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'store.db'}")
    db.upgrade()

    def automerge() -> list[int]:
        with db.engine.connect() as conn:
            return [
                conn.exec_driver_sql(f"SELECT v FROM {name}_config WHERE k = 'automerge'").scalar_one()
                for name in ("papers_fts", "paper_author_index")
            ]

    assert automerge() == [0, 0]
    command.downgrade(alembic_config(db.engine), "0008")
    assert automerge() == [4, 4]  # FTS5's default: merged as the indexes are written
    db.dispose()
