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

import struct
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy.orm import Session

STAGING = "papers_staging"


def _staging(cursor: Any, columns: Sequence[str]) -> None:
    names = ", ".join(columns)  # fixed names only
    # Built from `papers` itself, so the staging columns have exactly its types.
    cursor.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {STAGING} ON COMMIT DELETE ROWS AS "
        f"SELECT 0 AS ord, {names} FROM papers WITH NO DATA"
    )
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
