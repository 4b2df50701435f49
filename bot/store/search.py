"""Search over the local store: the author index, categories, dates and each engine's full-text index.

One function, `search_papers`, serves `/papers author|search|cat|today` on SQLite (FTS5)
and PostgreSQL (tsvector + GIN). User text only ever reaches the database as bound
parameters; FTS5 terms are quoted so its query syntax cannot be injected.

Results are newest first. Two plans answer that fast at a million papers: when some
filter is selective (a rare author, a rare word), its postings drive and the few rows are
sorted; when every filter is common ("author Wang", "model"), papers are walked newest
first through the date index and each filter is probed per row until a page is full.
A capped count of each filter's postings (< 1 ms each) picks the plan. On SQLite, a walk
with a full-text filter goes in windows of the newest papers, each read from FTS5 by key range
(_windowed), and the newest 10,000 papers are walked so before any postings are counted: a
phrase's count reads its words' whole doclists.

PostgreSQL's full-text postings are not counted: building GIN's bitmap of a common word
alone takes tens of milliseconds. The planner's estimate (EXPLAIN: nothing is read) stands
in for the count. Where it is only a guess (words the statistics do not list, several
words at once, which it takes as independent), it is hedged: the newest papers are walked
first, as many as candidates are guessed, and only then do the candidates drive, taken
from GIN (exact, no row read), sorted newest first and tested one by one until a page is
full. Two cases need no guess. With categories, a B-tree counts the categories' papers
exactly, and they bound the candidates. A phrase is found by its adjacent-word pairs
(migration 0003: "toward intellig"), which GIN keeps under an index of their own, and a
single pair the planner estimates well; by its words alone, as GIN keeps no positions,
`search "cross consistency"` had ~50,000 candidates (the planner's estimate) and re-read
each one's TOASTed tsvector to find no phrase at all: 1.6 s.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ARRAY,
    Boolean,
    ColumnElement,
    Select,
    Text,
    and_,
    column,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
    table,
)
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
# SQLite's author index is FTS5, and a probe per walked paper that seeks in its doclists costs
# ~10× a B-tree probe. So below 40,000 postings a walk probes a list of them, read once
# (~6 ms for the 17,600 of `qian`); above, postings are dense, a walk is short, and FTS5
# probes each row. Measured at a million papers, `author Qian`: driving 58 ms, walking with
# FTS5 probes 82 ms, walking against the list 3 ms.
SQLITE_AUTHOR_LIST_BELOW = 40_000
WINDOW_FIRST = 2000  # SQLite: papers in the first window of a walk by key range (_windowed)
# SQLite: papers walked in windows (2,000 + 8,000) before the postings are counted, unless a
# filter's postings are known to be fewer than DRIVE_AT_ONCE: a drive then reads that many
# rows at most. A third window (32,000) made `search "for spine"` read 28,000 postings of
# `for` (600 ms), where the count finds the phrase's few through `spine` (12 ms).
WINDOW_BUDGET = 10_000
DRIVE_AT_ONCE = 1000
WALK_PER_GUESS = 1.0  # PostgreSQL full text: papers walked per guessed candidate before they drive


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
    count: int | None = None  # its postings, when already counted (capped)
    # PostgreSQL full text: the GIN test of the words alone (every match and more), and the
    # probe's test of a given tsvector, which the candidates pass after their sort.
    words: ColumnElement[bool] | None = None
    test: Callable[[ColumnElement[Any]], ColumnElement[bool]] | None = None
    guessed: bool = True  # PostgreSQL full text: whether its estimate needs a hedging walk
    # SQLite FTS5: the postings between two keys, as a condition (see _windowed).
    ranged: Callable[[int, int, ColumnElement[Any]], ColumnElement[bool]] | None = None


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _exists(session: Session, *where: ColumnElement[bool]) -> ColumnElement[bool]:
    """EXISTS as a probe of each walked row. PostgreSQL turns a plain EXISTS into a semi-join and
    plans it from its own guess (695 `tian` author rows where there were 13,450: it read them all
    and sorted, 115 ms, instead of walking 3,000 papers, 14 ms); an OFFSET keeps it a probe."""
    if _postgres(session):
        return select(literal_column("1")).where(*where).offset(0).exists()
    return exists().where(*where)


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
        count = _capped_count(session, postings, SQLITE_AUTHOR_LIST_BELOW)
        # `pk + 0`: a plain `pk IN (…)` is a key lookup to SQLite's planner, which then reads and
        # sorts every posting instead of walking by date.
        listed = (PaperRow.pk + 0).in_(postings)
        per_row = exists().where(matches, _AUTHOR_FTS.c.rowid == PaperRow.pk)
        return _Filter(
            drive=postings,
            probe=listed if count < SQLITE_AUTHOR_LIST_BELOW else per_row,
            estimate=postings,
            count=count,
            ranged=_fts5_range(_AUTHOR_FTS, matches),
        )
    first = select(PaperAuthorPart.paper_pk).where(PaperAuthorPart.part.in_(query.first_key_choices))
    subs = [first, *(select(PaperAuthorPart.paper_pk).where(PaperAuthorPart.part == k) for k in keys[1:])]
    drive = subs[0] if len(subs) == 1 else subs[0].intersect(*subs[1:])
    probe = and_(
        _exists(
            session,
            PaperAuthorPart.part.in_(query.first_key_choices),
            PaperAuthorPart.paper_pk == PaperRow.pk,
        ),
        *(
            _exists(session, PaperAuthorPart.part == k, PaperAuthorPart.paper_pk == PaperRow.pk)
            for k in keys[1:]
        ),
    )
    return _Filter(drive=drive, probe=probe, estimate=first)  # type: ignore[arg-type]


def _category_conditions(categories: Sequence[str]) -> ColumnElement[bool]:
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
    return or_(*conds)


def _category_filter(session: Session, categories: Sequence[str]) -> _Filter:
    conds = _category_conditions(categories)
    drive = select(PaperCategory.paper_pk).where(conds)
    probe = _exists(session, conds, PaperCategory.paper_pk == PaperRow.pk)
    return _Filter(drive=drive, probe=probe, estimate=drive)


def _text_filter(
    session: Session, positive: Sequence[str], negative: Sequence[str], categories: Sequence[str]
) -> _Filter:
    """Words, phrases and exclusions; with words, the categories too (`cat:X word` is one
    full-text query: a mid-size category probing a common word per row was the slow case)."""
    if _postgres(session):
        return _postgres_text_filter(session, positive, negative, categories)
    if not positive:  # only exclusions: everything but the excluded
        excluded = select(_FTS.c.rowid).where(_FTS.c.papers_fts.op("MATCH")(_fts5_expression(negative, ())))
        return _Filter(drive=None, probe=PaperRow.pk.not_in(excluded))
    matches = _FTS.c.papers_fts.op("MATCH")(_fts5_expression(positive, negative, categories))
    drive = select(_FTS.c.rowid).where(matches)
    probe = exists().where(matches, _FTS.c.rowid == PaperRow.pk)
    return _Filter(drive=drive, probe=probe, estimate=drive, ranged=_fts5_range(_FTS, matches))


def _fts5_range(
    index: Any, matches: ColumnElement[bool]
) -> Callable[[int, int, ColumnElement[Any]], ColumnElement[bool]]:
    """`key` among the index's postings between two keys: FTS5 seeks each term's doclist to the
    first key and reads on to the second, where a probe per row seeks every doclist again."""

    def ranged(low: int, high: int, key: ColumnElement[Any]) -> ColumnElement[bool]:
        return key.in_(select(index.c.rowid).where(matches, index.c.rowid.between(low, high)))

    return ranged


def _postgres_text_filter(
    session: Session, positive: Sequence[str], negative: Sequence[str], categories: Sequence[str]
) -> _Filter:
    """The text filter on PostgreSQL: GIN drives, `test` checks phrases and exclusions on the
    sorted candidates, and the plan comes from an exact bound or pair estimate where there is one."""
    tsv: ColumnElement[Any] = literal_column("papers.search_tsv")
    cats = " | ".join(category_token(c) for c in categories)  # [a-z0-9] only, one parameter
    tests = [func.phraseto_tsquery("english", t) for t in positive]
    tests += [func.to_tsquery("simple", cats)] if categories else []
    unwanted = [func.phraseto_tsquery("english", t) for t in negative]

    # The probe calls the `@@` operator's function: the same test, but no index answers it, so
    # a walk stays a walk (given `@@`, the planner swapped in the GIN index whenever it guessed
    # a term rare, and rechecked every candidate). The drive asks GIN for the papers holding
    # all the words (plainto_tsquery), which it answers exactly without reading a tsvector;
    # phrases and exclusions are then tested on the sorted candidates (_tested_in_order).
    def test(tsvector: ColumnElement[Any]) -> ColumnElement[bool]:
        return and_(
            *(func.ts_match_vq(tsvector, q, type_=Boolean) for q in tests),
            *(~func.ts_match_vq(tsvector, q, type_=Boolean) for q in unwanted),
        )

    if not positive:
        return _Filter(drive=None, probe=test(tsv))
    plain = [func.plainto_tsquery("english", t) for t in positive] + tests[len(positive) :]
    words = and_(*(tsv.op("@@")(q) for q in plain))
    drive = select(PaperRow.pk).where(words)
    found = _Filter(drive=drive, probe=test(tsv), estimate=drive, words=words, test=test)
    pairs, covered = _word_pairs(session, positive)
    if pairs and covered:
        # Every phrase is covered by its adjacent-word pairs (migration 0003): the papers holding
        # them are read from their own GIN index, for two words exactly the phrase's matches.
        # The planner estimates one array element well (from its most common elements, or below
        # the rarest of them), so the pairs' estimate picks the plan, with no hedging walk; the
        # words join the drive only as terms the pairs do not hold (single words, categories).
        in_pairs = literal_column("papers.search_pairs").op("@>")(literal(pairs, ARRAY(Text)))
        rest = [tsv.op("@@")(q) for t, q in zip(positive, plain, strict=False) if len(t.split()) < 2]
        found.words = and_(in_pairs, *rest, *(tsv.op("@@")(q) for q in plain[len(positive) :]))
        found.drive = select(PaperRow.pk).where(found.words)
        found.estimate, found.guessed = select(PaperRow.pk).where(in_pairs), False
    if categories:
        # The candidates are at most the categories' papers, which a B-tree counts exactly
        # (`cat:physics.bio-ph model`: 204 papers, none with the word, where the planner guessed
        # 3,962 candidates and the hedging walk read as many tsvectors first).
        listed = select(PaperCategory.paper_pk).where(_category_conditions(categories))
        bound = _capped_count(session, listed, DRIVE_BELOW)
        if bound < DRIVE_BELOW:
            found.count, found.guessed = bound, False
    return found


def _word_pairs(session: Session, terms: Sequence[str]) -> tuple[list[str], bool]:
    """The adjacent-lexeme pairs the PostgreSQL phrases among `terms` hold ("toward intellig"), as
    stored, and whether they cover every phrase's lexemes (not so for `"theory of everything"`,
    whose two lexemes are two positions apart, or for a phrase of one lexeme and stop words)."""
    phrases = [t for t in terms if len(t.split()) >= 2]
    pairs: list[str] = []
    covered = True
    for phrase in phrases:
        vector = func.to_tsvector("english", phrase)
        found, lexemes = session.execute(
            select(func.academichub_word_pairs(vector), func.tsvector_to_array(vector))
        ).one()
        pairs += found
        covered = covered and bool(found) and {w for p in found for w in p.split()} >= set(lexemes)
    return pairs, covered


def _filters(session: Session, spec: SearchSpec, words: Sequence[str]) -> list[_Filter]:
    out = [f for f in (_author_filter(session, a) for a in spec.authors) if f is not None]
    if spec.categories and not words:
        out.append(_category_filter(session, spec.categories))
    if words or spec.exclude:
        out.append(_text_filter(session, words, spec.exclude, spec.categories if words else ()))
    return out


def _driving(session: Session, drive: Select[Any]) -> Select[Any]:
    """The driver's postings as the query's first step. PostgreSQL's planner, seeing ORDER BY …
    LIMIT, may walk the date index and filter row by row instead of reading the few postings
    through the GIN index (seconds at a million papers when nothing matches); a MATERIALIZED CTE
    makes it read the postings first, as the capped count has told us they are few."""
    if not _postgres(session):
        return drive
    hits = drive.cte("driving_postings").prefix_with("MATERIALIZED")
    return select(hits.c[0])


def _postings_count(session: Session, f: _Filter) -> int:
    """The filter's postings, counted up to DRIVE_BELOW (or known); PostgreSQL full text: estimated."""
    assert f.estimate is not None
    if f.count is not None:
        return f.count
    if f.ranged is not None:
        # SQLite full text: the postings themselves, up to the cap, so that a drive does not
        # evaluate a phrase over its words' doclists a second time.
        postings = session.execute(f.estimate.limit(DRIVE_BELOW)).scalars().all()
        if len(postings) < DRIVE_BELOW:
            f.drive = select(literal_column("value")).select_from(func.json_each(_json_list(postings)))
        return len(postings)
    if f.words is not None:  # see the module docstring
        compiled = f.estimate.compile(dialect=session.get_bind().dialect)
        explain = "EXPLAIN (FORMAT JSON) " + str(compiled)
        plan = session.connection().exec_driver_sql(explain, compiled.params).scalar_one()
        return int(plan[0]["Plan"]["Plan Rows"])
    return _capped_count(session, f.estimate, DRIVE_BELOW)


def _capped_count(session: Session, postings: Select[Any], cap: int) -> int:
    capped = postings.limit(cap).subquery()
    return int(session.execute(select(func.count()).select_from(capped)).scalar_one())


def _page(session: Session, spec: SearchSpec, words: Sequence[str], want: int) -> list[Paper]:
    """The first `want` matches, newest first, by the plan the filters' postings counts pick."""
    filters = _filters(session, spec, words)
    windows = not _postgres(session) and WINDOW_FIRST > 0 and any(f.ranged is not None for f in filters)
    if windows and not any(f.count is not None and f.count < DRIVE_AT_ONCE for f in filters):
        # Counting a phrase's postings reads its words' whole doclists (60-90 ms for two words
        # each in a third of a million papers): the newest papers are tried first.
        found = _windowed(session, spec, filters, want, budget=WINDOW_BUDGET)
        if found is not None:
            return found
    counted = [(_postings_count(session, f), i) for i, f in enumerate(filters) if f.estimate is not None]
    driver = min(counted)[1] if counted and min(counted)[0] < DRIVE_BELOW else None
    guessed = next(((n, i) for n, i in counted if filters[i].words is not None and filters[i].guessed), None)
    if guessed is not None and driver in (None, guessed[1]):
        # PostgreSQL full text, and no other filter is selective. The guess can be far off either
        # way (`cat:cs.GR learning`: 1,611 guessed, 5,402 papers, five in the newest 1,400), so
        # walk the newest papers first, as many as candidates are guessed: a candidate costs the
        # drive about what a paper costs the walk, so a failed walk at most doubles the cost.
        newest = round(guessed[0] * WALK_PER_GUESS)
        found = _run(session, _query(session, spec, filters, None, newest=newest), spec, want, walking=True)
        if len(found) >= want:
            return found
        driver = guessed[1]
    if driver is None and windows:
        return _windowed(session, spec, filters, want) or []
    return _run(session, _query(session, spec, filters, driver), spec, want, walking=driver is None)


def _windowed(
    session: Session, spec: SearchSpec, filters: list[_Filter], want: int, budget: int | None = None
) -> list[Paper] | None:
    """SQLite's walk when full-text filters are common: papers newest first in growing windows,
    each window's matches read from FTS5 between its lowest and highest key in one pass. With
    a `budget`, None when the first `budget` papers do not fill the page.

    Probing FTS5 once per walked paper seeks every term's doclist again: for a phrase of two
    common words that hold 0.7 % of a million papers (`"evaluating llms"`), the walk of ~900
    papers took 3 s. A window costs one seek per term and the postings inside its key range;
    windows grow fourfold, so a page found only among old papers costs at most twice the
    reading of the papers up to it. Keys follow arrival, and arrival mostly follows dates, so
    a window's key range is narrow; where it is not, the range is wider, never the answer."""
    # The windows come from the date index alone (no row is read); the rows' own conditions
    # are tested with the filters.
    dates = [PaperRow.sort_date >= spec.since] if spec.since else []
    dates += [PaperRow.sort_date <= spec.until] if spec.until else []
    newest = _newest_first(select(PaperRow.pk).where(*dates))
    found: list[Paper] = []
    start, size = 0, WINDOW_FIRST
    while len(found) < want:
        if budget is not None and start >= budget:
            return None
        window = session.execute(newest.offset(start).limit(size)).scalars().all()
        if not window:
            break
        found += _run(session, _window_query(spec, filters, window), spec, want - len(found))
        if len(window) < size:
            break
        start, size = start + size, size * 4
    return found


def _window_query(spec: SearchSpec, filters: list[_Filter], window: Sequence[int]) -> Select[Any]:
    """The matches among `window` (keys, newest first), in its order."""
    keys = func.json_each(_json_list(window)).table_valued("key", "value").alias("window")
    # Tested on the window's keys, the full-text conditions skip the rows they reject unread.
    low, high = min(window), max(window)
    conds = [f.ranged(low, high, keys.c.value) if f.ranged else f.probe for f in filters]
    return (
        select(PaperRow)
        .select_from(keys)
        .join(PaperRow, PaperRow.pk == keys.c.value)
        .where(PaperRow.linked_to.is_(None), *_scope(spec), *conds)
        .order_by(keys.c.key)
    )


def _json_list(values: Sequence[int]) -> str:
    return "[" + ",".join(map(str, values)) + "]"


def _scope(spec: SearchSpec) -> list[ColumnElement[bool]]:
    """The spec's dates and announcement types."""
    conds: list[ColumnElement[bool]] = []
    if spec.since:
        conds.append(PaperRow.sort_date >= spec.since)
    if spec.until:
        conds.append(PaperRow.sort_date <= spec.until)
    if spec.announce_types:
        conds.append(
            or_(PaperRow.announce_type.in_(list(spec.announce_types)), PaperRow.announce_type.is_(None))
        )
    return conds


def _newest_first(query: Select[Any]) -> Select[Any]:
    return query.order_by(PaperRow.sort_date.desc().nulls_last(), PaperRow.pk.desc())


def _within_newest(query: Select[Any], spec: SearchSpec, n: int) -> Select[Any]:
    """The query over the newest n papers in scope, in their order: joined to the date index's
    first n rows, the walk stops at a full page or after n papers."""
    listed = select(PaperRow).where(PaperRow.linked_to.is_(None), *_scope(spec))
    newest = (
        _newest_first(listed).with_only_columns(PaperRow.pk, PaperRow.sort_date).limit(n).subquery("newest")
    )
    joined = query.join(newest, PaperRow.pk == newest.c.pk)
    return joined.order_by(newest.c.sort_date.desc().nulls_last(), newest.c.pk.desc())


def _query(
    session: Session, spec: SearchSpec, filters: list[_Filter], driver: int | None, newest: int | None = None
) -> Select[Any]:
    """Filter `driver` drives, the others probe; with `newest`, only about that many papers are walked."""
    query = select(PaperRow).where(PaperRow.linked_to.is_(None))
    test = None
    for i, f in enumerate(filters):
        if i == driver and f.words is not None:
            query, test = query.where(f.words), f.test
        elif i == driver and f.drive is not None:
            query = query.where(PaperRow.pk.in_(_driving(session, f.drive)))
        else:
            query = query.where(f.probe)
    query = query.where(*_scope(spec))
    if newest is not None:
        return _within_newest(query, spec, newest)
    query = _newest_first(query)
    return query if test is None else _tested_in_order(query, test)


def _tested_in_order(
    query: Select[Any], test: Callable[[ColumnElement[Any]], ColumnElement[bool]]
) -> Select[Any]:
    """The query's candidates sorted newest first, then tested in turn until the page is full: only
    the newest candidates pay for reading their TOASTed tsvector. The sort carries pk, date and the
    tsvector's TOAST pointer only; OFFSET 0 keeps the planner from moving the test below it."""
    tsvector: ColumnElement[Any] = literal_column("papers.search_tsv").label("search_tsv")
    ordered = (
        query.with_only_columns(PaperRow.pk, PaperRow.sort_date, tsvector).offset(0).subquery("candidates")
    )
    joined = select(PaperRow).join(ordered, PaperRow.pk == ordered.c.pk).where(test(ordered.c.search_tsv))
    return joined.order_by(ordered.c.sort_date.desc().nulls_last(), ordered.c.pk.desc())


def _run(
    session: Session, query: Select[Any], spec: SearchSpec, want: int, walking: bool = False
) -> list[Paper]:
    """Run the query, keeping only rows whose authors really match (the index narrows, names decide)."""
    if not spec.authors:
        return [row_to_paper(r) for r in session.execute(query.limit(want)).scalars()]
    # Candidates are read as (pk, authors) only, in growing steps: a full name with a common
    # surname ("Yijun Wang") can need thousands of `wang#y` candidates for five matches,
    # and whole rows (abstracts) in steps of 50 made that the slowest query. A walk's cost grows
    # with the candidates it must find, and a surname's candidates nearly all match, so a walk
    # asks for a page first (`author Martin`: 9,600 papers walked for 50 candidates, 28 ms);
    # driven postings are sorted whole whatever the step, so they take a bigger one.
    queries = [parse_author_query(a) for a in spec.authors]
    candidates = query.with_only_columns(PaperRow.pk, PaperRow.authors)
    winners: list[int] = []
    step, offset = (want if walking else max(want * 4, 50)), 0
    while len(winners) < want:
        rows = session.execute(candidates.offset(offset).limit(step)).all()
        for pk, authors in rows:  # collaborations list hundreds of authors: stop at a full page
            if len(winners) < want and all(any(author_matches(q, a) for a in authors) for q in queries):
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
        first = _page(session, spec, [phrase, *spec.phrases], want + 1)
        if len(first) >= want:
            return first[offset:want]
        seen = {p.id for p in first}
        rest = _page(session, spec, words, want + len(first))
        merged = first + [p for p in rest if p.id not in seen]
        return merged[offset:want]
    return _page(session, spec, words, want)[offset:want]


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
