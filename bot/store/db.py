"""Connections, sessions and migrations: the one place that knows the database URL."""

from __future__ import annotations

import fcntl
import logging
import sqlite3
import threading
import zlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event, text
from sqlalchemy.dialects.sqlite.base import SQLiteCompiler
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, NoSuchModuleError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.store import fulltext, pg_bulk

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


class StoreError(Exception):
    """The database cannot be used; the message says why in one sentence."""


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets the scheduler write while the chat processes read; busy_timeout makes
    # concurrent writers wait instead of failing at once.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA cache_size=-65536")
    cur.close()


def _no_automatic_checkpoints(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.execute("PRAGMA wal_autocheckpoint=0")  # _CommitUpkeep copies the WAL


class _CommitUpkeep:
    """What a SQLite commit leaves to do, done after it on a worker thread: merging the
    full-text indexes' segments, when the transaction wrote into them, then copying the WAL
    into the database once it holds more than SQLite's automatic checkpoint would let it
    (1,000 pages).

    Both used to run inside the writer's transaction or commit. The checkpoint: the commit
    that crossed that size copied every page and synced the file before it returned, ~35 ms
    of a 2,000-paper day's ingest (~10 MB of WAL) and 11 % of a million-paper bulk load. The
    merges: FTS5's automerge merged segments as each batch was indexed, ~30 ms of a day's
    ingest on the one connection every batch waits for. The store's connections have automatic
    checkpoints off, and its indexes automerge off (migration 0009); SQLite's documentation
    suggests a separate thread for the one and idle-time 'merge' commands for the other. Here
    merges run in steps of their own short write transactions (fulltext.merge_step: another
    writer waits ~10 ms at most), then a PASSIVE checkpoint, which never waits for a reader or
    writer: what it cannot copy yet, the next round does. A process killed meanwhile loses
    nothing, the next round merges what is left (FTS5's crisismerge 16 bounds a level until
    then). One worker serves every store of the process, and a round for a file is queued at
    most once."""

    _worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-upkeep")
    THRESHOLD = 1000 * 4096  # bytes of WAL: SQLite's default wal_autocheckpoint of default pages

    def __init__(self, path: Path) -> None:
        self._path = path
        self._wal = Path(f"{path}-wal")
        self._queued = threading.Event()
        self._merge = False  # the next round merges the index segments
        self._latest: Future[None] | None = None  # this store's last round queued

    def after_commit(self, merge: bool = False) -> None:
        """A transaction committed (`merge`: it wrote into the full-text indexes)."""
        if merge:
            self._merge = True
        if self._queued.is_set() or not (self._merge or self._wal_size() >= self.THRESHOLD):
            return
        self._queued.set()
        try:
            self._latest = self._worker.submit(self._round)
        except RuntimeError:  # the interpreter is shutting down: the last close checkpoints
            self._queued.clear()

    def wait(self) -> None:
        """Until this store's rounds queued so far have run (rounds run in order)."""
        if self._latest is not None:
            self._latest.exception()  # waits; a round logs its own errors

    def _wal_size(self) -> int:
        try:
            return self._wal.stat().st_size
        except OSError:  # no WAL yet
            return 0

    def _round(self) -> None:
        self._queued.clear()
        merge, self._merge = self._merge, False
        try:  # mode=rw: a store whose file was removed since is not created again
            conn = sqlite3.connect(
                f"{self._path.as_uri()}?mode=rw", uri=True, timeout=30, isolation_level=None
            )
            try:
                while merge and fulltext.merge_step(conn):
                    pass
                if self._wal_size() >= self.THRESHOLD:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
            finally:
                conn.close()
        except sqlite3.Error as exc:  # left for the next round; nothing is lost
            log.debug("upkeep of %s stopped: %s", self._path, exc)
            self._merge = self._merge or merge
        except Exception:  # a bug: said, never lost in the worker's future
            log.exception("upkeep of %s failed", self._path)
            self._merge = self._merge or merge


# A smaller page cache than usual (rows are appended, the id index stays small) keeps a load
# and its indexing process under 500 MB. FTS5 merges as it goes while loading (automerge 16:
# fewer, larger segments), not after each batch's commit; a side build copies these settings.
# synchronous stays NORMAL: with WAL, OFF saves little and can corrupt the file on a power cut.
_BULK_TUNING = (
    "PRAGMA cache_size=-32768",
    "PRAGMA temp_store=MEMORY",
    "INSERT INTO papers_fts(papers_fts, rank) VALUES ('automerge', 16)",
    "INSERT INTO papers_fts(papers_fts, rank) VALUES ('crisismerge', 64)",
)
_NORMAL_TUNING = (
    "PRAGMA cache_size=-65536",
    "PRAGMA temp_store=DEFAULT",
    "INSERT INTO papers_fts(papers_fts, rank) VALUES ('automerge', 0)",  # _CommitUpkeep merges
    "INSERT INTO papers_fts(papers_fts, rank) VALUES ('crisismerge', 16)",
)


# PostgreSQL: GIN takes new rows' keys into a pending list and merges it into the index
# when it is full; a 64 MB list merges sorted runs instead of ~300 random inserts per
# paper. A crash loses at most the last batches with synchronous_commit off, never data
# already committed before (and a re-load is idempotent).
_PG_BULK = ("SET synchronous_commit = off", "SET gin_pending_list_limit = '64MB'")


# PostgreSQL's search index, as migration 0011 creates it (a test compares). A load into an
# empty store drops it and builds it once at the end: GIN put every new row's ~300 keys into
# the index one by one; a build sorts them all first. The loader holds an advisory lock
# meanwhile; a process that starts, finds it missing and can take the lock (the load was
# killed) builds it again. Words, pairs and author keys share the one index (0010, 0011): one
# scan answers a word beside a phrase or an author, stepping through the commoner list only
# where the rarer points. Two indexes built side by side used both cores (~3 minutes at a
# million papers, against 4.4 for the one) but ANDed by whole bitmaps (44 ms for a common
# surname's, where the one scan takes 7).
_PG_TEXT_INDEXES = {
    "ix_papers_search": (
        "CREATE INDEX ix_papers_search ON papers USING gin (search_terms, search_pairs, author_keys)"
    ),
}
_PG_NORMAL = (
    "RESET synchronous_commit",
    "RESET gin_pending_list_limit",
    # Those that exist: another load may have dropped them (_defer_postgres_text_indexes).
    "SELECT gin_clean_pending_list(ix) FROM unnest(ARRAY["
    + ", ".join(f"to_regclass('{name}')" for name in _PG_TEXT_INDEXES)
    + "]) AS ix WHERE ix IS NOT NULL",
)
_PG_LOAD_LOCK = 0x41484C44  # "AHLD": held by a load whose text indexes are dropped


def _take_load_lock(raw: Any) -> bool:
    return bool(raw.execute("SELECT pg_try_advisory_lock(%s)", (_PG_LOAD_LOCK,)).fetchone()[0])


def _release_load_lock(raw: Any) -> None:
    raw.rollback()  # a failed statement leaves the transaction aborted; the lock is the session's
    raw.execute("SELECT pg_advisory_unlock(%s)", (_PG_LOAD_LOCK,))
    raw.commit()


def _defer_postgres_text_indexes(raw: Any) -> bool:
    """Drop the text-search indexes when the store is empty and no other load has; True if
    they were (the lock is then held until _build_postgres_text_indexes). When they cannot
    be dropped (the role does not own them, say), the load goes on with them in place."""
    if not _take_load_lock(raw):
        raw.commit()
        return False
    try:
        if raw.execute("SELECT NOT EXISTS (SELECT 1 FROM papers)").fetchone()[0]:
            for name in _PG_TEXT_INDEXES:
                raw.execute(f"DROP INDEX IF EXISTS {name}")  # fixed names only
            raw.commit()
            return True
    except Exception as exc:  # the driver's error: the transaction rolls back, nothing was dropped
        log.warning("loading with the text-search indexes in place: %s", exc)
    _release_load_lock(raw)
    return False


def _missing_postgres_text_indexes(raw: Any) -> list[str]:
    names = list(_PG_TEXT_INDEXES)
    rows = raw.execute("SELECT n FROM unnest(%s::text[]) AS n WHERE to_regclass(n) IS NULL", (names,))
    return [name for (name,) in rows.fetchall()]


def _build_postgres_text_indexes(raw: Any, connect: Callable[[], Any], why: str = "") -> list[str]:
    """Build the text-search indexes that are missing (the caller holds the load lock), each on
    a connection of its own from `connect`; their names. `why`, when given, is said first: a
    build takes minutes at a million papers. StoreError when a build fails: the next process
    to start tries again."""
    try:
        raw.rollback()  # after a failed batch, its transaction
        missing = _missing_postgres_text_indexes(raw)
        raw.commit()
        if missing and why:
            log.warning("%s: building %s, minutes at a million papers", why, ", ".join(missing))
        for name in missing:
            _build_one(connect, name)
    except Exception as exc:  # the driver's error
        raw.rollback()
        raise StoreError(
            f"building the search indexes failed ({exc}); the next start builds them again"
        ) from None
    return missing


def _build_one(connect: Callable[[], Any], name: str) -> None:
    conn = connect()
    try:
        cursor = conn.cursor()
        cursor.execute("SET maintenance_work_mem = '256MB'")  # the sort of a million papers' keys
        cursor.execute(_PG_TEXT_INDEXES[name])
        conn.commit()
    finally:
        conn.close()


def _repair_postgres_text_indexes(raw: Any, connect: Callable[[], Any]) -> list[str]:
    """Indexes a killed load left dropped, built again; none while a load holds the lock.
    Every process start runs this: when nothing is missing, it costs one query."""
    if not _missing_postgres_text_indexes(raw) or not _take_load_lock(raw):
        raw.commit()
        return []
    try:
        return _build_postgres_text_indexes(
            raw, connect, why="an interrupted bulk load dropped search indexes"
        )
    finally:
        _release_load_lock(raw)


def _tune(raw: Any, statements: Sequence[str]) -> None:
    for statement in statements:
        raw.execute(statement)
    raw.commit()  # no-op for pysqlite in autocommit; ends psycopg's implicit transaction


class BulkSessions:
    """A bulk load's sessions, one per batch, on its one tuned connection."""

    def __init__(
        self,
        conn: Connection,
        index: fulltext.IndexWriter | None,
        keys: pg_bulk.KeyPrefetch | None,
        committed: Callable[[], None] | None = None,
    ) -> None:
        self.conn = conn
        self.index = index
        self.keys = keys
        self.committed = committed  # after each batch's commit (SQLite: the WAL's checkpoint)

    def prepare(self, papers: Sequence[Any]) -> None:
        """Papers to be stored after the current batch: PostgreSQL starts on their search keys
        in its second process (pg_bulk.KeyPrefetch); SQLite has nothing to do ahead."""
        if self.keys is not None:
            self.keys.prepare(papers)

    @contextmanager
    def __call__(self, papers: Sequence[Any] = ()) -> Iterator[Session]:
        """A session in a transaction for storing `papers` (the batch prepared, if it was)."""
        with Session(bind=self.conn, expire_on_commit=False) as session, session.begin():
            if self.index is not None:
                session.info[fulltext.INDEX_WRITER] = self.index
            if self.keys is not None:
                self.keys.use(papers)
                session.info[pg_bulk.KEYS] = self.keys
            yield session
        if self.committed is not None:
            self.committed()


def _refresh_statistics(conn: Connection, dialect: str) -> None:
    if dialect == "sqlite":  # a sampled ANALYZE takes well under a second at a million papers
        conn.exec_driver_sql("PRAGMA analysis_limit=1000")
        conn.exec_driver_sql("ANALYZE")
        conn.commit()
        return
    # PostgreSQL: VACUUM as well as ANALYZE. A load leaves no visibility map, so the first
    # queries would check every candidate row's visibility in the heap and set its hint
    # bits; cold p95 230 -> 185 ms when the author index was a table of its own.
    conn.commit()
    raw: Any = conn.connection.driver_connection
    raw.autocommit = True  # VACUUM cannot run inside a transaction
    try:
        raw.execute("VACUUM (ANALYZE) papers, paper_categories")
    finally:
        raw.autocommit = False


def _check_sqlite_path(url: str) -> None:
    """A SQLite file's folder must exist: a typo in the path must not create a new, empty store."""
    path = url.split("///", 1)[1].split("?", 1)[0] if "///" in url else ""
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    folder = Path(path).expanduser().resolve().parent
    if not folder.is_dir():
        raise StoreError(
            f"DATABASE_URL: the folder {folder} does not exist; create it first or fix the path "
            "(AcademicHub creates no folders)"
        )


def _create_engine(url: str, **kwargs: Any) -> Engine:
    """create_engine, with an unknown or missing driver said in one line."""
    try:
        return create_engine(url, **kwargs)
    except (NoSuchModuleError, ImportError, ArgumentError) as exc:
        try:
            driver = make_url(url).drivername
        except ArgumentError:
            driver = url.split(":", 1)[0]
        raise StoreError(
            f"DATABASE_URL: cannot use the database driver {driver!r} ({exc}); "
            "use sqlite:///path/to/file.db or postgresql+psycopg://user@host/db"
        ) from None


# A drive reads its candidates by a bitmap heap scan, one heap page each (a row keeps its ~300
# search keys, ~4.7 KB, one to a page). With PostgreSQL's default effective_io_concurrency of 1,
# the pages a query reads first come from disk one after another: 24-47 µs a candidate (median
# over random words, a million papers); with 64 the scan asks the kernel for the next pages
# ahead of it (posix_fadvise): 10-15 µs. Warm pages cost the same either way. A platform
# without posix_fadvise refuses the setting, and the default stays there.
_PG_READ_AHEAD = "SET effective_io_concurrency = 64"


# psycopg prepares a statement the fifth time a connection runs it, and PostgreSQL may then
# plan it once for every value (a generic plan) where it planned each value on its own before.
# The search's plans depend on the values (a rare pair of words drives; a common word is walked),
# so in a long-running process `search Models "EvoMaster Foundational"` went from 19-46 ms to
# 250-290 ms once its statements had run five times. Planning each run costs well under 1 ms.
_PG_CUSTOM_PLANS = "SET plan_cache_mode = force_custom_plan"

# PostgreSQL compiles a plan to machine code (JIT) once its estimated cost passes jit_above_cost,
# which a search's drive through a common word's postings does: `author:Zhang MLLMs cat:cs.LG`
# spent 18 ms of its 290 compiling 20 functions for a query that then read 3,800 rows. A search
# is over in milliseconds; compiling pays only for scans of many seconds.
_PG_NO_JIT = "SET jit = off"


def _postgres_session(dbapi_conn: Any, _record: Any) -> None:
    for setting in (_PG_READ_AHEAD, _PG_CUSTOM_PLANS, _PG_NO_JIT):  # read at call time: tests replace them
        cursor = dbapi_conn.cursor()
        try:
            cursor.execute(setting)
        except Exception as exc:  # the driver's own error class: psycopg.errors.InvalidParameterValue
            dbapi_conn.rollback()
            log.debug("%s: left as it is: %s", setting, exc)
        else:
            dbapi_conn.commit()  # a SET outlives the transaction it is in once that commits
        finally:
            cursor.close()


class _SQLiteCompiler(SQLiteCompiler):
    """SQLite's compiler, rendering a FROM hint given for SQLite (`Select.with_hint(table,
    "INDEXED BY …", "sqlite")`), which SQLAlchemy's own drops: the search names an index
    SQLite's planner would not choose over a key lookup in the table (migration 0012)."""

    def get_from_hint_text(self, table: Any, text: str | None) -> str | None:
        return text


def make_sql_engine(url: str, read_only: bool = False) -> Engine:
    """A SQLAlchemy engine with the project's SQLite pragmas or PostgreSQL settings."""
    if url.startswith("sqlite"):
        _check_sqlite_path(url)
        engine = _create_engine(
            url,
            connect_args={"timeout": 30, "check_same_thread": False},
            # authors and categories of every row read: orjson parses them ~4× faster
            json_deserializer=orjson.loads,
        )
        engine.dialect.statement_compiler = _SQLiteCompiler
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling is switched off so we emit BEGIN ourselves:
        # IMMEDIATE takes the write lock up front, so concurrent writers queue on
        # busy_timeout instead of failing at once when a read lock cannot be upgraded.
        # Read-only sessions use a second engine with plain (deferred) BEGIN: WAL readers
        # never wait for writers.
        begin = "BEGIN" if read_only else "BEGIN IMMEDIATE"
        event.listen(engine, "connect", lambda c, _r: setattr(c, "isolation_level", None))
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql(begin))
        return engine
    engine = _create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    if engine.dialect.name == "postgresql":
        event.listen(engine, "connect", _postgres_session)
    return engine


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def _end_side_build(side: fulltext.SideBuild, raw: Any, loaded: bool) -> None:
    """Move a finished side build in; after a failed load or build, rebuild what was committed."""
    if loaded:
        try:
            side.finish()
            return
        except fulltext.IndexBuildError as exc:
            side.abandon(raw)
            raise StoreError(str(exc)) from None
    side.abandon(raw)


class Database:
    """Owns the engine and the session factory; built once by the entry point."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_sql_engine(url)
        self.dialect = self.engine.dialect.name
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._reader = make_sql_engine(url, read_only=True) if self.dialect == "sqlite" else self.engine
        self._read_sessions = sessionmaker(self._reader, expire_on_commit=False)
        path = self.sqlite_path
        self._upkeep = _CommitUpkeep(path) if path is not None else None
        if self._upkeep is not None:
            event.listen(self.engine, "connect", _no_automatic_checkpoints)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in a transaction: committed on success, rolled back on error."""
        with self._sessions() as session, session.begin():
            yield session
        if self._upkeep is not None:
            self._upkeep.after_commit(merge=bool(session.info.get(fulltext.MERGE_WANTED)))

    def wait_for_upkeep(self) -> None:
        """Until what earlier commits left to the upkeep worker (SQLite: index merges, WAL
        checkpoints) is done; nothing to wait for on PostgreSQL. For benchmarks and tests."""
        if self._upkeep is not None:
            self._upkeep.wait()

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reads only (searches, lookups): never waits for a writer on SQLite."""
        with self._read_sessions() as session, session.begin():
            yield session

    @contextmanager
    def bulk_loading(self) -> Iterator[BulkSessions]:
        """Session factory for a bulk load: one connection tuned for big batches; planner
        statistics are refreshed afterwards (the search plans lean on them at a million rows).

        Into an empty SQLite file, the full-text indexes are built on a second core
        (fulltext.SideBuild) and moved in at the end; into an empty PostgreSQL store, the
        text-search indexes are built once, after the rows, and the papers' search keys are
        computed one batch ahead in a second process (`BulkSessions.prepare`)."""
        with self.engine.connect() as conn:
            raw: Any = conn.connection.driver_connection
            bulk, normal = (
                (_BULK_TUNING, _NORMAL_TUNING) if self.dialect == "sqlite" else (_PG_BULK, _PG_NORMAL)
            )
            _tune(raw, bulk)
            side: fulltext.SideBuild | None = None
            keys: pg_bulk.KeyPrefetch | None = None
            deferred = loaded = False
            try:
                side = self._start_side_build(raw)
                deferred = self.dialect == "postgresql" and _defer_postgres_text_indexes(raw)
                keys = pg_bulk.KeyPrefetch() if self.dialect == "postgresql" else None
                committed = self._upkeep.after_commit if self._upkeep is not None else None
                yield BulkSessions(conn, side, keys, committed)
                loaded = True
            except fulltext.IndexBuildError as exc:
                raise StoreError(str(exc)) from None
            finally:
                if keys is not None:
                    keys.close()
                _tune(raw, normal)  # before the copy: FTS5 settings are written through the index
                if side is not None:
                    _end_side_build(side, raw, loaded)
                if deferred:
                    try:
                        _build_postgres_text_indexes(raw, self.engine.raw_connection)
                    finally:
                        _release_load_lock(raw)
            _refresh_statistics(conn, self.dialect)
            if side is not None:
                conn.invalidate()  # its FTS5 state predates the copied index: never reuse it
        if self._upkeep is not None:
            self._upkeep.after_commit(merge=True)  # the load's last batches, its index segments

    def _start_side_build(self, raw: Any) -> fulltext.SideBuild | None:
        path = self.sqlite_path
        if path is None:
            return None
        raw.execute("BEGIN IMMEDIATE")
        try:
            side = fulltext.start_side_build(path, raw)
        finally:
            raw.execute("COMMIT")
        return side

    @property
    def sqlite_path(self) -> Path | None:
        """The SQLite file, or None (PostgreSQL, or an in-memory database)."""
        database = self.engine.url.database if self.dialect == "sqlite" else None
        return Path(database).resolve() if database and database != ":memory:" else None

    def loading_note(self) -> str | None:
        """While a bulk load into an empty SQLite store runs (its search indexes are built on
        the side and arrive at the end), a sentence saying so and how far it has got; else None."""
        path = self.sqlite_path
        if path is None:
            return None
        with self._reader.connect() as conn:
            raw: Any = conn.connection.driver_connection
            if not fulltext.build_in_progress(raw):
                return None
            loaded = raw.execute("SELECT count(*) FROM papers").fetchone()[0]
        lock = fulltext.try_lock(fulltext.lock_path(path))
        if lock is not None:  # nobody holds it: an interrupted load, repaired at the next start
            lock.close()
            return None
        return (
            f"The store is loading: {loaded:,} papers so far. Search works again when the load "
            "finishes and its search index is in place; please try again then."
        )

    def current_revision(self) -> str | None:
        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def head_revision(self) -> str | None:
        return ScriptDirectory.from_config(alembic_config(self.engine)).get_current_head()

    def upgrade(self) -> None:
        """Apply every pending Alembic migration."""
        try:
            command.upgrade(alembic_config(self.engine), "head")
        except OperationalError as exc:
            raise StoreError(f"DATABASE_URL: cannot reach the database ({exc.orig})") from None

    def ensure_schema(self) -> None:
        """Upgrade when the schema is behind (first use of a new database file)."""
        try:
            current = self.current_revision()
        except OperationalError as exc:
            raise StoreError(f"DATABASE_URL: cannot reach the database ({exc.orig})") from None
        except DatabaseError as exc:  # e.g. SQLite's "file is not a database"
            raise StoreError(f"DATABASE_URL: {self.url} cannot be used as a database ({exc.orig})") from None
        if current != self.head_revision():
            log.info("upgrading database schema from %s", current)
            self.upgrade()
        if self.sqlite_path is not None:
            with self.engine.connect() as conn:
                fulltext.repair_interrupted_build(conn.connection.driver_connection, self.sqlite_path)
        elif self.dialect == "postgresql":
            try:
                with self.engine.connect() as conn:
                    _repair_postgres_text_indexes(
                        conn.connection.driver_connection, self.engine.raw_connection
                    )
            except StoreError as exc:  # searches still answer, by scanning: not worth stopping for
                log.warning("%s", exc)

    def ping(self) -> bool:
        """True when the database answers a trivial query."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except SQLAlchemyError:
            return False

    @contextmanager
    def only_one(self, job: str) -> Iterator[bool]:
        """True for the one process (of any number on this store) that may run `job` now;
        the others get False and skip it. PostgreSQL's advisory lock, held for the block; on
        SQLite a lock on a file beside the store."""
        if self.dialect == "postgresql":
            key = zlib.crc32(f"academichub:{job}".encode())
            with self.engine.connect() as conn:
                got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
                try:
                    yield got
                finally:
                    if got:
                        conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                        conn.commit()
            return
        path = self.sqlite_path
        if path is None:  # an in-memory store belongs to one process
            yield True
            return
        with open(f"{path}-{job}.lock", "a+b") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def dispose(self) -> None:
        """Close every connection, once what the commits left to the upkeep worker is done:
        a closed SQLite store is whole in its file (its last connection folds the WAL in)."""
        self.wait_for_upkeep()
        self.engine.dispose()
        self._reader.dispose()
