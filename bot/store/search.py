"""Search over the local store: the author index, categories, dates and each engine's full-text index.

One function, `search_papers`, serves `/papers author|search|cat|today` on SQLite (FTS5)
and PostgreSQL (tsvector + GIN). User text only ever reaches the database as bound
parameters; FTS5 terms are quoted so its query syntax cannot be injected.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, literal_column, or_, select, text
from sqlalchemy.orm import Session

from bot.models import Paper
from bot.names import author_matches, parse_author_query
from bot.store.papers import row_to_paper
from bot.store.tables import PaperAuthorPart, PaperCategory, PaperRow


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


def _fts5_expression(positive: Sequence[str], negative: Sequence[str]) -> str | None:
    if not positive:
        return None
    expr = " ".join(_fts5_quote(t) for t in positive)
    if negative:
        expr = f"({expr}) NOT ({' OR '.join(_fts5_quote(t) for t in negative)})"
    return expr


def _fts_clause(session: Session, positive: Sequence[str], negative: Sequence[str]) -> ColumnElement[bool]:
    if session.get_bind().dialect.name == "postgresql":
        tsv: ColumnElement[Any] = literal_column("papers.search_tsv")
        clauses = [tsv.op("@@")(func.phraseto_tsquery("english", t)) for t in positive]
        clauses += [~tsv.op("@@")(func.phraseto_tsquery("english", t)) for t in negative]
        return and_(*clauses)
    expr = _fts5_expression(positive, negative)
    if expr is None:  # only exclusions: everything but the excluded
        neg = _fts5_expression(negative, ())
        sub = text("SELECT rowid FROM papers_fts WHERE papers_fts MATCH :neg").bindparams(neg=neg)
        return PaperRow.pk.not_in(sub)
    sub = text("SELECT rowid FROM papers_fts WHERE papers_fts MATCH :expr").bindparams(expr=expr)
    return PaperRow.pk.in_(sub)


def _category_clause(categories: Sequence[str]) -> ColumnElement[bool]:
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
    return PaperRow.pk.in_(select(PaperCategory.paper_pk).where(or_(*conds)))


def _author_clause(name: str) -> ColumnElement[bool] | None:
    keys = parse_author_query(name).index_keys
    if not keys:
        return None
    subs = [select(PaperAuthorPart.paper_pk).where(PaperAuthorPart.part == k) for k in keys]
    sub = subs[0] if len(subs) == 1 else subs[0].intersect(*subs[1:])
    return PaperRow.pk.in_(sub)


def _base_query(session: Session, spec: SearchSpec, words: Sequence[str]) -> Select[Any]:
    query = select(PaperRow).where(PaperRow.linked_to.is_(None))
    for name in spec.authors:
        clause = _author_clause(name)
        if clause is not None:
            query = query.where(clause)
    if spec.categories:
        query = query.where(_category_clause(spec.categories))
    if words or spec.exclude:
        query = query.where(_fts_clause(session, words, spec.exclude))
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
    queries = [parse_author_query(a) for a in spec.authors]
    out: list[Paper] = []
    step, offset = max(want * 4, 50), 0
    while len(out) < want:
        rows = session.execute(query.offset(offset).limit(step)).scalars().all()
        for row in rows:
            if all(any(author_matches(q, a) for a in row.authors) for q in queries):
                out.append(row_to_paper(row))
        if len(rows) < step:
            break
        offset += step
    return out[:want]


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
