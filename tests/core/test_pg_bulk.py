"""PostgreSQL bulk loads by COPY (bot.store.pg_bulk): the rows, their search columns and the
merge policy are those of the ordinary path."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from bot import ingest as ingest_module
from bot.engine import Engine
from bot.models import Paper
from bot.sources import iter_jsonl_papers
from bot.store import lexemes, pg_bulk
from bot.store import papers as paper_repo
from tests.core.test_bulk import SNAPSHOT, load, unique_ids

ON_POSTGRES = pytest.mark.parametrize("db_url", ["postgres"], indirect=True)

# Every column but the key and the arrival time (a clock reading), search columns included.
_STORED = (
    "SELECT p.*, pk IS NOT NULL AS keyed, arrived_at IS NOT NULL AS arrived, "
    "(SELECT array_agg(category ORDER BY category) FROM paper_categories c WHERE c.paper_pk = p.pk) AS cats "
    "FROM papers p"
)


def parsed_papers() -> list[Paper]:
    with SNAPSHOT.open("rb") as stream:
        papers = list(iter_jsonl_papers(stream, str(SNAPSHOT)))
    # A journal item (not arXiv): written with its arrival time and title hash.
    papers.append(
        Paper(
            id="10.1103/physrevd.76.013009",
            title="Calculation of prompt diphoton production cross sections",
            authors=["C. Balázs", "E. L. Berger"],
            journal="Physical Review D",
            published=dt.date(2007, 7, 20),
            doi="10.1103/physrevd.76.013009",
            preprint_id="0704.0001",
        )
    )
    return papers


def stored_rows(engine: Engine) -> dict[str, dict[str, Any]]:
    with engine.db.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(text(_STORED))]
    for row in rows:
        del row["pk"], row["arrived_at"]
    return {row["id"]: row for row in rows}


def clear(engine: Engine) -> None:
    with engine.db.engine.begin() as conn:
        conn.execute(text("TRUNCATE papers, paper_categories RESTART IDENTITY"))


@ON_POSTGRES
def test_a_bulk_load_writes_every_column_a_days_fetch_writes(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with engine.db.session() as session:
        paper_repo.upsert_papers(session=session, papers=[dataclasses.replace(p) for p in parsed_papers()])
    ordinary = stored_rows(engine)
    clear(engine)
    copied: list[int] = []
    insert_rows = pg_bulk.insert_rows
    monkeypatch.setattr(pg_bulk, "insert_rows", lambda *a: copied.append(1) or insert_rows(*a))
    with engine.db.bulk_loading() as bulk_session, bulk_session() as session:
        paper_repo.upsert_papers(session=session, papers=[dataclasses.replace(p) for p in parsed_papers()])
    assert copied
    bulk = stored_rows(engine)
    assert len(bulk) == len(ordinary) == unique_ids(SNAPSHOT) + 1
    assert bulk == ordinary  # search keys, title_hash, categories … alike
    _keys_match_the_papers(engine)  # the keys the search looks up: the store's own function
    journal = bulk["10.1103/physrevd.76.013009"]
    assert journal["arrived"] and journal["title_hash"] is not None and journal["preprint_id"] == "0704.0001"
    assert not bulk["0704.0001"]["arrived"]


@ON_POSTGRES
def test_a_copy_load_keys_rows_in_load_order_and_its_papers_are_searchable(engine: Engine) -> None:
    load(engine, SNAPSHOT)
    with engine.db.engine.connect() as conn:
        ids = [r.id for r in conn.execute(text("SELECT id FROM papers ORDER BY pk"))]
    with SNAPSHOT.open("rb") as stream:
        order = list(dict.fromkeys(p.id for p in iter_jsonl_papers(stream, str(SNAPSHOT))))
    assert ids == order
    assert "0704.0001" in {p.id for p in engine.search('search "diphoton" cat:hep-ph', limit=50)}
    assert engine.search("author Balázs", limit=5)


@ON_POSTGRES
def test_a_copy_load_into_a_store_with_papers_merges_them_by_the_python_policy(
    engine: Engine, tmp_path: Path
) -> None:
    lines = SNAPSHOT.read_text(encoding="utf-8").splitlines()
    first = json.loads(lines[0])
    head = tmp_path / "head.jsonl"
    head.write_text("\n".join(lines[:20]) + "\n", encoding="utf-8")
    assert load(engine, head).new == unique_ids(head)
    stored = engine.show(first["id"])
    assert stored is not None
    # The rest of the snapshot, with the first record again as a later version.
    later = {
        **first,
        "title": "Zymurgical resummation",
        "versions": [*first["versions"], {**first["versions"][-1], "version": "v99"}],
    }
    rest = tmp_path / "rest.jsonl"
    rest.write_text("\n".join([*lines[20:], json.dumps(later)]) + "\n", encoding="utf-8")
    result = load(engine, rest)
    assert result.updated == 1 and result.new == unique_ids(SNAPSHOT) - unique_ids(head)
    updated = engine.show(first["id"])
    assert (
        updated is not None
        and updated.title == "Zymurgical resummation"
        and (updated.version or 0) > (stored.version or 0)
    )
    assert updated.announced == stored.announced and updated.published == stored.published  # kept
    assert [p.id for p in engine.search("search zymurgical", limit=5)] == [first["id"]]
    with engine.db.engine.connect() as conn:
        count, distinct = conn.execute(text("SELECT count(*), count(DISTINCT id) FROM papers")).one()
    assert count == distinct == unique_ids(SNAPSHOT)


def _keys_match_the_papers(engine: Engine) -> None:
    """Every stored paper's search keys are what lexemes.search_keys gives for it."""
    for row in stored_rows(engine).values():
        keys = lexemes.search_keys(row["title"], row["abstract"], row["categories"], row["authors"])
        assert [row["search_terms"], row["search_pairs"], row["author_keys"]] == [k.tolist() for k in keys]


@ON_POSTGRES
def test_a_load_computes_the_next_batchs_keys_in_a_second_process(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batches of 40: each batch's keys come from the prefetch process (the loader computes
    none itself), and they are the keys the store's own function gives."""
    monkeypatch.setattr(ingest_module, "BULK_BATCH", 40)
    in_place: list[str] = []
    encoded = pg_bulk.encoded_keys
    monkeypatch.setattr(pg_bulk, "encoded_keys", lambda p: in_place.append(p.id) or encoded(p))
    result = load(engine, SNAPSHOT)
    assert result.new == unique_ids(SNAPSHOT) > 120
    assert in_place == []
    _keys_match_the_papers(engine)


@ON_POSTGRES
def test_when_the_key_process_fails_the_loader_computes_the_keys_and_says_so(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(ingest_module, "BULK_BATCH", 40)
    start = pg_bulk.KeyPrefetch.__init__

    def broken(self: pg_bulk.KeyPrefetch) -> None:
        start(self)
        self._pool.shutdown()  # as if the process had died before its first batch

    monkeypatch.setattr(pg_bulk.KeyPrefetch, "__init__", broken)
    assert load(engine, SNAPSHOT).new == unique_ids(SNAPSHOT)
    assert "computing search keys on the side failed" in caplog.text
    _keys_match_the_papers(engine)
    assert engine.search("author Balázs", limit=5)


@ON_POSTGRES
def test_a_file_of_one_batch_starts_no_key_process(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Starting the key process costs ~1 s, more than one batch's keys: the loader makes them."""
    prepared: list[int] = []
    prepare = pg_bulk.KeyPrefetch.prepare

    def counted(self: pg_bulk.KeyPrefetch, papers: list[Paper]) -> None:
        prepared.append(len(papers))
        prepare(self, papers)

    monkeypatch.setattr(pg_bulk.KeyPrefetch, "prepare", counted)
    assert load(engine, SNAPSHOT).new == unique_ids(SNAPSHOT)  # 200 records, BULK_BATCH 5,000
    assert prepared == []
    _keys_match_the_papers(engine)
    clear(engine)
    monkeypatch.setattr(ingest_module, "BULK_BATCH", 40)
    assert load(engine, SNAPSHOT).new == unique_ids(SNAPSHOT)
    assert len(prepared) >= 5 and set(prepared[:-1]) == {40}  # every batch, the first included
