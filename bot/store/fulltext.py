"""SQLite's two FTS5 indexes — the text index `papers_fts` and the author index
`paper_author_index` — and how they are written.

Day to day, new papers go straight into both in the writer's transaction (`DirectIndex`).
A bulk load into an empty store builds them on the second core instead (`SideBuild`): a
thread writes both into a scratch file with the same FTS5 definitions while the main
connection stores the rows, and at the end the scratch file's index pages — the FTS5
shadow tables `<index>_data` and `<index>_idx`, all there is with external or no content
and columnsize=0 — replace the main file's in one transaction.

While a side build runs, PRAGMA user_version holds BUILD_MARK and the builder holds a lock
on the scratch file. Other processes' paper writes are refused with a clear message until
it ends (their index entries would be overwritten by the copy), and a process that finds
the mark with no builder alive (it crashed) rebuilds both indexes from `papers`.

PostgreSQL needs none of this: its tsvector is a generated column and its author index a
table, written by the repository in papers.py.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import queue
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from bot.names import index_keys_of

log = logging.getLogger(__name__)

INDEX_WRITER = "index_writer"  # Session.info key: where a bulk session's index entries go
TEXT_INDEX = "papers_fts"
AUTHOR_INDEX = "paper_author_index"
_SIDE_HASH_BYTES = 16 << 20  # FTS5 `hashsize` of a side build: 13 % faster than the 1 MB default
BUILD_MARK = 0x4148  # PRAGMA user_version while a side build is under way ("AH")

# One paper's index entries: pk, title, abstract, category_terms, author keys.
IndexRow = tuple[int, str, str, str, str]

_INSERT_TEXT = f"INSERT INTO {TEXT_INDEX}(rowid, title, abstract, category_terms) VALUES (?, ?, ?, ?)"
_INSERT_AUTHORS = f"INSERT INTO {AUTHOR_INDEX}(rowid, keys) VALUES (?, ?)"
_DELETE_TEXT = (
    f"INSERT INTO {TEXT_INDEX}({TEXT_INDEX}, rowid, title, abstract, category_terms) "
    "VALUES ('delete', ?, ?, ?, ?)"
)
_DELETE_AUTHORS = f"INSERT INTO {AUTHOR_INDEX}({AUTHOR_INDEX}, rowid, keys) VALUES ('delete', ?, ?)"


@lru_cache(maxsize=1 << 16)
def _keys_of(author: str) -> str:
    return " ".join(index_keys_of(author))


def author_keys_text(authors: Sequence[str]) -> str:
    """A paper's author-index document: every key of every author, space-separated."""
    return " ".join(_keys_of(a) for a in authors)


class IndexWriter(Protocol):
    """Where a batch's index entries go."""

    def add(self, rows: Sequence[IndexRow]) -> None:
        """Index new papers."""

    def replace(self, old: IndexRow, new: IndexRow) -> None:
        """A stored paper changed from `old` to `new` (its `papers` row is updated by the caller)."""


class DirectIndex:
    """Writes into the main file's indexes on the writer's own connection."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw  # the DBAPI connection of the session's transaction

    def add(self, rows: Sequence[IndexRow]) -> None:
        self.raw.executemany(_INSERT_TEXT, [r[:4] for r in rows])
        self.raw.executemany(_INSERT_AUTHORS, [(r[0], r[4]) for r in rows])

    def replace(self, old: IndexRow, new: IndexRow) -> None:
        # The text index follows an UPDATE of `papers` by trigger (migration 0001).
        if old[4] != new[4]:
            self.raw.execute(_DELETE_AUTHORS, (old[0], old[4]))
            self.raw.execute(_INSERT_AUTHORS, (new[0], new[4]))


def _definitions(raw: Any) -> list[tuple[str, tuple[Any, ...]]]:
    """The CREATE statements and settings that make a scratch index identical to the main one."""
    out: list[tuple[str, tuple[Any, ...]]] = []
    for name in (TEXT_INDEX, AUTHOR_INDEX):
        (sql,) = raw.execute("SELECT sql FROM sqlite_master WHERE name = ?", (name,)).fetchone()
        out.append((sql, ()))
        for key, value in raw.execute(f"SELECT k, v FROM {name}_config WHERE k != 'version'"):
            out.append((f"INSERT INTO {name}({name}, rank) VALUES (?, ?)", (key, value)))
    return out


def _scratch(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + "-fts-build")


def _lock_path(db_path: Path) -> Path:
    # Never deleted: a process locking a path another has just unlinked would lock nothing.
    return db_path.with_name(db_path.name + "-fts-build.lock")


def start_side_build(db_path: Path, raw: Any) -> SideBuild | None:
    """A side build for a load into the empty store, or None when the store has papers (or
    another load holds the lock). Call inside the loader's write transaction: the mark is
    set in it, so no other writer can slip a paper in between the check and the mark."""
    if raw.execute("SELECT EXISTS (SELECT 1 FROM papers)").fetchone()[0]:
        return None
    lock = _try_lock(_lock_path(db_path))
    if lock is None:
        return None
    raw.execute(f"PRAGMA user_version = {BUILD_MARK}")
    return SideBuild(db_path, lock, _definitions(raw))


class SideBuild:
    """Builds both indexes in `<db>-fts-build` on a thread; `finish` moves them into the store."""

    def __init__(self, db_path: Path, lock_file: Any, definitions: list[tuple[str, tuple[Any, ...]]]) -> None:
        self.db_path = db_path
        self.path = _scratch(db_path)
        self._lock_file: Any = lock_file
        self.path.unlink(missing_ok=True)
        self._queue: queue.Queue[tuple[str, Any] | None] = queue.Queue(maxsize=2)
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run, args=(definitions,), name="fts-side-build", daemon=True
        )
        self._thread.start()

    def add(self, rows: Sequence[IndexRow]) -> None:
        self._put(("add", list(rows)))

    def replace(self, old: IndexRow, new: IndexRow) -> None:
        self._put(("replace", (old, new)))

    def _put(self, item: tuple[str, Any]) -> None:
        if self._error is not None:
            raise RuntimeError(f"building the search index failed: {self._error}")
        self._queue.put(item)

    def _run(self, definitions: list[tuple[str, tuple[Any, ...]]]) -> None:
        try:
            side = sqlite3.connect(self.path, isolation_level=None)
            # A scratch file: no journal, no fsync; a crash discards it anyway.
            for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-32768"):
                side.execute(f"PRAGMA {pragma}")
            for statement, params in definitions:
                side.execute(statement, params)
            for name in (TEXT_INDEX, AUTHOR_INDEX):
                side.execute(f"INSERT INTO {name}({name}, rank) VALUES ('hashsize', ?)", (_SIDE_HASH_BYTES,))
            writer = DirectIndex(side)
            # One transaction: FTS5 writes a segment when its in-memory terms pass `hashsize`
            # or at a commit, so committing per batch would write ten times more, smaller
            # segments and merge them again.
            side.execute("BEGIN")
            while (item := self._queue.get()) is not None:
                kind, payload = item
                if kind == "add":
                    writer.add(payload)
                else:
                    old, new = payload
                    side.execute(_DELETE_TEXT, old[:4])
                    side.execute(_INSERT_TEXT, new[:4])
                    writer.replace(old, new)
            side.execute("COMMIT")
            side.close()
        except BaseException as exc:  # reported to the loader at its next batch or at finish
            self._error = exc
            with contextlib.suppress(queue.Empty):
                while True:  # unblock a loader waiting on a full queue
                    self._queue.get_nowait()

    def finish(self) -> None:
        """Wait for the thread, then replace the store's index pages with the scratch file's."""
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise RuntimeError(f"building the search index failed: {self._error}")
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
        """The load failed: stop the thread and rebuild the indexes from what was committed."""
        with contextlib.suppress(queue.Full):
            self._queue.put(None, timeout=60)
        self._thread.join(timeout=60)
        try:
            _rebuild_in_transaction(raw)
        finally:
            self._cleanup()

    def _cleanup(self) -> None:
        self.path.unlink(missing_ok=True)
        if self._lock_file is not None:
            self._lock_file.close()  # releases the lock
            self._lock_file = None


def _try_lock(path: Path) -> Any:
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
    lock = _try_lock(_lock_path(db_path))
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
