"""PostgreSQL's new papers go in by a binary COPY and one set-based INSERT … SELECT.

The repository (papers.py) still decides everything: which ids are already stored, how a
stored paper merges with a newer one, how journal items and preprints link. Only the rows
it has found to be new come here, with their search keys (lexemes.py), instead of an
executemany of one parameter set per row:

1. the batch is COPYed, in binary, into a session-private staging table (TEMP: never
   WAL-logged, like an UNLOGGED table, and no two loads can see each other's rows);
2. one `INSERT INTO papers … SELECT … FROM staging` moves them in the batch's order; the
   keys come back with RETURNING;
3. the category rows are COPYed straight into their table.

A row another writer stored in between (same id) is left as that writer stored it
(ON CONFLICT DO NOTHING) rather than failing the load.
"""

from __future__ import annotations

import logging
import multiprocessing
import struct
from collections import deque
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy.orm import Session

from bot.models import Paper
from bot.names import index_keys_of, index_keys_uncached
from bot.store import lexemes

log = logging.getLogger(__name__)

STAGING = "papers_staging"
SEARCH_KEY_COLUMNS = ("search_terms", "search_pairs", "author_keys")  # bigint[]: migration 0008
TOAST_TUPLE_TARGET = 8160  # the most PostgreSQL allows: a row is toasted only past ~8 KB


def _staging(cursor: Any, columns: Sequence[str]) -> None:
    names = ", ".join(columns)  # fixed names only
    cursor.execute("SELECT to_regclass(%s) IS NULL", (f"pg_temp.{STAGING}",))
    if cursor.fetchone()[0]:
        # Built from `papers` itself, so the staging columns have exactly its types; and stored
        # as `papers` stores them (migration 0008: rows of ~3.5 KB stay whole, the keys are
        # never compressed), or every row would be toasted once here and again in `papers`.
        cursor.execute(
            f"CREATE TEMP TABLE {STAGING} ON COMMIT DELETE ROWS AS "
            f"SELECT 0 AS ord, {names} FROM papers WITH NO DATA"
        )
        cursor.execute(f"ALTER TABLE {STAGING} SET (toast_tuple_target = {TOAST_TUPLE_TARGET})")
        for name in set(columns) & set(SEARCH_KEY_COLUMNS):
            cursor.execute(f"ALTER TABLE {STAGING} ALTER COLUMN {name} SET STORAGE EXTERNAL")
    cursor.execute(f"TRUNCATE {STAGING}")


def _copy_types(cursor: Any) -> list[str]:
    """How psycopg sends each staging column in a binary COPY: JSON as its text (json's binary
    form is the text), a bigint[] as the bytes bigint_array made, the rest as their own type."""
    cursor.execute(
        "SELECT format_type(atttypid, NULL) FROM pg_attribute WHERE attrelid = %s::regclass "
        "AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
        (STAGING,),
    )
    sent_as = {"json": "text", "bigint[]": "bytea", "character varying": "text"}
    return [sent_as.get(name, name) for (name,) in cursor.fetchall()]


def insert_rows(session: Session, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> dict[str, int]:
    """Insert `papers` rows (values in `columns` order, `id` among them, JSON columns as their
    text, bigint[] columns as bigint_array's bytes) by a binary COPY and one INSERT … SELECT;
    {id: pk} of the rows inserted."""
    raw: Any = session.connection().connection.driver_connection
    with raw.cursor() as cursor:
        _staging(cursor, columns)
        names = ", ".join(columns)
        types = _copy_types(cursor)
        with cursor.copy(f"COPY {STAGING} (ord, {names}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(types)
            for n, row in enumerate(rows):
                copy.write_row((n, *row))
        cursor.execute(
            f"INSERT INTO papers ({names}) SELECT {names} FROM {STAGING} ORDER BY ord "
            "ON CONFLICT (id) DO NOTHING RETURNING id, pk"
        )
        inserted = dict(cursor.fetchall())
        cursor.execute(f"TRUNCATE {STAGING}")
    return inserted


_INT8_OID = 20
_ELEMENT = np.dtype([("length", ">i4"), ("value", ">i8")])


def bigint_array(keys: npt.NDArray[np.int64]) -> bytes:
    """A bigint[] in PostgreSQL's binary form, as a binary COPY takes it (the column is declared
    `bytea` to psycopg, which then sends these bytes as they are). Formatting ~300 keys a paper
    as text cost ~40 µs of Python and the server as much again to parse; psycopg's own list
    dumper inspected every element (500 µs)."""
    if not len(keys):
        return struct.pack(">iiI", 0, 0, _INT8_OID)
    elements = np.empty(len(keys), dtype=_ELEMENT)
    elements["length"] = 8
    elements["value"] = keys
    return struct.pack(">iiIii", 1, 0, _INT8_OID, len(keys), 1) + elements.tobytes()


def copy_pairs(session: Session, table: str, columns: tuple[str, str], rows: list[tuple[str, int]]) -> None:
    """COPY (key, pk) index rows into `table`."""
    if not rows:
        return
    raw: Any = session.connection().connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({columns[0]}, {columns[1]}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


KEYS = "pg_search_keys"  # Session.info key: the bulk load's KeyPrefetch
EncodedKeys = tuple[bytes, bytes, bytes]  # search_terms, search_pairs, author_keys (bigint_array)
_Fields = tuple[str, str, tuple[str, ...], tuple[str, ...]]  # title, abstract, categories, authors


def _fields(paper: Paper) -> _Fields:
    return paper.title, paper.abstract, tuple(paper.categories), tuple(paper.authors)


def _encoded(fields: _Fields, name_keys: lexemes.NameKeys = index_keys_of) -> EncodedKeys:
    terms, pairs, authors = lexemes.search_keys(*fields, name_keys=name_keys)
    return bigint_array(terms), bigint_array(pairs), bigint_array(authors)


def encoded_keys(paper: Paper) -> EncodedKeys:
    """A paper's search keys as a binary COPY takes them."""
    return _encoded(_fields(paper))


def _encoded_batch(batch: list[_Fields]) -> list[EncodedKeys]:
    """The prefetch process's work: a batch's keys (a top-level function, for pickling). It
    matches no radar, so bot.names' caches would only hold what lexemes' own cache holds."""
    return [_encoded(fields, index_keys_uncached) for fields in batch]


class KeyPrefetch:
    """A PostgreSQL bulk load's search keys, computed in a second process one batch ahead.

    The keys are most of the loader's work (~60 % of its CPU: tokenising, stemming, hashing
    ~300 words a paper), and PostgreSQL's own share is small: computed in the loader, one core
    sat idle. The ingest loop hands each parsed batch to `prepare` before it stores the one
    before it; `use(batch)` makes that batch's keys the ones `keys` answers from (waiting for
    them if need be). A paper the prefetch does not hold — merged from two records of one id,
    say — gets its keys computed in place, and so does every paper once the process fails."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")  # never fork a process holding connections
        self._pool = ProcessPoolExecutor(max_workers=1, mp_context=context)
        # Each prepared batch (the list itself), its fields and its keys to come.
        self._pending: deque[tuple[Sequence[Paper], list[_Fields], Future[list[EncodedKeys]]]] = deque()
        self._ready: dict[_Fields, EncodedKeys] = {}
        self._failed = False

    def prepare(self, papers: Sequence[Paper]) -> None:
        if self._failed:
            return
        batch = [_fields(p) for p in papers]
        try:
            self._pending.append((papers, batch, self._pool.submit(_encoded_batch, batch)))
        except RuntimeError as exc:  # the pool broke or was shut down
            self._fail(exc)

    def use(self, papers: Sequence[Paper]) -> None:
        """Answer from `papers`' keys (those prepared before it are dropped, stored already)."""
        self._ready = {}
        if not any(prepared is papers for prepared, _, _ in self._pending):
            return  # not prepared: every key is computed in place
        while self._pending and not self._failed:
            prepared, batch, future = self._pending.popleft()
            try:
                computed = future.result()
            except Exception as exc:  # the process died (BrokenProcessPool) or raised
                self._fail(exc)
                return
            if prepared is papers:
                self._ready = dict(zip(batch, computed, strict=True))
                return

    def keys(self, paper: Paper) -> EncodedKeys:
        return self._ready.get(_fields(paper)) or encoded_keys(paper)

    def _fail(self, exc: BaseException) -> None:
        if not self._failed:
            log.warning("computing search keys on the side failed (%s); the loader computes them", exc)
        self._failed = True
        self._pending.clear()

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
