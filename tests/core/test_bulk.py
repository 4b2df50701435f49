"""The bulk JSON-lines path: a back-fill into an empty store, a re-load, and a partial overlap."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

import bot.ingest
from bot.engine import Engine
from bot.models import SourceResult
from bot.sources import iter_jsonl_papers
from bot.store import db as db_module
from bot.store import fulltext
from bot.store import papers as paper_repo
from bot.store.db import Database
from bot.store.tables import PaperCategory, PaperRow
from tests.conftest import FIXTURES
from tests.corpus import listing_papers

SNAPSHOT = FIXTURES / "corpus" / "kaggle_arxiv_metadata_oai_snapshot_first200.jsonl"


def load(engine: Engine, path: Path) -> SourceResult:
    report = engine.ingest([str(path)])
    (result,) = report.sources
    assert result.status == "ok", result.error
    return result


def unique_ids(path: Path) -> int:
    return len(
        {json.loads(line)["id"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}
    )


def sqlite_file(engine: Engine) -> Path:
    path = engine.db.sqlite_path
    assert path is not None
    return path


def assert_indexes_sound(engine: Engine) -> None:
    """FTS5's own check: the text index agrees with `papers`, the author index with itself."""
    with sqlite3.connect(sqlite_file(engine)) as conn:
        text, authors = fulltext.TEXT_INDEX, fulltext.AUTHOR_INDEX
        conn.execute(f"INSERT INTO {text}({text}, rank) VALUES ('integrity-check', 1)")  # 1: and `papers`
        conn.execute(f"INSERT INTO {authors}({authors}) VALUES ('integrity-check')")
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 0


def merge_work_left(engine: Engine) -> bool:
    """Whether FTS5's 'merge' finds a level of 4 segments or more in either index (what it
    merges is rolled back: the store is left as it was)."""
    conn = sqlite3.connect(sqlite_file(engine), isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        changed = []
        for name in (fulltext.TEXT_INDEX, fulltext.AUTHOR_INDEX):
            before = conn.total_changes
            conn.execute(f"INSERT INTO {name}({name}, rank) VALUES ('merge', 100)")
            changed.append(conn.total_changes - before >= 2)
        conn.execute("ROLLBACK")
        return any(changed)
    finally:
        conn.close()


def test_fresh_load_fills_every_index_and_a_reload_is_unchanged(engine: Engine) -> None:
    total = unique_ids(SNAPSHOT)
    first = load(engine, SNAPSHOT)
    assert (first.new, first.updated, first.unchanged) == (total, 0, 0)
    with engine.db.reading() as session:
        assert session.execute(select(func.count()).select_from(PaperRow)).scalar_one() == total
        assert session.execute(select(func.count()).select_from(PaperCategory)).scalar_one() >= total
        if engine.db.dialect == "postgresql":  # SQLite keeps the author keys in FTS5
            keyed = text("SELECT count(*) FROM papers WHERE cardinality(author_keys) > 0")
            assert session.execute(keyed).scalar_one() == total
    if engine.db.dialect == "sqlite":
        assert_indexes_sound(engine)
    assert "0704.0001" in {p.id for p in engine.search("search cat:hep-ph calculation", limit=50)}
    assert engine.search("author Balázs", limit=5)  # the author index was written
    again = load(engine, SNAPSHOT)
    assert (again.new, again.updated, again.unchanged) == (0, 0, total)


def test_load_into_a_store_that_has_some_of_the_ids(engine: Engine, tmp_path: Path) -> None:
    lines = SNAPSHOT.read_text(encoding="utf-8").splitlines()
    head = tmp_path / "head.jsonl"
    head.write_text("\n".join(lines[:50]) + "\n", encoding="utf-8")
    known = load(engine, head).new
    rest = load(engine, SNAPSHOT)
    assert rest.new == unique_ids(SNAPSHOT) - known and rest.unchanged == known and rest.updated == 0
    # Keys numbered by the bulk path follow on from the existing rows: no id is stored twice.
    with engine.db.reading() as session:
        count, distinct = session.execute(select(func.count(), func.count(PaperRow.id.distinct()))).one()
    assert count == distinct == unique_ids(SNAPSHOT)


def test_category_and_word_search_is_one_full_text_query(engine: Engine) -> None:
    load(engine, SNAPSHOT)
    hits = engine.search("search cat:hep-ph calculation", limit=50)
    assert hits and all(any(c == "hep-ph" for c in p.categories) for p in hits)
    archive = engine.search("search cat:math the", limit=50)
    assert all(any(c == "math" or c.startswith("math.") for c in p.categories) for p in archive)


def snapshot_with_a_later_version(tmp_path: Path) -> tuple[Path, str]:
    """The snapshot, then its first record again as version 9 with a new title: within one load,
    a paper stored from an earlier batch is updated."""
    lines = SNAPSHOT.read_text(encoding="utf-8").splitlines()
    record = json.loads(lines[0])
    record["title"] = "Zymurgical resummation of the first record"
    record["authors"] = "Ada Lovelace and Charles Babbage"
    record["versions"] = [
        *record["versions"],
        *[
            {"version": f"v{n}", "created": record["versions"][-1]["created"]}
            for n in range(len(record["versions"]) + 1, 10)
        ],
    ]
    path = tmp_path / "with-update.jsonl"
    path.write_text("\n".join([*lines, json.dumps(record)]) + "\n", encoding="utf-8")
    return path, record["id"]


def test_a_load_into_an_empty_sqlite_file_builds_the_indexes_on_the_side(
    sqlite_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bot.ingest, "BULK_BATCH", 40)  # several batches, so the update is a later one
    finished: list[fulltext.SideBuild] = []
    real_finish = fulltext.SideBuild.finish

    def finish(self: fulltext.SideBuild) -> None:
        finished.append(self)
        real_finish(self)

    monkeypatch.setattr(fulltext.SideBuild, "finish", finish)
    path, updated_id = snapshot_with_a_later_version(tmp_path)
    result = load(sqlite_engine, path)
    assert finished, "the load into an empty file did not take the side build"
    assert (result.new, result.updated) == (unique_ids(SNAPSHOT), 1)
    assert not finished[0].path.exists()  # the scratch file is gone
    assert_indexes_sound(sqlite_engine)
    assert [p.id for p in sqlite_engine.search("search zymurgical", limit=5)] == [updated_id]
    assert [p.id for p in sqlite_engine.search("author Babbage", limit=5)] == [updated_id]
    first = json.loads(SNAPSHOT.read_text(encoding="utf-8").splitlines()[0])
    title_only = next(
        w for w in first["title"].split() if len(w) > 5 and w.lower() not in first["abstract"].lower()
    )
    assert updated_id not in {p.id for p in sqlite_engine.search(f"search {title_only}", limit=50)}
    # A second load finds papers in the store: it writes the indexes directly.
    finished.clear()
    load(sqlite_engine, SNAPSHOT)
    assert not finished


def _segments(engine: Engine, index: str) -> int:
    """The FTS5 index's segments: its data rows past the structure record, by segment id."""
    with engine.db.engine.connect() as conn:
        query = f"SELECT count(DISTINCT id >> 37) FROM {index}_data WHERE id >= (1 << 37)"  # fixed names
        return int(conn.execute(text(query)).scalar_one())


def test_a_side_build_leaves_each_index_in_one_segment(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A search probing one paper seeks each word in every segment of the index: the side build
    merges each index into one at the end. A 4 KB in-memory hash makes the scratch index write
    a segment every few papers: without that merge this load leaves 12 and 11."""
    monkeypatch.setattr(fulltext, "_SIDE_HASH_BYTES", 4096)
    load(sqlite_engine, SNAPSHOT)
    segments = [_segments(sqlite_engine, index) for index in (fulltext.TEXT_INDEX, fulltext.AUTHOR_INDEX)]
    assert segments == [1, 1]
    assert_indexes_sound(sqlite_engine)


def test_batches_wait_for_the_indexing_process_within_a_byte_budget() -> None:
    outbox = fulltext._Outbox(limit=10)
    assert outbox.put(b"x" * 25, timeout=0)  # larger than the budget, but alone: it fits
    assert not outbox.put(b"y", timeout=0.01)  # full: the loader is told, and retries
    assert outbox.get() == b"x" * 25 and outbox.held == 0
    assert outbox.put(b"a" * 6, timeout=0) and outbox.put(b"b" * 4, timeout=0)
    assert not outbox.put(b"c", timeout=0) and outbox.held == 10
    assert outbox.put(None)  # the end always gets in
    assert [outbox.get(), outbox.get(), outbox.get()] == [b"a" * 6, b"b" * 4, None]


def test_a_side_build_with_one_batch_of_room_indexes_every_paper(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bot.ingest, "BULK_BATCH", 25)
    monkeypatch.setattr(fulltext, "OUTBOX_BYTES", 1)  # every batch waits for the one before
    result = load(sqlite_engine, SNAPSHOT)
    assert result.new == unique_ids(SNAPSHOT)
    assert_indexes_sound(sqlite_engine)
    assert sqlite_engine.search("author Balázs", limit=5)


def on_batch(monkeypatch: pytest.MonkeyPatch, number: int, action: Callable[[Any], None]) -> None:
    """Batches of 40; before storing batch `number`, `action(session)` runs (and may raise)."""
    monkeypatch.setattr(bot.ingest, "BULK_BATCH", 40)
    real_upsert = paper_repo.upsert_papers
    calls = {"n": 0}

    def upsert(**kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == number:
            action(kwargs["session"])
        return real_upsert(**kwargs)

    monkeypatch.setattr(paper_repo, "upsert_papers", upsert)


def test_a_failed_side_build_load_keeps_what_it_committed_searchable(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(_session: Any) -> None:
        raise OSError("disk full")

    on_batch(monkeypatch, 3, disk_full)
    report = sqlite_engine.ingest([str(SNAPSHOT)])
    assert report.failed == 1 and "disk full" in (report.sources[0].error or "")
    with sqlite_engine.db.reading() as session:
        stored = session.execute(select(func.count()).select_from(PaperRow)).scalar_one()
    assert stored == 80  # two batches were committed before the failure
    assert_indexes_sound(sqlite_engine)  # and indexed, by a rebuild
    assert sqlite_engine.search("author Balázs", limit=5)


def test_an_interrupted_side_build_is_rebuilt_when_the_store_is_next_opened(
    sqlite_url: str, engine_factory: Any
) -> None:
    first = engine_factory(sqlite_url)
    load(first, SNAPSHOT)
    path = sqlite_file(first)
    first.close()
    with sqlite3.connect(path) as conn:  # what a crash mid-load leaves: rows, no index, the mark
        for index in (fulltext.TEXT_INDEX, fulltext.AUTHOR_INDEX):
            conn.execute(f"INSERT INTO {index}({index}) VALUES ('delete-all')")
        conn.execute(f"PRAGMA user_version = {fulltext.BUILD_MARK}")
    reopened = engine_factory(sqlite_url)
    assert "0704.0001" in {p.id for p in reopened.search("search cat:hep-ph calculation", limit=50)}
    assert reopened.search("author Balázs", limit=5)
    assert_indexes_sound(reopened)


def test_while_another_process_builds_on_the_side_paper_writes_wait_with_a_clear_message(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    load(sqlite_engine, SNAPSHOT)
    path = sqlite_file(sqlite_engine)
    lock = fulltext.try_lock(fulltext.lock_path(path))  # the other process, alive
    assert lock is not None
    try:
        with sqlite3.connect(path) as conn:
            conn.execute(f"PRAGMA user_version = {fulltext.BUILD_MARK}")
        sqlite_engine.db.ensure_schema()  # the builder is alive: no rebuild under its feet
        with sqlite3.connect(path) as conn:
            assert conn.execute("PRAGMA user_version").fetchone()[0] == fulltext.BUILD_MARK
        lines = SNAPSHOT.read_text(encoding="utf-8").splitlines()
        record = json.loads(lines[0]) | {"id": "2611.00001"}
        new = tmp_path / "one.jsonl"
        new.write_text(json.dumps(record) + "\n", encoding="utf-8")
        report = sqlite_engine.ingest([str(new)])
        assert report.failed == 1
        assert "building the search index" in (report.sources[0].error or "")
        assert sqlite_engine.show("2611.00001") is None
    finally:
        lock.close()


def test_a_bulk_loaded_paper_reads_back_as_it_was_parsed(engine: Engine) -> None:
    """The bulk path writes rows as plain tuples (dates, JSON by hand): they must read back equal."""
    load(engine, SNAPSHOT)
    with SNAPSHOT.open("rb") as stream:
        parsed = {p.id: p for p in iter_jsonl_papers(stream, str(SNAPSHOT))}
    for paper_id in list(parsed)[:: len(parsed) // 25]:
        assert engine.show(paper_id) == parsed[paper_id]


@pytest.mark.parametrize("into", ["an empty store", "a store with papers"])
def test_during_a_load_the_commits_worker_checkpoints_the_wal_and_afterwards_too(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, into: str
) -> None:
    if into == "a store with papers":  # no side build: the indexes are written directly
        few = tmp_path / "few.jsonl"
        few.write_text("".join(SNAPSHOT.read_text(encoding="utf-8").splitlines(keepends=True)[:5]))
        load(sqlite_engine, few)
    path = sqlite_file(sqlite_engine)
    sizes: list[int] = []
    monkeypatch.setattr(db_module._CommitUpkeep, "THRESHOLD", 0)  # this load's WAL is small

    sqlite_engine.db.wait_for_upkeep()  # earlier rounds are done
    start = path.stat().st_size

    def wait_for_a_checkpoint(session: Any) -> None:
        raw = session.connection().connection.driver_connection
        assert raw.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0  # the loader never stops for one
        deadline = time.monotonic() + 10
        # Batches 1-3 sit in the WAL; only a checkpoint copies them into the file itself.
        while path.stat().st_size == start and time.monotonic() < deadline:
            time.sleep(0.05)
        sizes.extend((start, path.stat().st_size))

    on_batch(monkeypatch, 4, wait_for_a_checkpoint)
    load(sqlite_engine, SNAPSHOT)
    assert sizes[1] > sizes[0], "no checkpoint while loading"
    with sqlite_engine.db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one() == 0  # commits' worker does
    sqlite_engine.db.wait_for_upkeep()
    assert not merge_work_left(sqlite_engine)  # the load's index segments merged after it
    assert_indexes_sound(sqlite_engine)


def test_when_the_indexing_process_dies_the_load_says_so_and_the_store_stays_searchable(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def kill_the_indexer(session: Any) -> None:
        side = session.info[fulltext.INDEX_WRITER]
        side._process.kill()
        side._process.join()

    on_batch(monkeypatch, 2, kill_the_indexer)
    report = sqlite_engine.ingest([str(SNAPSHOT)])
    assert report.failed == 1 and "building the search index failed" in (report.sources[0].error or "")
    assert_indexes_sound(sqlite_engine)  # what was committed is indexed, by a rebuild
    assert sqlite_engine.search("author Balázs", limit=5)


def test_when_moving_the_side_build_in_fails_the_store_is_rebuilt_and_the_load_says_so(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing_finish(self: fulltext.SideBuild) -> None:
        raise fulltext.IndexBuildError("building the search index failed: disk full")

    monkeypatch.setattr(fulltext.SideBuild, "finish", failing_finish)
    report = sqlite_engine.ingest([str(SNAPSHOT)])
    assert report.failed == 1 and "building the search index failed" in (report.sources[0].error or "")
    assert_indexes_sound(sqlite_engine)
    assert sqlite_engine.search("author Balázs", limit=5)


# The tests below are about PostgreSQL's text-search indexes, which SQLite has no counterpart of.
ON_POSTGRES = pytest.mark.parametrize("db_url", ["postgres"], indirect=True)


def postgres_index_definitions(engine: Engine) -> dict[str, str]:
    with engine.db.engine.connect() as conn:
        rows = conn.execute(text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'papers'"))
        return {name: definition for name, definition in rows}


@ON_POSTGRES
def test_a_load_into_an_empty_postgres_store_builds_the_text_indexes_after_the_rows(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    migrated = postgres_index_definitions(engine)
    assert set(db_module._PG_TEXT_INDEXES) <= set(migrated)
    for name, statement in db_module._PG_TEXT_INDEXES.items():  # as migration 0011 made it
        assert migrated[name] == statement.replace(" ON papers", " ON public.papers")
    during: dict[str, str] = {}

    def another_process_starts(_session: Any) -> None:
        other = Database(engine.db.url)
        other.ensure_schema()  # finds the indexes missing, and the load's lock: leaves them to it
        other.dispose()
        during.update(postgres_index_definitions(engine))

    on_batch(monkeypatch, 2, another_process_starts)
    load(engine, SNAPSHOT)
    assert not set(db_module._PG_TEXT_INDEXES) & set(during)
    assert postgres_index_definitions(engine) == migrated  # the same definitions, built once
    assert engine.search('search "discrete dipole"', limit=5)
    # Into a store that has papers, the indexes stay where they are.
    during.clear()
    on_batch(monkeypatch, 1, lambda _session: during.update(postgres_index_definitions(engine)))
    load(engine, SNAPSHOT)
    assert during == migrated


@ON_POSTGRES
def test_a_postgres_load_that_dies_leaves_indexes_the_next_start_builds(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    migrated = postgres_index_definitions(engine)

    def die(_session: Any) -> None:
        raise KeyboardInterrupt  # not an error the load reports: the process stops here

    on_batch(monkeypatch, 3, die)
    with pytest.raises(KeyboardInterrupt):
        engine.ingest([str(SNAPSHOT)])
    assert postgres_index_definitions(engine) == migrated  # the load's own cleanup built them
    with engine.db.engine.begin() as conn:  # as a kill -9 in the middle would leave the store
        conn.execute(text("DROP INDEX ix_papers_search"))
    engine.db.ensure_schema()  # what every process does when it starts
    assert "an interrupted bulk load dropped search indexes: building ix_papers_search" in caplog.text
    assert postgres_index_definitions(engine) == migrated
    assert engine.search('search "discrete dipole"', limit=5)


@ON_POSTGRES
def test_a_postgres_load_beside_one_that_dropped_the_indexes_finishes_cleanly(engine: Engine) -> None:
    migrated = postgres_index_definitions(engine)
    with engine.db.engine.connect() as other_load:  # another load, mid-way: lock held, indexes dropped
        other_load.execute(text("SELECT pg_advisory_lock(:key)"), {"key": db_module._PG_LOAD_LOCK})
        other_load.execute(text("DROP INDEX ix_papers_search"))
        other_load.commit()
        result = load(engine, SNAPSHOT)  # this one keeps what indexes there are, and says nothing odd
        assert result.new == unique_ids(SNAPSHOT)
        assert "ix_papers_search" not in postgres_index_definitions(engine)  # the other load's to build
        other_load.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": db_module._PG_LOAD_LOCK})
        other_load.commit()
    engine.db.ensure_schema()
    assert postgres_index_definitions(engine) == migrated


@ON_POSTGRES
def test_when_building_the_postgres_indexes_fails_the_load_says_so_and_lets_go_of_the_lock(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    broken = {
        **db_module._PG_TEXT_INDEXES,
        "ix_papers_search": "CREATE INDEX ix_papers_search ON nowhere (x)",
    }
    monkeypatch.setattr(db_module, "_PG_TEXT_INDEXES", broken)
    report = engine.ingest([str(SNAPSHOT)])
    (result,) = report.sources
    assert result.status == "failed" and "building the search indexes failed" in (result.error or "")
    with engine.db.engine.connect() as conn:  # released: another process can take it
        assert conn.execute(
            text("SELECT pg_try_advisory_lock(:key)"), {"key": db_module._PG_LOAD_LOCK}
        ).scalar()
        conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": db_module._PG_LOAD_LOCK})
    engine.db.ensure_schema()  # fails again, and says so in the log rather than stopping the process
    assert "building the search indexes failed" in caplog.text
    monkeypatch.undo()
    engine.db.ensure_schema()
    assert "ix_papers_search" in postgres_index_definitions(engine)
    assert engine.search('search "discrete dipole"', limit=5)


def test_an_ordinary_commit_leaves_the_wal_copy_to_a_worker_thread(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A daily ingest does not wait for the checkpoint its commit would have run: the writer's
    automatic checkpoints are off, and a worker copies the WAL into the file after the commit."""
    path = sqlite_file(sqlite_engine)
    with sqlite_engine.db.session() as session:
        raw = session.connection().connection.driver_connection
        assert raw.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
    monkeypatch.setattr(db_module._CommitUpkeep, "THRESHOLD", 0)  # this listing's WAL is small
    before = path.stat().st_size
    with sqlite_engine.db.session() as session:  # the daily path (a feed's papers), not a bulk load
        counts = paper_repo.upsert_papers(session=session, papers=listing_papers("2026-06-16"))
    assert counts.new > 100
    deadline = time.monotonic() + 10
    while path.stat().st_size == before and time.monotonic() < deadline:
        time.sleep(0.02)  # only a checkpoint writes pages into the file itself
    assert path.stat().st_size > before
    assert sqlite_engine.search("learning")  # readers see it, WAL or file


def test_a_checkpoint_of_a_removed_store_does_not_create_it_again(tmp_path: Path) -> None:
    gone = tmp_path / "removed.db"
    db_module._CommitUpkeep(gone)._round()
    assert not gone.exists()


def test_postgresql_plans_every_run_of_a_prepared_statement_for_its_values(engine: Engine) -> None:
    """psycopg prepares a statement on its fifth run; the server must still plan each run for
    its own values (a search's plan depends on them), never switch to one generic plan."""
    if engine.db.dialect != "postgresql":
        pytest.skip("a PostgreSQL setting")
    with engine.db.reading() as session:
        conn = session.connection()
        for low in range(12):
            conn.exec_driver_sql("SELECT count(*) FROM papers WHERE pk > %(low)s", {"low": low}).scalar_one()
        generic, custom = conn.exec_driver_sql(
            "SELECT coalesce(sum(generic_plans), 0), coalesce(sum(custom_plans), 0) "
            "FROM pg_prepared_statements WHERE statement LIKE '%%pk > $1%%'"
        ).one()
    assert custom > 0, "psycopg no longer prepares statements: the test proves nothing"
    assert generic == 0


def test_postgresql_compiles_no_search_to_machine_code(engine: Engine) -> None:
    """jit off on every connection of the store: a search's plan that passes jit_above_cost (a
    drive through a common word's postings at a million papers) spent ~18 ms compiling."""
    if engine.db.dialect != "postgresql":
        pytest.skip("a PostgreSQL setting")
    with engine.db.reading() as session:
        conn = session.connection()
        assert conn.exec_driver_sql("SHOW jit").scalar_one() == "off"
        conn.exec_driver_sql("SET LOCAL jit_above_cost = 0")  # every plan would qualify
        plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) SELECT count(*) FROM papers").scalar_one()
        assert "JIT" not in plan[0]


def test_postgresql_reads_a_drives_heap_pages_ahead_and_a_refusal_leaves_the_default(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """effective_io_concurrency 64 on every connection of the store (bitmap heap scans ask the
    kernel for their next pages); where the server refuses it, the connection still works."""
    if engine.db.dialect != "postgresql":
        pytest.skip("a PostgreSQL setting")
    with engine.db.reading() as session:
        assert session.connection().exec_driver_sql("SHOW effective_io_concurrency").scalar_one() == "64"
    monkeypatch.setattr(db_module, "_PG_READ_AHEAD", "SET effective_io_concurrency = -1")  # refused
    refused = Database(engine.db.url)
    try:
        with refused.reading() as session:
            setting = session.connection().exec_driver_sql("SHOW effective_io_concurrency").scalar_one()
            assert setting not in ("64", "-1")  # the server's own default
            assert session.connection().exec_driver_sql("SELECT count(*) FROM papers").scalar_one() >= 0
    finally:
        refused.dispose()
