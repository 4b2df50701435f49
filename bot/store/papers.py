"""Paper persistence: idempotent upsert by canonical id, lookups by any id form."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from operator import attrgetter
from typing import Any, cast

import orjson
from sqlalchemy import JSON, Date, Table, delete, func, select, text, update
from sqlalchemy.orm import Session

from bot.identity import (
    content_hash,
    first_announcement,
    is_preprint_id,
    is_update,
    merge_duplicates,
    merge_for_update,
    title_hash,
)
from bot.ids import canonical_id, is_canonical_arxiv_id, normalize_doi
from bot.models import Paper, StoreCounts
from bot.store import fulltext, lexemes, links, pg_bulk
from bot.store.db import StoreError
from bot.store.lexemes import category_terms
from bot.store.tables import PaperCategory, PaperRow

_CHUNK = 500
_DIRECT_INDEX = "direct_index"  # Session.info key: the open fulltext.DirectIndex of an upsert
_PAPERS = cast(Table, PaperRow.__table__)
_PAPER_FIELDS = [f.name for f in dataclasses.fields(Paper)]


# A stored paper's PostgreSQL search keys, anew (an update; migration 0008's back-fill).
UPDATE_SEARCH_KEYS = text(
    "UPDATE papers SET search_terms = CAST(:terms AS bigint[]), search_pairs = CAST(:pairs AS bigint[]), "
    "author_keys = CAST(:keys AS bigint[]) WHERE pk = :pk"
)


def search_key_values(paper: Paper) -> dict[str, list[int]]:
    """UPDATE_SEARCH_KEYS's parameters for a paper."""
    terms, pairs, keys = _pg_search_values(paper)
    return {"terms": terms.tolist(), "pairs": pairs.tolist(), "keys": keys.tolist()}


def _pg_search_values(paper: Paper) -> tuple[lexemes.Keys, lexemes.Keys, lexemes.Keys]:
    return lexemes.search_keys(paper.title, paper.abstract, paper.categories, paper.authors)


def _row_values(paper: Paper) -> dict[str, Any]:
    """The columns an insert or update writes (an update keeps `arrived_at`: see _arrival)."""
    values = {name: getattr(paper, name) for name in _PAPER_FIELDS}
    values["content_hash"] = content_hash(paper)
    values["sort_date"] = paper.announced or paper.published or paper.updated
    values["category_terms"] = category_terms(paper.categories)
    values["title_hash"] = title_hash(paper.title)
    return values


def _arrival(paper: Paper, now: dt.datetime) -> dt.datetime | None:
    """When a new row arrived, for items digests take by arrival: journal (non-arXiv) ones."""
    return None if paper.is_arxiv else now


def row_to_paper(row: Any) -> Paper:
    """A Paper from a `papers` row (ORM object or Row mapping)."""
    get = row._mapping.get if hasattr(row, "_mapping") else lambda k: getattr(row, k)
    return Paper(**{name: get(name) for name in _PAPER_FIELDS})


def upsert_papers(*, session: Session, papers: Iterable[Paper]) -> StoreCounts:
    """Insert new papers, update newer versions, leave the rest; returns the counts."""
    return upsert_batches(session=session, batches=[list(papers)])


def upsert_batches(*, session: Session, batches: Iterable[Sequence[Paper]]) -> StoreCounts:
    """upsert_papers for papers that come in batches, each taken while the one before is
    being indexed (SQLite: fulltext.DirectIndex), as a feed parsed as it is stored gives them.
    A paper listed again in a later batch is stored as a later fetch of it would be."""
    counts = StoreCounts()
    arrived: list[Paper] = []
    with _indexing(session):
        for papers in batches:
            batch = merge_duplicates(papers)
            links.link_arriving_journal_items(session, batch, counts)
            ids = list(batch)
            for start in range(0, len(ids), _CHUNK):
                chunk = {i: batch[i] for i in ids[start : start + _CHUNK]}
                counts.add(_upsert_chunk(session, chunk))
            arrived.extend(batch.values())
        links.link_arriving_preprints(session, arrived)
    return counts


@contextmanager
def _indexing(session: Session) -> Iterator[None]:
    """The scope of an upsert's SQLite index writer: opened when first needed (_index_writer),
    and closed, every statement it was given run, before the upsert returns."""
    session.info[_DIRECT_INDEX] = None
    done = False
    try:
        yield
        done = True
    finally:
        index: fulltext.DirectIndex | None = session.info.pop(_DIRECT_INDEX)
        if index is not None:
            index.close(raise_errors=done)


class _StoredRow:
    """What an upsert compares a listed paper with: a stored row's identity, versions and
    announcement, read without SQLAlchemy's per-row processing (a re-listed day compares
    2,000 of them); its JSON lists are decoded only when asked for (an update)."""

    __slots__ = (
        "_authors",
        "_categories",
        "announce_type",
        "announced",
        "content_hash",
        "doi",
        "id",
        "journal",
        "journal_ref",
        "pk",
        "published",
        "sort_date",
        "version",
    )

    def __init__(self, values: Sequence[Any]) -> None:  # in _STORED_COLUMNS' order
        (self.pk, self.id, self.version, self.content_hash, self.doi, self.journal_ref,
         self.journal, announced, self.announce_type, published, sort_date,
         self._categories, self._authors) = values  # fmt: skip
        self.announced, self.published, self.sort_date = _date(announced), _date(published), _date(sort_date)

    @property
    def categories(self) -> list[str]:
        return _json_list(self._categories)

    @property
    def authors(self) -> list[str]:
        return _json_list(self._authors)


_STORED_COLUMNS = (  # _StoredRow unpacks a row in this order
    "pk", "id", "version", "content_hash", "doi", "journal_ref", "journal",
    "announced", "announce_type", "published", "sort_date", "categories", "authors",
)  # fmt: skip
_STORED = f"SELECT {', '.join(_STORED_COLUMNS)} FROM papers WHERE id "


def _date(value: Any) -> dt.date | None:
    """A DATE column's value: SQLite's ISO text or the driver's date."""
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def _json_list(value: Any) -> list[str]:
    """A JSON list column's value: SQLite's text or the driver's list."""
    return list(orjson.loads(value) if isinstance(value, str | bytes) else value or [])


def _stored_rows(session: Session, ids: Sequence[str]) -> dict[str, _StoredRow]:
    """The stored rows of these canonical ids, by id."""
    conn = session.connection()
    if session.get_bind().dialect.name == "sqlite":
        query = _STORED + "IN (SELECT value FROM json_each(?))"
        rows = conn.exec_driver_sql(query, (orjson.dumps(list(ids)).decode(),))
    else:
        rows = conn.exec_driver_sql(_STORED + "= ANY(%s)", (list(ids),))
    return {row.id: row for row in map(_StoredRow, rows)}


def _upsert_chunk(session: Session, chunk: dict[str, Paper]) -> StoreCounts:
    counts = StoreCounts()
    stored = _stored_rows(session, list(chunk))
    fresh = [p for i, p in chunk.items() if i not in stored]
    changed = [(stored[i], p) for i, p in chunk.items() if i in stored and is_update(stored[i], p)]
    counts.new = len(fresh)
    counts.updated = len(changed)
    counts.unchanged = len(chunk) - counts.new - counts.updated
    if fresh:
        _insert_fresh(session, fresh)
    for row, paper in changed:
        if (paper.version or 0) < (row.version or 0):  # an older version: only its first announcement
            day, kind = first_announcement(row, paper)
            session.execute(
                update(PaperRow)
                .where(PaperRow.pk == row.pk)
                .values(announced=day, announce_type=kind, sort_date=day or row.sort_date)
            )
            continue
        _update_one(session, row, merge_for_update(row, paper))
    return counts


def _insert_fresh(session: Session, fresh: list[Paper]) -> None:
    if session.get_bind().dialect.name == "sqlite":
        _insert_numbered(session, fresh)
        return
    _copy_fresh(session, fresh, dt.datetime.now(dt.UTC))  # a day's few papers as a load's many


def _copy_fresh(session: Session, fresh: list[Paper], now: dt.datetime) -> None:
    """PostgreSQL's new rows, with their search keys, by COPY and one INSERT … SELECT (pg_bulk)."""
    plain = _INSERT_COLUMNS[1:]  # the columns both stores have; then PostgreSQL's search keys
    json_columns = {name for name in plain if isinstance(_PAPERS.c[name].type, JSON)}
    prefetched = session.info.get(pg_bulk.KEYS)
    keys_of = prefetched.keys if prefetched is not None else pg_bulk.encoded_keys

    def row(paper: Paper) -> list[Any]:
        values = {**_row_values(paper), "arrived_at": _arrival(paper, now)}
        for name in json_columns:
            values[name] = orjson.dumps(values[name]).decode()
        return [*(values[name] for name in plain), *keys_of(paper)]

    columns = (*plain, *_PG_SEARCH_COLUMNS)

    by_id = pg_bulk.insert_rows(session, columns, (row(p) for p in fresh))
    items = [(by_id[p.id], p) for p in fresh if p.id in by_id]
    pg_bulk.copy_pairs(session, "paper_categories", ("category", "paper_pk"), _category_pairs(items))


# PostgreSQL only (migration 0008): not mapped on PaperRow, as SQLite has no such columns.
_PG_SEARCH_COLUMNS = pg_bulk.SEARCH_KEY_COLUMNS
_INSERT_COLUMNS = (
    "pk",
    *_PAPER_FIELDS,
    "content_hash",
    "sort_date",
    "category_terms",
    "title_hash",
    "arrived_at",
)


def _index_writer(session: Session) -> fulltext.IndexWriter:
    """SQLite: where this session's full-text entries go — a bulk load's side build, or the
    main file's indexes (refused while another process builds them on the side)."""
    writer = session.info.get(fulltext.INDEX_WRITER)
    if writer is not None:
        return cast(fulltext.IndexWriter, writer)
    index: fulltext.DirectIndex | None = session.info[_DIRECT_INDEX]  # the key is set by _indexing
    if index is not None:
        return index
    connection = session.connection()
    if fulltext.build_in_progress(connection.connection.driver_connection):
        raise StoreError(
            "a bulk load into the empty store is building the search index; "
            "papers can be stored again when it finishes"
        )
    index = session.info[_DIRECT_INDEX] = fulltext.DirectIndex(connection)
    session.info[fulltext.MERGE_WANTED] = True
    return index


def _insert_numbered(session: Session, fresh: list[Paper]) -> None:
    """SQLite: number the new rows ourselves and insert plain tuples, then index them.

    The session holds the write lock (BEGIN IMMEDIATE), so max(pk) + 1 … cannot be taken by
    another writer; numbering up front saves reading the keys back, and tuples through the
    driver's executemany skip SQLAlchemy's per-row parameter processing (a third of the time
    of a bulk load)."""
    writer = _index_writer(session)
    conn = session.connection()
    first = int(session.execute(select(func.max(PaperRow.pk))).scalar_one() or 0) + 1
    rows, entries = [], []
    # SQLAlchemy's SQLite DateTime storage format (it reads back what it would have written).
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    for pk, paper in enumerate(fresh, first):
        row = _sqlite_row(pk, paper, now)
        rows.append(row)
        entries.append(_index_row(pk, paper))
    names = ", ".join(_INSERT_COLUMNS)  # fixed names only
    conn.exec_driver_sql(
        f"INSERT INTO papers ({names}) VALUES ({', '.join('?' * len(_INSERT_COLUMNS))})", rows
    )
    _insert_pairs(
        session, "paper_categories", ("category", "paper_pk"), _category_pairs(enumerate(fresh, first))
    )
    writer.add(entries)


def _index_row(pk: int, paper: Paper) -> fulltext.IndexRow:
    return (pk, paper.title, paper.abstract, category_terms(paper.categories), paper.authors)


# SQLite stores JSON as text and dates as ISO strings (what SQLAlchemy's own types write and
# read back); converting only those columns of one attrgetter tuple is the bulk path's
# cheapest way from a Paper to a row.
_FIELDS_OF = attrgetter(*_PAPER_FIELDS)
_JSON_AT = [i for i, name in enumerate(_PAPER_FIELDS) if isinstance(_PAPERS.c[name].type, JSON)]
_DATE_AT = [i for i, name in enumerate(_PAPER_FIELDS) if isinstance(_PAPERS.c[name].type, Date)]


def _sqlite_row(pk: int, paper: Paper, now: str) -> tuple[Any, ...]:
    """One `papers` row in _INSERT_COLUMNS order, as the SQLite driver takes it."""
    values = list(_FIELDS_OF(paper))
    for i in _JSON_AT:
        values[i] = orjson.dumps(values[i]).decode()
    for i in _DATE_AT:
        values[i] = values[i] and values[i].isoformat()
    sort_date = paper.announced or paper.published or paper.updated
    return (
        pk,
        *values,
        content_hash(paper),
        sort_date and sort_date.isoformat(),
        category_terms(paper.categories),
        title_hash(paper.title),
        None if paper.is_arxiv else now,
    )


def _category_pairs(items: Iterable[tuple[int, Paper]]) -> list[tuple[str, int]]:
    return sorted({(cat, pk) for pk, p in items for cat in p.categories})


def _insert_pairs(
    session: Session, table: str, columns: tuple[str, str], rows: list[tuple[str, int]]
) -> None:
    """Plain executemany of (key, pk) tuples: the index tables take several rows per paper, and
    building a parameter dict per row costs more than the insert itself on bulk loads."""
    if not rows:
        return
    mark = "?" if session.get_bind().dialect.paramstyle == "qmark" else "%s"
    statement = (
        f"INSERT INTO {table} ({columns[0]}, {columns[1]}) VALUES ({mark}, {mark})"  # fixed names only
    )
    session.connection().exec_driver_sql(statement, rows)


def _update_one(session: Session, row: Any, paper: Paper) -> None:
    values = _row_values(paper)
    values.pop("id")
    sqlite = session.get_bind().dialect.name == "sqlite"
    if sqlite:  # the index entries change with the row (the text index of the main file by trigger)
        old = session.execute(
            select(PaperRow.title, PaperRow.abstract, PaperRow.category_terms).where(PaperRow.pk == row.pk)
        ).one()
        old_entry = (row.pk, old.title, old.abstract, old.category_terms, row.authors)
        _index_writer(session).replace(old_entry, _index_row(row.pk, paper))
    session.execute(update(PaperRow).where(PaperRow.pk == row.pk).values(**values))
    if paper.categories != row.categories:
        session.execute(delete(PaperCategory).where(PaperCategory.paper_pk == row.pk))
        _insert_pairs(
            session, "paper_categories", ("category", "paper_pk"), _category_pairs([(row.pk, paper)])
        )
    if not sqlite:
        session.execute(UPDATE_SEARCH_KEYS, {"pk": row.pk, **search_key_values(paper)})


def get_paper(*, session: Session, ref: str) -> Paper | None:
    """A paper by any form of its id: arXiv id/URL (any version), DOI, or link URL."""
    cid = canonical_id(ref)
    if cid is None:
        return None
    row = session.execute(select(PaperRow).where(PaperRow.id == cid)).scalar_one_or_none()
    if row is None:
        doi = normalize_doi(ref) if "10." in ref else None
        if doi:
            # Prefer the preprint that carries this DOI over a linked journal item.
            rows = session.execute(select(PaperRow).where(PaperRow.doi == doi)).scalars().all()
            row = next((r for r in rows if is_preprint_id(r.id, is_canonical_arxiv_id(r.id))), None)
            row = row or (rows[0] if rows else None)
    if row is not None and row.linked_to:
        return get_paper(session=session, ref=row.linked_to)
    return row_to_paper(row) if row is not None else None


def get_papers(*, session: Session, ids: Sequence[str]) -> dict[str, Paper]:
    """Papers by canonical id (missing ids are absent from the result)."""
    out: dict[str, Paper] = {}
    for start in range(0, len(ids), _CHUNK):
        rows = session.execute(select(PaperRow).where(PaperRow.id.in_(ids[start : start + _CHUNK])))
        for row in rows.scalars():
            out[row.id] = row_to_paper(row)
    return out


def papers_in_window(
    *, session: Session, after: Any, until: Any, arrived_after: dt.datetime | None
) -> list[Paper]:
    """A digest window's papers: arXiv papers whose listing day is in (after, until], and journal
    items that arrived after `arrived_after` (whatever date they print) — linked ones aside."""
    columns = [_PAPERS.c[name] for name in _PAPER_FIELDS]  # plain rows: no ORM identity overhead
    listed = select(*columns).where(
        _PAPERS.c.linked_to.is_(None), _PAPERS.c.arrived_at.is_(None), _PAPERS.c.sort_date <= until
    )
    if after is not None:
        listed = listed.where(_PAPERS.c.sort_date > after)
    arrived = select(*columns).where(_PAPERS.c.linked_to.is_(None), _PAPERS.c.arrived_at.is_not(None))
    if arrived_after is not None:
        arrived = arrived.where(_PAPERS.c.arrived_at > arrived_after)
    return [Paper(*row) for query in (listed, arrived) for row in session.execute(query)]


def latest_announcement(*, session: Session, until: Any) -> Any:
    """The newest arXiv listing day on or before `until`, or None (journal items print any date)."""
    return session.execute(
        select(PaperRow.sort_date)
        .where(PaperRow.sort_date <= until, PaperRow.linked_to.is_(None), PaperRow.arrived_at.is_(None))
        .order_by(PaperRow.sort_date.desc())
        .limit(1)
    ).scalar_one_or_none()
