"""SQLite's two FTS5 indexes — the text index `papers_fts` and the author index
`paper_author_index` — and how they are written.

Day to day, new papers go straight into both in the writer's transaction (`DirectIndex`).
A bulk load into an empty store builds them on the second core instead (`SideBuild`): a
child process writes both into a scratch file with the same FTS5 definitions while the
loader stores the rows, and at the end the scratch file's index pages — the FTS5 shadow
tables `<index>_data` and `<index>_idx`, all there is with external or no content and
columnsize=0 — replace the main file's in one transaction.

While a side build runs, PRAGMA user_version holds BUILD_MARK and the builder holds a lock
on the scratch file. Other processes' paper writes are refused with a clear message until
it ends (their index entries would be overwritten by the copy), and a process that finds
the mark with no builder alive (it crashed) rebuilds both indexes from `papers`.

PostgreSQL needs none of this: its search keys are bigint[] columns of `papers`, computed
by the loader (lexemes.py) and written with the rows by the repository in papers.py.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import multiprocessing
import pickle
import signal
import sqlite3
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from functools import lru_cache
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Protocol

import orjson
from sqlalchemy import event
from sqlalchemy.engine import Connection as SAConnection

from bot.names import index_keys_uncached

log = logging.getLogger(__name__)

INDEX_WRITER = "index_writer"  # Session.info key: where a bulk session's index entries go
TEXT_INDEX = "papers_fts"
AUTHOR_INDEX = "paper_author_index"
_SIDE_HASH_BYTES = 16 << 20  # FTS5 `hashsize` of a side build: 13 % faster than the 1 MB default
OUTBOX_BYTES = 24 << 20  # pickled batches waiting for the indexing process (~3 of 5,000 papers)
BUILD_MARK = 0x4148  # PRAGMA user_version while a side build is under way ("AH")

# One paper's index entries: pk, title, abstract, category_terms, authors (keys are made by
# the writer: in a side build, by the indexing process).
IndexRow = tuple[int, str, str, str, Sequence[str]]

_INSERT_TEXT = f"INSERT INTO {TEXT_INDEX}(rowid, title, abstract, category_terms) VALUES (?, ?, ?, ?)"
_INSERT_AUTHORS = f"INSERT INTO {AUTHOR_INDEX}(rowid, keys) VALUES (?, ?)"
# A batch bound once, as one JSON array: SQLite indexes all of it in one call that never takes
# the GIL, where executemany takes it back for every row — and waits up to the interpreter's
# switch interval (5 ms) each time another thread is running Python (a side build alongside
# the loader's parsing went from 2 s to 110 s for 40,000 papers that way). The text index
# reads the new rows from `papers` itself (external content), on the connection that has just
# inserted them: only their pks are bound, and SQLite does ~15 % less work than extracting
# the same text from JSON.
_INSERT_TEXT_BATCH = (
    f"INSERT INTO {TEXT_INDEX}(rowid, title, abstract, category_terms) "
    "SELECT pk, title, abstract, category_terms FROM papers WHERE pk IN (SELECT value FROM json_each(?))"
)
_INSERT_AUTHORS_BATCH = (
    f"INSERT INTO {AUTHOR_INDEX}(rowid, keys) "
    "SELECT json_extract(value, '$[0]'), json_extract(value, '$[4]') FROM json_each(?)"
)
_DELETE_TEXT = (
    f"INSERT INTO {TEXT_INDEX}({TEXT_INDEX}, rowid, title, abstract, category_terms) "
    "VALUES ('delete', ?, ?, ?, ?)"
)
_DELETE_AUTHORS = f"INSERT INTO {AUTHOR_INDEX}({AUTHOR_INDEX}, rowid, keys) VALUES ('delete', ?, ?)"
_START_WAIT = 0.05  # seconds this thread gives the helper to take up a statement (DirectIndex.add)


# Session.info: this transaction wrote into the main file's indexes, whose segments are merged
# after its commit (merge_step), not by the writes themselves (migration 0009: automerge 0).
MERGE_WANTED = "fts_merge_wanted"
_MERGE_PAGES = 500  # FTS5 pages a merge step writes at most, per index: ~10 ms


def merge_step(conn: sqlite3.Connection) -> bool:
    """One step of merging the main file's index segments, in a write transaction of its own
    (`conn` in autocommit mode): at most _MERGE_PAGES pages per index, on levels holding
    `usermerge` (4) segments or more — the shape FTS5's automerge 4 keeps. True if either
    index had work (FTS5's documentation: a merge that does nothing changes fewer than 2 rows)."""
    worked = False
    conn.execute("BEGIN IMMEDIATE")
    try:
        for name in (TEXT_INDEX, AUTHOR_INDEX):
            before = conn.total_changes
            conn.execute(f"INSERT INTO {name}({name}, rank) VALUES ('merge', ?)", (_MERGE_PAGES,))
            worked = worked or conn.total_changes - before >= 2
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return worked


@lru_cache(maxsize=1 << 16)
def _keys_of(author: str) -> str:
    # Uncached below: this cache is the one the writer needs; filling the name caches
    # beneath it too cost time per new author and left ~30,000 more objects to collect.
    return " ".join(index_keys_uncached(author))


def author_keys_text(authors: Sequence[str]) -> str:
    """A paper's author-index document: every key of every author, space-separated."""
    return " ".join(map(_keys_of, authors))


class IndexWriter(Protocol):
    """Where a batch's index entries go."""

    def add(self, rows: Sequence[IndexRow]) -> None:
        """Index new papers."""

    def replace(self, old: IndexRow, new: IndexRow) -> None:
        """A stored paper changed from `old` to `new` (its `papers` row is updated by the caller)."""


class DirectIndex:
    """Writes into the main file's indexes on the writer's own connection.

    Its statements run in order on a helper thread, SQLite running each without the GIL,
    while the writer's thread goes on with Python: this batch's author keys (10-50 µs a new
    author), then the next batch — for a feed read as it is stored, parsing it (bot.ingest).
    Whatever else uses the connection waits for them first: its before_cursor_execute event
    calls `settle()` until `close()`, which waits for the last of them."""

    def __init__(self, connection: SAConnection) -> None:
        self._connection = connection
        self.raw: Any = connection.connection.driver_connection  # the DBAPI connection of the transaction
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fts-index-writer")
        self._pending: list[Future[None]] = []
        self._failed = False
        event.listen(connection, "before_cursor_execute", self._before_use)

    def add(self, rows: Sequence[IndexRow]) -> None:
        """Index rows this connection has just inserted into `papers` (the text is read from
        there, by pk)."""
        # The text index (porter-stemming every abstract, ~50 µs a paper) is written while this
        # thread makes the author keys: once the helper has started it. Left to take the GIL
        # from this thread's Python, it would wait out the switch interval (5 ms a batch).
        started = self._submit(_INSERT_TEXT_BATCH, orjson.dumps([r[0] for r in rows]).decode())
        started.wait(_START_WAIT)
        keys = orjson.dumps([(r[0], None, None, None, author_keys_text(r[4])) for r in rows]).decode()
        self._submit(_INSERT_AUTHORS_BATCH, keys)

    def replace(self, old: IndexRow, new: IndexRow) -> None:
        # The text index follows an UPDATE of `papers` by trigger (migration 0001).
        self.settle()
        _replace_authors(self.raw, old, new)

    def settle(self) -> None:
        """Wait until every statement given so far has run; raise the first one's error."""
        pending, self._pending = self._pending, []
        wait(pending)
        for done in pending:
            done.result()

    def close(self, *, raise_errors: bool = True) -> None:
        """Let go of the connection once its statements have run (without `raise_errors`, as
        the transaction is being rolled back anyway, their errors are dropped)."""
        event.remove(self._connection, "before_cursor_execute", self._before_use)
        try:
            if raise_errors:
                self.settle()
            else:
                wait(self._pending)
        finally:
            self._worker.shutdown()

    def _submit(self, sql: str, param: str) -> threading.Event:
        """Queue a statement; the event is set when the helper takes it up."""
        started = threading.Event()
        self._pending.append(self._worker.submit(self._execute, sql, param, started))
        return started

    def _execute(self, sql: str, param: str, started: threading.Event) -> None:
        started.set()
        if self._failed:  # an earlier statement failed: the transaction will be rolled back
            return
        try:
            self.raw.execute(sql, (param,))
        except BaseException:
            self._failed = True
            raise

    def _before_use(self, *_: Any) -> None:
        self.settle()


def _replace_authors(conn: Any, old: IndexRow, new: IndexRow) -> None:
    """A paper's author-index document, when its authors changed (contentless: the old keys
    are given to delete)."""
    if list(old[4]) != list(new[4]):
        conn.execute(_DELETE_AUTHORS, (old[0], author_keys_text(old[4])))
        conn.execute(_INSERT_AUTHORS, (new[0], author_keys_text(new[4])))


def _definitions(raw: Any) -> list[tuple[str, tuple[Any, ...]]]:
    """The CREATE statements and settings that make a scratch index identical to the main one,
    then how the scratch index is written: a larger in-memory hash (_SIDE_HASH_BYTES), and no
    merging of segments while the load runs — one merge into a single segment at the end
    (_side_worker) writes each entry once more, where merging as it went (automerge 16) wrote
    it at each level, and leaves the ~20 segments every search probe would seek."""
    out: list[tuple[str, tuple[Any, ...]]] = []
    for name in (TEXT_INDEX, AUTHOR_INDEX):
        (sql,) = raw.execute("SELECT sql FROM sqlite_master WHERE name = ?", (name,)).fetchone()
        out.append((sql, ()))
        config = raw.execute(f"SELECT k, v FROM {name}_config WHERE k != 'version'").fetchall()
        for key, value in [*config, ("hashsize", _SIDE_HASH_BYTES), ("automerge", 0)]:
            out.append((f"INSERT INTO {name}({name}, rank) VALUES (?, ?)", (key, value)))
    return out


def _scratch(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + "-fts-build")


def lock_path(db_path: Path) -> Path:
    # Never deleted: a process locking a path another has just unlinked would lock nothing.
    return db_path.with_name(db_path.name + "-fts-build.lock")


def start_side_build(db_path: Path, raw: Any) -> SideBuild | None:
    """A side build for a load into the empty store, or None when the store has papers (or
    another load holds the lock). Call inside the loader's write transaction: the mark is
    set in it, so no other writer can slip a paper in between the check and the mark."""
    if raw.execute("SELECT EXISTS (SELECT 1 FROM papers)").fetchone()[0]:
        return None
    lock = try_lock(lock_path(db_path))
    if lock is None:
        return None
    raw.execute(f"PRAGMA user_version = {BUILD_MARK}")
    return SideBuild(db_path, lock, _definitions(raw))


class IndexBuildError(RuntimeError):
    """A side build failed; the message says why."""


class SideBuild:
    """Builds both indexes in `<db>-fts-build` in a child process; `finish` moves them into
    the store.

    A process, not a thread: the loader runs Python nearly all the time, and a thread's
    every return from SQLite waits for the GIL — up to the 5 ms switch interval — so an
    indexing thread beside it ran 50× slower than alone. The child has its own GIL and
    takes pickled batches through a pipe (~2 µs a paper); up to OUTBOX_BYTES of them wait
    in the loader, which bounds memory."""

    def __init__(self, db_path: Path, lock_file: Any, definitions: list[tuple[str, tuple[Any, ...]]]) -> None:
        self.db_path = db_path
        self.path = _scratch(db_path)
        self._lock_file: Any = lock_file
        self.path.unlink(missing_ok=True)
        context = multiprocessing.get_context("spawn")  # never fork a process holding connections
        reader, self._inbox = context.Pipe(duplex=False)  # batches: loader -> child
        self._result, writer = context.Pipe(duplex=False)  # "ok" or the error: child -> loader
        self._process = context.Process(
            target=_side_worker,
            args=(str(self.path), definitions, reader, writer),
            name="academichub-fts-build",
            daemon=True,
        )
        self._process.start()
        reader.close()  # the child's ends: closed here, so either side sees the other go
        writer.close()
        _widen(self._inbox)
        # Batches wait here, pickled, while the child indexes: both sides work in bursts (FTS5
        # flushes and merges segments). Bounded in bytes, as the memory target is: at 64 MB a
        # million-paper load peaked at 479 MB for its whole process tree, at 16-32 MB at
        # 423-445 MB, equally fast (73-76 s).
        self._outbox = _Outbox(OUTBOX_BYTES)
        self._sender = threading.Thread(target=self._send, name="fts-build-sender", daemon=True)
        self._sender.start()
        self._error: str | None = None
        self._done = False  # the child reported success

    def add(self, rows: Sequence[IndexRow]) -> None:
        self._put(("add", list(rows)))

    def replace(self, old: IndexRow, new: IndexRow) -> None:
        self._put(("replace", (old, new)))

    def _put(self, item: tuple[str, Any] | None) -> None:
        frame = pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL)
        while True:
            self._check()
            if not self._process.is_alive():
                self._check(wait=True)
                raise IndexBuildError("building the search index failed: the indexing process stopped")
            if self._outbox.put(frame, timeout=1):
                return

    def _send(self) -> None:
        """The sender thread: batches to the child, so the loader never waits on the pipe."""
        alive = True
        while (frame := self._outbox.get()) is not None:
            if alive:
                try:
                    self._inbox.send_bytes(frame)
                except OSError:  # the child stopped: `_put` reports it; keep draining
                    alive = False
        self._inbox.close()

    def _check(self, wait: bool = False) -> None:
        """Raise the child's error, if it has reported one (waiting for its report if asked)."""
        if self._error is None and not self._done and self._result.poll(5 if wait else 0):
            try:
                message = self._result.recv()
            except EOFError:
                message = "the indexing process stopped"
            self._done = message == "ok"
            self._error = None if self._done else str(message)
        if self._error is not None:
            raise IndexBuildError(f"building the search index failed: {self._error}")

    def finish(self) -> None:
        """Wait for the child, then replace the store's index pages with the scratch file's."""
        self._put(None)
        self._outbox.put(None)
        self._sender.join()
        self._process.join()
        self._check(wait=True)
        if self._process.exitcode != 0:
            self._error = f"the indexing process ended with exit code {self._process.exitcode}"
            self._check()
        main = sqlite3.connect(self.db_path, timeout=60, isolation_level=None)
        try:
            main.execute("ATTACH DATABASE ? AS fts_build", (str(self.path),))
            main.execute("BEGIN IMMEDIATE")
            for name in (TEXT_INDEX, AUTHOR_INDEX):
                for shadow in ("data", "idx"):
                    main.execute(f"DELETE FROM main.{name}_{shadow}")
                    main.execute(f"INSERT INTO main.{name}_{shadow} SELECT * FROM fts_build.{name}_{shadow}")
            main.execute("PRAGMA main.user_version = 0")
            main.execute("COMMIT")
            main.execute("DETACH DATABASE fts_build")
        finally:
            main.close()
            self._cleanup()

    def abandon(self, raw: Any) -> None:
        """The load failed: stop the child and rebuild the indexes from what was committed."""
        self._process.kill()
        self._process.join()
        self._outbox.put(None)
        try:
            _rebuild_in_transaction(raw)
        finally:
            self._cleanup()

    def _cleanup(self) -> None:
        self.path.unlink(missing_ok=True)
        if self._lock_file is not None:
            self._lock_file.close()  # releases the lock
            self._lock_file = None


class _Outbox:
    """Pickled batches from the loader to the sender thread, bounded in bytes; one batch
    always fits, however large, so every batch gets through."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.held = 0  # bytes of the frames waiting
        self._frames: deque[bytes | None] = deque()
        self._changed = threading.Condition()

    def _has_room(self, size: int) -> bool:
        return not self._frames or self.held + size <= self.limit

    def put(self, frame: bytes | None, timeout: float | None = None) -> bool:
        """Queue a frame, or None for the end (which always fits); False if no room came
        within `timeout` seconds."""
        size = len(frame) if frame is not None else 0
        with self._changed:
            if not self._changed.wait_for(lambda: self._has_room(size), timeout):
                return False
            self._frames.append(frame)
            self.held += size
            self._changed.notify_all()
            return True

    def get(self) -> bytes | None:
        with self._changed:
            self._changed.wait_for(lambda: bool(self._frames))
            frame = self._frames.popleft()
            self.held -= len(frame) if frame is not None else 0
            self._changed.notify_all()
            return frame


def _widen(connection: Connection) -> None:
    """A 1 MB pipe (Linux; the default is 64 KB): a batch crosses in 10 writes, not 160, each
    of which has to win the GIL back from the loader."""
    with contextlib.suppress(OSError, AttributeError):
        fcntl.fcntl(connection.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)


def _side_worker(
    path: str, definitions: list[tuple[str, tuple[Any, ...]]], inbox: Connection, outcome: Connection
) -> None:
    """The child process of a SideBuild: index every batch from `inbox` into the scratch file.

    When the loader dies (killed, or Ctrl-C), the pipe ends: the child exits quietly, and the
    next start rebuilds the indexes (repair_interrupted_build). Ctrl-C is the loader's to handle."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        side = sqlite3.connect(path, isolation_level=None)
        # A scratch file: no journal, no fsync; a crash discards it anyway.
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-16384"):
            side.execute(f"PRAGMA {pragma}")
        for statement, params in definitions:
            side.execute(statement, params)
        # One transaction: FTS5 writes a segment when its in-memory terms pass `hashsize` or
        # at a commit, so committing per batch would write ten times more, smaller segments
        # and merge them again. Rows go in by executemany: this process has no other thread.
        side.execute("BEGIN")
        while (item := inbox.recv()) is not None:
            kind, payload = item
            if kind == "add":
                side.executemany(_INSERT_TEXT, [r[:4] for r in payload])
                side.executemany(_INSERT_AUTHORS, [(r[0], author_keys_text(r[4])) for r in payload])
            else:  # here no trigger keeps the text index: both change by hand
                old, new = payload
                side.execute(_DELETE_TEXT, old[:4])
                side.execute(_INSERT_TEXT, new[:4])
                _replace_authors(side, old, new)
        # Merged into one segment each: a search's probe of one paper seeks each term's doclist
        # in every segment, and a load merging as it went left ~20. At a million papers, probes
        # then cost 7-10× less (`"or not"` 700 -> 105 µs, `wang` 406 -> 56 µs), and the load
        # takes as long as before (90-91 s).
        for name in (TEXT_INDEX, AUTHOR_INDEX):
            side.execute(f"INSERT INTO {name}({name}) VALUES ('optimize')")
        side.execute("COMMIT")
        side.close()
        outcome.send("ok")
    except (EOFError, BrokenPipeError, ConnectionResetError):
        return  # the loader is gone: nobody to report to, and nothing worth a traceback
    except BaseException as exc:  # reported to the loader at its next batch or at finish
        with contextlib.suppress(OSError):
            outcome.send(f"{type(exc).__name__}: {exc}")


def try_lock(path: Path) -> Any:
    """An exclusive, non-blocking lock on `path` (held while the file stays open), or None."""
    handle = path.open("a")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    return handle


def build_in_progress(raw: Any) -> bool:
    """True when the store's indexes are being built on the side (by a live process or not)."""
    return bool(raw.execute("PRAGMA user_version").fetchone()[0] == BUILD_MARK)


def repair_interrupted_build(raw: Any, db_path: Path) -> bool:
    """A side build whose process died left the indexes incomplete: rebuild them. True if it did."""
    if not build_in_progress(raw):
        return False
    lock = try_lock(lock_path(db_path))
    if lock is None:
        return False  # the builder is alive
    try:
        log.warning("%s: a bulk load was interrupted; rebuilding the search indexes", db_path)
        _rebuild_in_transaction(raw)
        _scratch(db_path).unlink(missing_ok=True)
    finally:
        lock.close()
    return True


def _rebuild_in_transaction(raw: Any) -> None:
    raw.execute("BEGIN IMMEDIATE")
    try:
        rebuild(raw)
    except BaseException:
        raw.execute("ROLLBACK")
        raise
    raw.execute("COMMIT")


def _stored_rows(raw: Any) -> Iterator[list[tuple[int, str]]]:
    cursor = raw.execute("SELECT pk, authors FROM papers ORDER BY pk")
    while rows := cursor.fetchmany(5000):
        yield [(pk, author_keys_text(json.loads(authors or "[]"))) for pk, authors in rows]


def rebuild(raw: Any) -> None:
    """Both indexes from the `papers` table, in the caller's transaction; clears the mark."""
    raw.execute(f"INSERT INTO {TEXT_INDEX}({TEXT_INDEX}) VALUES ('rebuild')")
    raw.execute(f"INSERT INTO {AUTHOR_INDEX}({AUTHOR_INDEX}) VALUES ('delete-all')")
    for batch in _stored_rows(raw):
        raw.executemany(_INSERT_AUTHORS, batch)
    raw.execute("PRAGMA user_version = 0")
