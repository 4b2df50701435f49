"""Schema migrations on a store that already holds papers."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from bot.engine import Engine
from bot.names import index_keys_of
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


def test_0003_adds_postgres_word_pairs_to_a_loaded_store_and_removes_them() -> None:
    """A PostgreSQL store loaded before 0003 gains the pair index in place (the generated column
    is computed for every stored paper) and loses it on downgrade; phrase answers do not change."""
    url = postgres_url()
    if url is None:
        pytest.skip("PostgreSQL tests skipped: set TEST_DATABASE_URL")
    reset_postgres(url)
    db = Database(url)
    command.upgrade(alembic_config(db.engine), "0002")
    engine = make_engine(url)
    phrase = 'search "magnetic field"'
    try:
        engine.ingest([str(SNAPSHOT)])
        before = [p.id for p in engine.search(phrase, limit=50)]
    finally:
        engine.close()
    db.upgrade()
    with db.engine.connect() as conn:
        empty = conn.execute(
            text("SELECT count(*) FROM papers WHERE cardinality(search_pairs) = 0")
        ).scalar_one()
    engine = make_engine(url)
    try:
        assert before and [p.id for p in engine.search(phrase, limit=50)] == before
    finally:
        engine.close()
    assert empty == 0
    command.downgrade(alembic_config(db.engine), "0002")
    with db.engine.connect() as conn:
        listed = "SELECT column_name FROM information_schema.columns WHERE table_name = 'papers'"
        columns = set(conn.execute(text(listed)).scalars())
    assert "search_pairs" not in columns and "search_tsv" in columns
    db.dispose()
