"""Search over the local store: the author index, categories, dates and each engine's full-text index.

One function, `search_papers`, serves `/papers author|search|cat|today` on SQLite (FTS5)
and PostgreSQL (tsvector + GIN). User text only ever reaches the database as bound
parameters; FTS5 terms are quoted so its query syntax cannot be injected.

Results are newest first. Two plans answer that fast at a million papers: when some
filter is selective (a rare author, a rare word), its postings drive and the few rows are
sorted; when every filter is common ("author Wang", "model"), papers are walked newest
first through the date index and each filter is probed per row until a page is full.
A capped count of each filter's postings (< 1 ms each) picks the plan.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, column, exists, func, literal_column, or_, select, table
from sqlalchemy.orm import Session

from bot.models import Paper
from bot.names import author_matches, parse_author_query
from bot.store.papers import category_token, row_to_paper
from bot.store.tables import PaperAuthorPart, PaperCategory, PaperRow

# The FTS5 virtual table (created by the migration, not an ORM class); its hidden column of
# the same name takes MATCH.
_FTS = table("papers_fts", column("rowid"), column("papers_fts"))
_AUTHOR_FTS = table("paper_author_index", column("rowid"), column("paper_author_index"))
DRIVE_BELOW = 5000  # postings under this many drive the query; above, walk by date and probe


@dataclass(frozen=True, slots=True)
class SearchSpec:
    """What to look for; built by the engine from a parsed `/papers` command."""

    authors: Sequence[str] = ()
    categories: Sequence[str] = ()
    words: Sequence[str] = ()
    phrases: Sequence[str] = ()
    exclude: Sequence[str] = ()
    since: dt.date | None = None
    until: dt.date | None = None
    announce_types: Sequence[str] = field(default_factory=tuple)
    phrase_first: bool = False  # rank papers holding the words as one phrase first


def _fts5_quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _fts5_expression(positive: Sequence[str], negative: Sequence[str], categories: Sequence[str] = ()) -> str:
    expr = " ".join(_fts5_quote(t) for t in positive)
    if negative:
        expr = f"({expr}) NOT ({' OR '.join(_fts5_quote(t) for t in negative)})"
    if categories:
        # FTS5 intersects the category's doclist with the words' itself: no probe per row.
        tokens = " OR ".join(_fts5_quote(category_token(c)) for c in categories)
        expr = f"(category_terms : ({tokens})) AND ({expr})"
    return expr


@dataclass(slots=True)
class _Filter:
    """One narrowing condition in two forms: postings that can drive, a probe per row."""

    drive: Select[Any] | None  # SELECT of paper pks (None: cannot drive, e.g. exclusions only)
    probe: ColumnElement[bool]
    estimate: Select[Any] | None = None  # SELECT of pks, capped and counted to choose the plan


def _author_filter(session: Session, name: str) -> _Filter | None:
    query = parse_author_query(name)
    keys = query.index_keys
    if not keys:
        return None
    # The first key is the narrowest set of alternatives every match carries one of
    # (`wang#yijun=` or `wang#y.`); the other keys (more surname parts) are all required.
    if session.get_bind().dialect.name == "sqlite":  # the FTS5 author index (migration 0002)
        choices = " OR ".join(_fts5_quote(k) for k in query.first_key_choices)
        expression = " AND ".join([f"({choices})", *(_fts5_quote(k) for k in keys[1:])])
        matches = _AUTHOR_FTS.c.paper_author_index.op("MATCH")(expression)
        postings = select(_AUTHOR_FTS.c.rowid).where(matches)
        return _Filter(
            drive=postings,
            probe=exists().where(matches, _AUTHOR_FTS.c.rowid == PaperRow.pk),
            estimate=postings,
        )
    first = select(PaperAuthorPart.paper_pk).where(PaperAuthorPart.part.in_(query.first_key_choices))
    subs = [first, *(select(PaperAuthorPart.paper_pk).where(PaperAuthorPart.part == k) for k in keys[1:])]
    drive = subs[0] if len(subs) == 1 else subs[0].intersect(*subs[1:])
    probe = and_(
        exists().where(
            PaperAuthorPart.part.in_(query.first_key_choices), PaperAuthorPart.paper_pk == PaperRow.pk
        ),
        *(
            exists().where(PaperAuthorPart.part == k, PaperAuthorPart.paper_pk == PaperRow.pk)
            for k in keys[1:]
        ),
    )
    return _Filter(drive=drive, probe=probe, estimate=first)  # type: ignore[arg-type]


def _category_filter(categories: Sequence[str]) -> _Filter:
    """`math.NA` exactly; `math` = the archive itself and every `math.*` (cross-lists included)."""
    conds: list[ColumnElement[bool]] = []
    for cat in categories:
        if "." in cat:
            conds.append(PaperCategory.category == cat)
        else:
            conds.append(
                or_(
                    PaperCategory.category == cat,
                    and_(PaperCategory.category >= f"{cat}.", PaperCategory.category < f"{cat}/"),
                )
            )
    drive = select(PaperCategory.paper_pk).where(or_(*conds))
    probe = exists().where(or_(*conds), PaperCategory.paper_pk == PaperRow.pk)
    return _Filter(drive=drive, probe=probe, estimate=drive)


def _text_filter(
    session: Session, positive: Sequence[str], negative: Sequence[str], categories: Sequence[str]
) -> _Filter:
    """Words, phrases and exclusions; with words, the categories too (`cat:X word` is one
    full-text query: a mid-size category probing a common word per row was the slow case)."""
    if session.get_bind().dialect.name == "postgresql":
        tsv: ColumnElement[Any] = literal_column("papers.search_tsv")
        conds = [tsv.op("@@")(func.phraseto_tsquery("english", t)) for t in positive]
        conds += [~tsv.op("@@")(func.phraseto_tsquery("english", t)) for t in negative]
        if categories:  # tokens are [a-z0-9] only (category_token), bound as one parameter
            tokens = " | ".join(category_token(c) for c in categories)
            conds.append(tsv.op("@@")(func.to_tsquery("simple", tokens)))
        probe = and_(*conds)
        drive = select(PaperRow.pk).where(probe) if positive else None
        return _Filter(drive=drive, probe=probe, estimate=drive)
    if not positive:  # only exclusions: everything but the excluded
        excluded = select(_FTS.c.rowid).where(_FTS.c.papers_fts.op("MATCH")(_fts5_expression(negative, ())))
        return _Filter(drive=None, probe=PaperRow.pk.not_in(excluded))
    matches = _FTS.c.papers_fts.op("MATCH")(_fts5_expression(positive, negative, categories))
    drive = select(_FTS.c.rowid).where(matches)
    probe = exists().where(matches, _FTS.c.rowid == PaperRow.pk)
    return _Filter(drive=drive, probe=probe, estimate=drive)


def _filters(session: Session, spec: SearchSpec, words: Sequence[str]) -> list[_Filter]:
    out = [f for f in (_author_filter(session, a) for a in spec.authors) if f is not None]
    if spec.categories and not words:
        out.append(_category_filter(spec.categories))
    if words or spec.exclude:
        out.append(_text_filter(session, words, spec.exclude, spec.categories if words else ()))
    return out


def _driving(session: Session, drive: Select[Any]) -> Select[Any]:
    """The driver's postings as the query's first step. PostgreSQL's planner, seeing ORDER BY …
    LIMIT, may walk the date index and filter row by row instead of reading the few postings
    through the GIN index (seconds at a million papers when nothing matches); a MATERIALIZED CTE
    makes it read the postings first, as the capped count has told us they are few."""
    if session.get_bind().dialect.name != "postgresql":
        return drive
    hits = drive.cte("driving_postings").prefix_with("MATERIALIZED")
    return select(hits.c[0])


def _postings_count(session: Session, estimate: Select[Any]) -> int:
    capped = estimate.limit(DRIVE_BELOW).subquery()
    return int(session.execute(select(func.count()).select_from(capped)).scalar_one())


def _base_query(session: Session, spec: SearchSpec, words: Sequence[str]) -> Select[Any]:
    filters = _filters(session, spec, words)
    counted = [
        (_postings_count(session, f.estimate), i) for i, f in enumerate(filters) if f.estimate is not None
    ]
    driver = min(counted)[1] if counted and min(counted)[0] < DRIVE_BELOW else None
    query = select(PaperRow).where(PaperRow.linked_to.is_(None))
    for i, f in enumerate(filters):
        if i == driver and f.drive is not None:
            query = query.where(PaperRow.pk.in_(_driving(session, f.drive)))
        else:
            query = query.where(f.probe)
    if spec.since:
        query = query.where(PaperRow.sort_date >= spec.since)
    if spec.until:
        query = query.where(PaperRow.sort_date <= spec.until)
    if spec.announce_types:
        query = query.where(
            or_(PaperRow.announce_type.in_(list(spec.announce_types)), PaperRow.announce_type.is_(None))
        )
    return query.order_by(PaperRow.sort_date.desc().nulls_last(), PaperRow.pk.desc())


def _page(session: Session, query: Select[Any], spec: SearchSpec, want: int) -> list[Paper]:
    """Run the query, keeping only rows whose authors really match (the index narrows, names decide)."""
    if not spec.authors:
        return [row_to_paper(r) for r in session.execute(query.limit(want)).scalars()]
    # Candidates are read as (pk, authors) only, in growing steps: a full name with a common
    # surname ("Yijun Wang") can need thousands of `wang#y` candidates for five matches,
    # and whole rows (abstracts) in steps of 50 made that the slowest query.
    queries = [parse_author_query(a) for a in spec.authors]
    candidates = query.with_only_columns(PaperRow.pk, PaperRow.authors)
    winners: list[int] = []
    step, offset = max(want * 4, 50), 0
    while len(winners) < want:
        rows = session.execute(candidates.offset(offset).limit(step)).all()
        for pk, authors in rows:
            if all(any(author_matches(q, a) for a in authors) for q in queries):
                winners.append(pk)
        if len(rows) < step:
            break
        offset, step = offset + step, step * 4
    return _rows_in_order(session, winners[:want])


def _rows_in_order(session: Session, pks: list[int]) -> list[Paper]:
    if not pks:
        return []
    rows = {r.pk: r for r in session.execute(select(PaperRow).where(PaperRow.pk.in_(pks))).scalars()}
    return [row_to_paper(rows[pk]) for pk in pks]


def search_papers(*, session: Session, spec: SearchSpec, offset: int = 0, limit: int = 5) -> list[Paper]:
    """Papers matching the spec, newest first (whole-phrase hits first when asked)."""
    want = offset + limit
    words = [*spec.words, *spec.phrases]
    if spec.phrase_first and len(spec.words) >= 2:
        phrase = " ".join(spec.words)
        first = _page(session, _base_query(session, spec, [phrase, *spec.phrases]), spec, want + 1)
        if len(first) >= want:
            return first[offset:want]
        seen = {p.id for p in first}
        rest = _page(session, _base_query(session, spec, words), spec, want + len(first))
        merged = first + [p for p in rest if p.id not in seen]
        return merged[offset:want]
    return _page(session, _base_query(session, spec, words), spec, want)[offset:want]


def like_scan(*, session: Session, term: str, limit: int = 5) -> list[str]:
    """The naive baseline the benchmark compares against: a LIKE scan of titles and abstracts."""
    pattern = f"%{term}%"
    rows = session.execute(
        select(PaperRow.id)
        .where(or_(PaperRow.title.ilike(pattern), PaperRow.abstract.ilike(pattern)))
        .order_by(PaperRow.sort_date.desc(), PaperRow.pk.desc())
        .limit(limit)
    )
    return [r.id for r in rows]
