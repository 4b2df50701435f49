"""Search over the local store: the author index, categories, dates and each engine's full-text index.

One function, `search_papers`, serves `/papers author|search|cat|today` on SQLite (FTS5)
and PostgreSQL (bigint[] search keys under GIN, migration 0008 and lexemes.py). User text
only ever reaches the database as bound parameters; FTS5 terms are quoted so its query
syntax cannot be injected.

Results are newest first. Two plans answer that fast at a million papers: when some
filter is selective (a rare author, a rare word), its postings drive and the few rows are
sorted; when every filter is common ("author Wang", "model"), papers are walked newest
first through the date index and each filter is probed per row until a page is full.
A capped count of each filter's postings (< 1 ms each) picks the plan. On SQLite, a walk with
a full-text filter goes in windows of the newest papers, each read from FTS5 by key range
(_windowed), and the postings that choose it are read only up to 200 (_full_text_page).

PostgreSQL's postings in GIN (words, pairs, author keys) are not counted: building GIN's
bitmap of a common key alone takes tens of milliseconds, and counting reads a heap page a
posting. The planner's estimate (EXPLAIN: nothing is read) stands in; with categories, a
B-tree counts their papers exactly and bounds the candidates. Every driven candidate costs
a heap page, cached or not, where a walk reads the newest papers' cached pages: so only a
few postings drive at once, and otherwise the newest papers are walked first, as many as
the postings are estimated (_postgres_page). A phrase is found by its pairs of consecutive
words (`search_pairs`, under one GIN index with the words: one scan finds both); by its words alone, as
GIN keeps no positions, `search "cross consistency"` had ~50,000 candidates and read each
one to find no phrase at all: 1.6 s.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import math
import typing
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import Stemmer
from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    ColumnElement,
    Select,
    and_,
    case,
    cast,
    column,
    exists,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    table,
    text,
    true,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import UnaryExpression
from sqlalchemy.sql.operators import custom_op

from bot.models import Paper
from bot.names import author_matches, parse_author_query
from bot.store import lexemes
from bot.store.lexemes import category_token
from bot.store.papers import row_to_paper
from bot.store.tables import PaperCategory, PaperRow

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
DRIVE_AT_ONCE = 200  # SQLite: FTS5 postings under this many drive; above, windows (_full_text_page)
# SQLite: an author's postings are counted anyway (_author_filter); under this many they drive.
# Between 200 and 1,000 a full name's windows went deep, as few of its index matches are
# the person: `author "Mritula Chandrasekaran"` 25 ms in windows, 14 ms driven, on a machine
# that kept the store's pages cached. Where a page outside SQLite's own cache costs ~30 µs
# (4 December), each driven paper is a random read, and an author beside words an FTS5 probe
# of them per paper (~0.2 ms): at 300 rather than 1,000, full names and surnames p95 35.5 ms
# against 66.5, author + text 62.3 against 81.8 (each query both ways in random order).
AUTHORS_DRIVE_BELOW = 300
# SQLite: a driver this small leaves an author too common to list to the name check (_driven).
NAMES_DECIDE_BELOW = 1000
# SQLite: where an author's postings drive past the windows (_driven with `meet`), the words
# beside them are either read whole (a meet) or sought at each of the author's keys, whichever
# costs less by these figures (measured at a million papers, one FTS5 segment): a seek of one
# term's doclist to a key ~20 µs; a leaf of a doclist walked (~2,500 postings) ~75 µs; and
# the matches kept for the meet, at most the rarest term's postings, ~250 µs a leaf of them
# (`language`, 151 leaves, 404,612 papers: 20 ms to count, 58 to meet). FTS5 walks an AND or
# a phrase by its rarest term and seeks the others to each of its postings, so a common term
# beside a rare one costs at most SKIP_LEAVES leaves per leaf of the rarer (`"Simply by"`:
# `by`'s 235 leaves beside `simpli`'s 3, 4.3 ms to read whole; counting `by` alone takes 20).
# So `author:Kuo Language` seeks (640 keys: 13 ms, against 58-92), `author:Na "to the"` seeks
# (2,511 keys × 2 terms, against ~1,000 leaves each: 240 ms), and `author:Ha Disagree` (the
# word's two leaves: 1 ms, where 2,150 seeks took 63) and `author:Alavi "Simply by"` (760
# keys: 53 ms sought) read.
SEEK_MICROS = 20
LEAF_MICROS = 75
KEEP_MICROS = 250
SKIP_LEAVES = 16
# SQLite: excluded words beside an author or a category (no words wanted) are a NOT IN of
# their postings, which SQLite reads whole into a temporary table, ~300 µs a leaf (`model`,
# 794,083 papers, 352 leaves: 108 ms; `lattice`, 2,058: 0.3). Where seeking each candidate in
# their doclists costs less (SEEK_MICROS), the candidates are tested a step at a time instead
# (_exclusions_by_step): `author Geva -Models`, 376 papers that all hold it, 220 ms -> 50.
EXCLUDE_MICROS = 300
FIRST_STEP = 50  # _run's first step of driven candidates (then four times the last)
# SQLite: a category beside an author's postings, in windows, meets them below this many times
# their number, and is probed on the candidates' rows above (_categories_met). Each way,
# warm, at a million papers: `author:Wong cat:eess.SP` (4,632 and 5,470) 27 ms met against
# 77 probed, `author:Ho cat:eess` (3,680 and 18,087) 43 against 64; `author:Sappa cat:cs.CL`
# (618 and 287,464) 100 against 31, `author:Landrieu cat:cs.LG` 57 against 28.
CATEGORY_MEETS_BELOW = 8
CATEGORY_COUNT_CAP = 50_000  # counted no further (~0.1 µs a posting: ~5 ms)
# SQLite: where the first two windows of an author beside words found part of a page, the
# two meet among the newest papers, and the rest of the page is likely in the next window
# (32,000 papers): it is read before the lists are read whole. Each query both ways in random
# order (author + text, 1,200 draws each): none p95 55.2 and 56.6 ms, one 44.3, two 39.4 and
# 41.2, but two raised the worst draws (229 ms, where one window is a find that was alone).
WINDOWS_AFTER_A_FIND = 1
WALK_PER_GUESS = 1.0  # PostgreSQL: papers walked per estimated candidate before they drive
PG_DRIVE_AT_ONCE = 1000  # PostgreSQL: estimated postings under this many drive without a walk first
PG_WALK_FIRST = 2000  # PostgreSQL: the newest papers walked first, at least
PG_WALK_FURTHER = 4  # PostgreSQL: a walk that found part of a page goes on to this many times as far
PG_DRIVEN_PER_WALKED = 10  # PostgreSQL: a driven candidate's cost, in papers a walk passes meanwhile


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
        expr = f"({_fts5_categories(categories)}) AND ({expr})"
    return expr


def _fts5_categories(categories: Sequence[str]) -> str:
    tokens = " OR ".join(_fts5_quote(category_token(c)) for c in categories)
    return f"category_terms : ({tokens})"


Meet = Callable[[ColumnElement[Any]], ColumnElement[bool]]  # a condition on a key


class Ranged(typing.Protocol):
    def __call__(
        self, low: int, high: int, key: ColumnElement[Any], meets: Sequence[Meet] = ()
    ) -> ColumnElement[bool]: ...


@dataclass(slots=True)
class _Filter:
    """One narrowing condition in two forms: postings that can drive, a probe per row."""

    drive: Select[Any] | None  # SELECT of paper pks (None: cannot drive, e.g. exclusions only)
    probe: ColumnElement[bool]
    estimate: Select[Any] | None = None  # SELECT of pks, capped and counted to choose the plan
    count: int | None = None  # its postings, when already counted (capped)
    empty: bool = False  # known to match nothing (PostgreSQL: stop words alone)
    # PostgreSQL: the condition GIN answers (a filter with one is estimated by the planner,
    # not counted: every match, and for phrases a few more), and what a candidate's title and
    # abstract must then hold (phrases).
    words: ColumnElement[bool] | None = None
    keep: Callable[[str, str], bool] | None = None
    # SQLite FTS5: the postings between two keys, as a condition on a key (see _windowed);
    # a positive list's also takes conditions its own postings must meet (other lists'),
    # tested before any row is read.
    ranged: Ranged | None = None
    # SQLite authors: the probe against the author's postings read once, whatever their number.
    listed: ColumnElement[bool] | None = None
    # SQLite's papers_fts: whether a key (another list's) is among the postings, by seeking
    # the doclists of the expression's `terms` (their index forms) to it (see SEEK_MICROS).
    seek: Callable[[ColumnElement[Any]], ColumnElement[bool]] | None = None
    terms: tuple[str, ...] = ()
    leaves: tuple[int, ...] | None = None  # each term's doclist leaves, once read (_seeking_is_cheaper)
    # SQLite full text: postings read on to a cap and no further (_postings_count), kept for a
    # meet to read only the rest.
    read: _ReadOn | None = None
    # SQLite exclusions: which of some keys hold an excluded term (each key sought in the
    # doclists); with `stepwise`, the plan tests each step of candidates by it (_run) instead
    # of the probe, which reads every excluded posting.
    among: Callable[[Sequence[int], bool], Select[Any]] | None = None
    stepwise: bool = False
    # SQLite categories: their postings between two keys, as a condition a window's first list
    # meets before any row is read; with `meeting`, windows use it instead of the probe.
    window_meet: Callable[[int, int], Meet] | None = None
    meeting: bool = False
    # PostgreSQL categories: their tokens in `search_terms`, which the one GIN index answers
    # together with an author's keys (_meeting_in_gin).
    gin: ColumnElement[bool] | None = None


@dataclass(frozen=True, slots=True)
class _ReadOn:
    """The `count` postings of a list from its first key up to `last` (within `scope`, a key
    range, if given), as a JSON array."""

    postings: str
    count: int
    last: int
    scope: tuple[int, int] | None


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


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
            listed=listed,
        )
    # PostgreSQL: the keys are numbers in `papers.author_keys` under GIN (migration 0008).
    author_keys = _pg_keys("author_keys")
    any_of = _key_array(lexemes.key_of(k) for k in query.first_key_choices)
    rest = _key_array(lexemes.key_of(k) for k in keys[1:])
    indexed = [author_keys.op("&&")(any_of), *([author_keys.op("@>")(rest)] if len(keys) > 1 else [])]
    drive = select(PaperRow.pk).where(*indexed)
    # The probe calls the operators' functions: the same test of the row's own array, which no
    # index answers, so a walk stays a walk.
    probe = and_(
        func.arrayoverlap(author_keys, any_of, type_=Boolean),
        *([func.arraycontains(author_keys, rest, type_=Boolean)] if len(keys) > 1 else []),
    )
    # Estimated by the planner, not counted: counting `wang`'s 200,000 postings up to 5,000
    # read a heap page for each (107 ms); its estimate of a common key is close, of a rare
    # one small, and either way the plan starts with a walk unless it is small (_postgres_page).
    return _Filter(drive=drive, probe=probe, estimate=drive, words=and_(*indexed))


def _pg_keys(name: str) -> ColumnElement[Any]:
    """One of PostgreSQL's search-key columns of `papers` (not mapped: SQLite has none)."""
    return literal_column(f"papers.{name}", ARRAY(BigInteger))


def _key_array(keys: Iterable[int]) -> ColumnElement[Any]:
    return cast(literal(sorted(set(keys)), ARRAY(BigInteger)), ARRAY(BigInteger))


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


def _category_filter(categories: Sequence[str]) -> _Filter:
    """Postings from paper_categories; a walked paper is tested on its own row's category
    tokens (each category and its archive, lexemes.category_terms). A probe of paper_categories
    by (archive range, paper) read the archive's whole range for every paper walked: 1 ms a
    paper for `math`'s 13,000 rows, 0.5-0.8 s for `cat:math` at a million papers."""
    conds = _category_conditions(categories)
    drive = select(PaperCategory.paper_pk).where(conds)
    padded = literal(" ") + PaperRow.category_terms + literal(" ")
    probe = or_(*(padded.contains(f" {category_token(c)} ") for c in categories))

    def window_meet(low: int, high: int) -> Meet:
        within = drive.where(PaperCategory.paper_pk.between(low, high))
        return lambda key: key.in_(within)

    tokens = _key_array(lexemes.key_of(category_token(c)) for c in categories)
    gin = _pg_keys("search_terms").op("&&")(tokens)
    return _Filter(drive=drive, probe=probe, estimate=drive, window_meet=window_meet, gin=gin)


def _text_filter(
    session: Session, positive: Sequence[str], negative: Sequence[str], categories: Sequence[str]
) -> _Filter:
    """Words, phrases and exclusions; with words, the categories too (`cat:X word` is one
    full-text query: a mid-size category probing a common word per row was the slow case)."""
    if _postgres(session):
        return _postgres_text_filter(session, positive, negative, categories)
    if not positive:  # only exclusions: everything but the papers holding any of them
        unwanted = _FTS.c.papers_fts.op("MATCH")(" OR ".join(_fts5_quote(t) for t in negative))

        def ranged(
            low: int, high: int, key: ColumnElement[Any], meets: Sequence[Meet] = ()
        ) -> ColumnElement[bool]:
            assert not meets, "exclusions alone have no postings to meet others with"
            # A window of the newest papers (_windowed) reads the excluded among its own keys
            # only: the whole set of a common word's papers took 120-210 ms to build per query
            # (`search -model`, `cat:math -model`, `search -the` at a million papers).
            return key.not_in(select(_FTS.c.rowid).where(unwanted, _FTS.c.rowid.between(low, high)))

        def among(keys: Sequence[int], read: bool) -> Select[Any]:
            # Sought at each key, or (`read`) their postings read from the lowest key to the
            # highest, each looked up among the keys (`+ 0`: not a constraint FTS5 seeks by).
            rowid = _FTS.c.rowid
            if not read:
                return select(rowid).where(unwanted, rowid.in_(keys))
            listed = (rowid + 0).in_(_json_keys(json.dumps(list(keys))))
            return select(rowid).where(unwanted, rowid.between(min(keys), max(keys)), listed)

        everywhere = PaperRow.pk.not_in(select(_FTS.c.rowid).where(unwanted))
        excluded = _fts5_index_terms([token for term in negative for token in lexemes.plain_words(term)])
        return _Filter(drive=None, probe=everywhere, ranged=ranged, among=among, terms=excluded)
    matches = _FTS.c.papers_fts.op("MATCH")(_fts5_expression(positive, negative, categories))
    drive = select(_FTS.c.rowid).where(matches)
    tokens = [token for term in positive for token in lexemes.plain_words(term)]  # ~FTS5's unicode61
    # Sought at a key, a phrase that is not there reads on to its next match, which for a rare
    # phrase of common words is far (`"Language Training"`: 250 µs a key, its words alone 8 µs
    # each): its words are sought first, as an AND, and the phrase only where they all are.
    # Exclusions are left to the whole expression too.
    every = matches
    if len(tokens) != len(positive) or negative:
        every = _FTS.c.papers_fts.op("MATCH")(_fts5_expression(tokens, (), categories))

    def seek(key: ColumnElement[Any]) -> ColumnElement[bool]:
        at = _FTS.c.rowid == key
        if every is matches:
            return exists().where(matches, at)
        return case((exists().where(every, at), exists().where(matches, at)), else_=false())

    return _Filter(
        drive=drive,
        probe=seek(PaperRow.__table__.c.pk),
        estimate=drive,
        ranged=_fts5_range(_FTS, matches),
        seek=seek,
        terms=_fts5_index_terms([*tokens, *(category_token(c) for c in categories)]),
    )


def _fts5_index_terms(tokens: Sequence[str]) -> tuple[str, ...]:
    """The terms papers_fts holds for these tokens, as its tokenizer makes them (lower case,
    no diacritics, Porter's stem): near enough to estimate their doclists (_doclist_leaves)."""
    plain = (unicodedata.normalize("NFKD", t.lower()).encode("ascii", "ignore").decode() for t in tokens)
    return tuple(_porter.stemWords([t for t in plain if t]))


_porter = Stemmer.Stemmer("porter")  # FTS5's `porter` tokenizer: Porter's original algorithm
_LEAVES = text(
    """SELECT coalesce(sum(
        coalesce((SELECT pgno FROM papers_fts_idx WHERE segid = s.segid AND term > :term
                  ORDER BY term LIMIT 1) / 2,
                 (SELECT max(pgno) FROM papers_fts_idx WHERE segid = s.segid) / 2 + 1)
        - coalesce((SELECT pgno FROM papers_fts_idx WHERE segid = s.segid AND term <= :term
                    ORDER BY term DESC LIMIT 1) / 2, 0)), 0)
    FROM (SELECT DISTINCT segid FROM papers_fts_idx) AS s"""
)


def _doclist_leaves(session: Session, term: str) -> int:
    """The leaf pages papers_fts's doclist of this term spans, read off its `_idx` table (a
    row per leaf that starts a term: a term's doclist runs from the leaf of the last row at
    or before it to the leaf of the next row), a few µs."""
    return int(session.execute(_LEAVES, {"term": b"0" + term.encode()}).scalar_one())


def _leaves(session: Session, f: _Filter) -> tuple[int, ...]:
    """Each of the filter's terms' doclist leaves, read once (a filter's cost is asked again by
    the drive that follows a read-on, and by each step of exclusions)."""
    if f.leaves is None:
        f.leaves = tuple(_doclist_leaves(session, t) for t in f.terms)
    return f.leaves


def _seeking_is_cheaper(session: Session, keys: int, f: _Filter) -> bool:
    """Whether seeking each of `keys` keys in the filter's doclists costs less than reading
    them whole (SEEK_MICROS, LEAF_MICROS, KEEP_MICROS, SKIP_LEAVES). The terms are taken as an
    AND; a query's several categories, which are ORed, count each as a term of its own (an
    estimate: such queries are rare)."""
    if f.seek is None or not f.terms:
        return False
    leaves = _leaves(session, f)
    rarest = min(leaves)
    walked = sum(min(n, SKIP_LEAVES * rarest) for n in leaves)
    seeking = keys * len(f.terms) * SEEK_MICROS
    return seeking < LEAF_MICROS * walked + KEEP_MICROS * rarest


def _categories_met(session: Session, filters: list[_Filter], counted: dict[int, int]) -> list[_Filter]:
    """The filters, with each category that has fewer than CATEGORY_MEETS_BELOW times the
    fewest full-text list's postings met by that list in windows (`meeting`) instead of probed
    on each of its candidates' rows: a row costs a page read, a category's posting in a
    window's key range a B-tree entry. `search cat:cs.MA author:Gao` (17,119 and 34,166
    papers, none shared) read every Gao row in the windows (240 ms warm, 2 s on a first run;
    met: 42). A category counted to DRIVE_BELOW is counted on, as far as that bound (~0.1 µs
    a posting; CATEGORY_COUNT_CAP)."""
    lists = [n for i, n in counted.items() if filters[i].ranged is not None]
    if not lists:
        return filters
    bound = min(lists) * CATEGORY_MEETS_BELOW
    out = []
    for i, f in enumerate(filters):
        if f.window_meet is not None and f.estimate is not None and i in counted:
            n = counted[i]  # (counted only to DRIVE_BELOW: at least that many)
            if n >= DRIVE_BELOW:
                cap = min(bound, CATEGORY_COUNT_CAP)
                n = _capped_count(session, f.estimate, cap)
                n = bound if n >= cap else n  # (as many as the cap or more: not known to be fewer)
            if n < bound:
                f = dataclasses.replace(f, meeting=True)
        out.append(f)
    return out


def _exclusions_by_step(session: Session, filters: list[_Filter], candidates: int) -> list[_Filter]:
    """The filters, with exclusions tested a step of candidates at a time (`stepwise`) where
    that costs less, even were every one of at most `candidates` rejected (_stepwise_micros),
    than reading their postings whole (EXCLUDE_MICROS). A step is tested only once it is read,
    so a page usually costs a few dozen seeks. Windows with no list of postings (_windowed)
    read the exclusions by key range still."""
    out = []
    for f in filters:
        if f.among is not None and f.terms:
            leaves = sum(_leaves(session, f))
            if _stepwise_micros(candidates, len(f.terms), leaves) < EXCLUDE_MICROS * leaves:
                f = dataclasses.replace(f, probe=true(), stepwise=True)
        out.append(f)
    return out


def _stepwise_micros(candidates: int, terms: int, leaves: int) -> int:
    """The most that testing `candidates` for an exclusion a step at a time can cost, were it
    to reject every one: _run's steps (FIRST_STEP, then four times the last), each sought or
    read across its keys, whichever costs less (_rejected). Seeking them all was the estimate
    before: `search cat:q-bio -model -data` (4,136 candidates) then read both words whole,
    100 ms, where a page takes ~50 seeks."""
    total, step, left = 0, FIRST_STEP, candidates
    while left > 0:
        n = min(step, left)
        total += min(n * terms * SEEK_MICROS, LEAF_MICROS * leaves)
        left, step = left - n, step * 4
    return total


def _fts5_range(index: Any, matches: ColumnElement[bool]) -> Ranged:
    """`key` among the index's postings between two keys: FTS5 seeks each term's doclist to the
    first key and reads on to the second, where a probe per row seeks every doclist again.
    `meets`, conditions on a posting (other lists' postings in the same range, `+ 0` so FTS5
    does not seek by them), narrow the postings before `key` looks them up."""

    def ranged(
        low: int, high: int, key: ColumnElement[Any], meets: Sequence[Meet] = ()
    ) -> ColumnElement[bool]:
        rowid = index.c.rowid
        return key.in_(select(rowid).where(matches, rowid.between(low, high), *(m(rowid + 0) for m in meets)))

    return ranged


def _postgres_text_filter(
    session: Session, positive: Sequence[str], negative: Sequence[str], categories: Sequence[str]
) -> _Filter:
    """The text filter on PostgreSQL, over the search keys (migration 0008, store/lexemes.py).

    A word is one key of `search_terms`; a phrase is its pairs of consecutive words in
    `search_pairs`, which narrow it to a few candidates whose text `holds_phrase` checks; a
    category is its token's key. GIN answers `@>` and `&&` on them exactly, reading no row.
    Excluded words are tested on the row's own array, excluded phrases on its text."""
    terms, pairs = _pg_keys("search_terms"), _pg_keys("search_pairs")
    required: list[int] = []  # words every match holds
    phrases: list[list[int]] = []  # each phrase's pairs
    checked: list[str] = []  # phrases the text must hold (GIN only narrows)
    nothing = False  # a term of stop words alone matches nothing
    for term in positive:
        kind, keys = _phrase_keys(term)
        nothing = nothing or kind == "none"
        if kind == "phrase":
            phrases.append(keys)
            checked.append(term)
        else:
            required += keys
    required_pairs = [pair for keys in phrases for pair in keys]
    unwanted: list[int] = []  # excluded words' keys, tested on the row's own array
    unwanted_text: list[str] = []
    # Every match holds each wanted word's key and each word of a wanted phrase.
    held = {k for term in positive for k in lexemes.words(term) if k != lexemes.STOP}
    for term in negative:
        kind, keys = _phrase_keys(term)
        # `learning -learn`, `Multi-Agent -Agents`: one stem, so nothing matches — found by
        # reading every paper with the phrase otherwise (2.2 s at a million papers).
        if kind == "word" and keys[0] in held:
            nothing = True
        elif kind == "word":
            unwanted += keys
        elif kind == "phrase":
            unwanted_text.append(term)
    cats = _key_array(lexemes.key_of(category_token(c)) for c in categories)
    # The candidates are at most the categories' papers, which a B-tree counts exactly
    # (`cat:physics.bio-ph model`: 204 papers, none with the word, where the planner guessed
    # 3,962 candidates and a walk read as many rows first).
    bound = DRIVE_BELOW
    if categories:
        listed = select(PaperCategory.paper_pk).where(_category_conditions(categories))
        bound = _capped_count(session, listed, DRIVE_BELOW)
    # Every key condition goes to the one GIN index (migration 0011), which steps through a
    # large category's list only where the words point: `cat:cs.AI Skin` reads the 1,175 rows
    # of both in 5 ms of index, where testing cs.AI (446,000 papers) on the word's 5,677 rows
    # read all of them. Under an index per column, that category's bitmap alone took 120 ms.
    indexed: list[ColumnElement[bool]] = [false()] if nothing else []
    indexed += [terms.op("@>")(_key_array(required))] if required else []
    indexed += [pairs.op("@>")(_key_array(required_pairs))] if required_pairs else []
    indexed += [terms.op("&&")(cats)] if categories else []
    # What the drive tests on each candidate's row: one overlap of every excluded word, not a
    # test a word. PostgreSQL takes each such test for a third of the rows, so twenty of them
    # made it expect next to no match, and it planned the walk as if reading every paper were
    # cheaper than stopping at a page: `search model -w1 … -w20` 12.9 s, with 60 words 26 s.
    row_tests = [~func.arrayoverlap(terms, _key_array(unwanted), type_=Boolean)] if unwanted else []
    probes: list[ColumnElement[bool]] = [false()] if nothing else []
    probes += [func.arraycontains(terms, _key_array(required), type_=Boolean)] if required else []
    probes += [func.arraycontains(pairs, _key_array(required_pairs), type_=Boolean)] if required_pairs else []
    probes += [func.arrayoverlap(terms, cats, type_=Boolean)] if categories else []
    probes += row_tests

    held_by = [lexemes.phrase_test(t) for t in checked]
    unwanted_by = [lexemes.phrase_test(t) for t in unwanted_text]

    def keep(title: str, abstract: str) -> bool:
        texts = (title, abstract)
        return all(holds(texts) for holds in held_by) and not any(holds(texts) for holds in unwanted_by)

    wanted = keep if checked or unwanted_text else None
    if not indexed:  # only exclusions: everything but the excluded
        return _Filter(drive=None, probe=and_(true(), *probes), keep=wanted)
    words = and_(*indexed, *row_tests)
    drive = select(PaperRow.pk).where(words)
    # What the planner expects the drive to find (a category tested on rows counts too: it
    # shortens the walk that comes first). A phrase counts by its rarest pair: its pairs come
    # together, so the planner, taking them as independent, would expect next to none, and
    # any one pair is a bound. Not the first: `"Real-time Causal"` has 39,397 (real, time)
    # and 409 (time, causal), 203 papers with both; by the first it walked 38,820 papers
    # before it drove, 180 ms, where driving at once takes 5. Two phrases are as independent
    # as two words, so each phrase's rarest pair counts: by the rarest of all,
    # `search Vision-Language "Gaussian Splatting"` (15,256 and 87,582 papers, none with both)
    # looked common and walked every paper, 2.4 s.
    in_category = [terms.op("&&")(cats)] if categories else []
    expected = [terms.op("@>")(_key_array(required))] if required else []
    if phrases:
        expected.append(pairs.op("@>")(_key_array(_rarest_pairs(session, pairs, phrases))))
    estimate = select(PaperRow.pk).where(*expected, *in_category)
    # empty: answered before any query (estimated, it looked like the whole store)
    found = _Filter(
        drive=drive, probe=and_(*probes), estimate=estimate, words=words, keep=wanted, empty=nothing
    )
    if bound < DRIVE_BELOW:
        found.count = bound
    return found


def _rarest_pairs(session: Session, pairs: ColumnElement[Any], phrases: Sequence[Sequence[int]]) -> list[int]:
    """The pair of each phrase the planner expects in fewest papers (each pair planned once)."""
    planned: dict[int, int] = {}

    def rows(pair: int) -> int:
        if pair not in planned:
            holding = select(PaperRow.pk).where(pairs.op("@>")(_key_array([pair])))
            planned[pair] = _planned_rows(session, holding)
        return planned[pair]

    rarest = [keys[0] if len(set(keys)) == 1 else min(keys, key=rows) for keys in phrases]
    return list(dict.fromkeys(rarest))


def _phrase_keys(term: str) -> tuple[str, list[int]]:
    """How PostgreSQL's keys find a term: ("word", [key]) exactly; ("phrase", its pairs), which
    narrow and whose candidates' text then decides (`holds_phrase`); ("none", []) for stop
    words alone, which match nothing."""
    sequence = lexemes.words(term)
    keys = [k for k in sequence if k != lexemes.STOP]
    if not keys:
        return "none", []
    if len(keys) == 1:
        return "word", keys
    return "phrase", lexemes.pair_keys(sequence)


def _filters(session: Session, spec: SearchSpec, words: Sequence[str]) -> list[_Filter]:
    out = [f for f in (_author_filter(session, a) for a in spec.authors) if f is not None]
    if spec.categories and not words:
        out.append(_category_filter(spec.categories))
    if words or spec.exclude:
        out.append(_text_filter(session, words, spec.exclude, spec.categories if words else ()))
    return out


def _driving(session: Session, driver: _Filter) -> tuple[ColumnElement[bool], bool]:
    """The driver's postings as the query's first step: (the condition, whether GIN reads them
    within the query). PostgreSQL's planner, seeing ORDER BY … LIMIT, may walk the date index
    and filter row by row instead of reading the few postings first (seconds at a million
    papers when nothing matches): GIN's postings are then sorted by a value no index holds
    (_newest_first), another table's (categories) read first by a MATERIALIZED CTE."""
    drive = driver.drive
    assert drive is not None
    if driver.words is not None and drive.whereclause is not None:  # PostgreSQL's key lists
        # One bitmap scan of `papers` reads the postings' rows, already in hand for the sort.
        # Through `pk IN (postings)` each was read in the heap for its pk and then found again
        # through the primary key's B-tree, whose leaf pages a drive of 3,233 papers read
        # 1,911 of from disk (25 of its 60 ms).
        return drive.whereclause, True
    if not _postgres(session):
        return PaperRow.pk.in_(drive), False
    hits = drive.cte("driving_postings").prefix_with("MATERIALIZED")
    return PaperRow.pk.in_(select(hits.c[0])), False


def _postings_count(
    session: Session, f: _Filter, cap: int = DRIVE_BELOW, within: tuple[int, int] | None = None
) -> int:
    """The filter's postings, counted up to `cap` (or known); PostgreSQL full text: estimated.
    SQLite full text: `within`, a key range, bounds them (and the list kept to drive)."""
    assert f.estimate is not None
    if f.count is not None:
        return f.count
    if f.ranged is not None:
        # SQLite full text: the postings themselves, up to the cap, so that a drive does not
        # evaluate a phrase over its words' doclists a second time. Gathered as one JSON array
        # by SQLite: 40,000 keys as rows through the ORM took ~60 ms, as one array ~3 ms.
        # A list read on before to a lower cap (DRIVE_AT_ONCE, then an author's count) is read
        # on from its last key: `author:Xu "End-to-End Context"` read the phrase's first 200
        # matches and then all of them from the first again.
        prior = f.read if f.read is not None and f.read.scope == within else None
        if prior is not None and prior.count >= cap:
            return cap
        estimate, key = f.estimate, f.estimate.selected_columns[0]
        if within is not None:
            estimate = estimate.where(key.between(*within))
        if prior is not None:
            estimate = estimate.where(key > prior.last)
        left = cap - (prior.count if prior is not None else 0)
        capped = estimate.order_by(key).limit(left).subquery()  # (FTS5's own order: no sort)
        gathered = select(func.count(), func.json_group_array(capped.c[0]), func.max(capped.c[0]))
        n, postings, last = session.execute(gathered.select_from(capped)).one()
        if prior is not None:
            n, postings = prior.count + n, _joined(prior.postings, postings)
            last = prior.last if last is None else last
        if n < cap:
            f.drive = _json_keys(postings)
        elif last is not None:  # (a cap of 0 reads none)
            f.read = _ReadOn(postings, int(n), int(last), within)
        return int(n)
    if f.words is not None:  # see the module docstring
        return _planned_rows(session, f.estimate)
    return _capped_count(session, f.estimate, DRIVE_BELOW)


def _joined(first: str, second: str) -> str:
    """Two JSON arrays of keys as one."""
    if first == "[]" or second == "[]":
        return second if first == "[]" else first
    return f"{first[:-1]},{second[1:]}"


def _json_keys(postings: str) -> Select[Any]:
    """The keys of a JSON array, as a SELECT."""
    return select(literal_column("value")).select_from(func.json_each(postings))


def _planned_rows(session: Session, query: Select[Any]) -> int:
    """PostgreSQL's estimate of the query's rows (EXPLAIN: nothing is read)."""
    compiled = query.compile(dialect=session.get_bind().dialect)
    explain = "EXPLAIN (FORMAT JSON) " + str(compiled)
    plan = session.connection().exec_driver_sql(explain, compiled.params).scalar_one()
    return int(plan[0]["Plan"]["Plan Rows"])


def _capped_count(session: Session, postings: Select[Any], cap: int) -> int:
    capped = postings.limit(cap).subquery()
    return int(session.execute(select(func.count()).select_from(capped)).scalar_one())


def _page(session: Session, spec: SearchSpec, words: Sequence[str], want: int) -> list[Paper]:
    """The first `want` matches, newest first, by the plan the filters' postings counts pick."""
    if _excludes_what_it_requires(words, spec.exclude):
        return []
    filters = _filters(session, spec, words)
    if any(f.empty for f in filters):  # one matches nothing: so does their AND
        return []
    if not _postgres(session) and WINDOW_FIRST > 0 and any(f.ranged is not None for f in filters):
        return _full_text_page(session, spec, filters, want)
    counted = [(_postings_count(session, f), i) for i, f in enumerate(filters) if f.estimate is not None]
    if _postgres(session):
        return _postgres_page(session, spec, words, filters, counted, want)
    if counted:
        filters = _exclusions_by_step(session, filters, min(counted)[0])
    driver = min(counted)[1] if counted and min(counted)[0] < DRIVE_BELOW else None
    return _run(session, _query(session, spec, filters, driver), spec, filters, want, walking=driver is None)


def _postgres_page(
    session: Session,
    spec: SearchSpec,
    words: Sequence[str],
    filters: list[_Filter],
    counted: list[tuple[int, int]],
    want: int,
) -> list[Paper]:
    """PostgreSQL's plan. A candidate the drive reads costs a heap page (~40 µs when it is not
    cached: `cat:cs.AI Computer-Use` drove 3,650 candidates in 150 ms), where a walk reads the
    newest papers, whose pages stay cached (~5 µs a paper). So only fewer than PG_DRIVE_AT_ONCE
    postings drive at once; otherwise the newest papers are walked first, as many as the
    fewest postings are estimated (at least PG_WALK_FIRST) — matches that common are likely
    among them, and a failed walk costs about what the drive does; one that found part of a
    page walks on as far as their rate says the rest are — and then the fewest postings
    drive. Only postings counted exactly (categories) and common (DRIVE_BELOW or more) leave
    the walk to go on: an estimate can be far too high (a word the statistics do
    not list is taken for 0.5 % of the papers; `search SemLT since:…` then walked every paper
    since the date, 21 s)."""
    least, driver = min(counted) if counted else (DRIVE_BELOW, None)
    if driver is not None:
        met, driver = _meeting_in_gin(filters, counted, driver)
        if met is not filters:  # the lists together: expected far fewer, walked as many
            filters = met
            drive = filters[driver].drive
            assert drive is not None
            least = min(least, _planned_rows(session, drive))
    # Lists met in the one index scan drive at once when their AND is expected small, however
    # common each is: the scan costs about the rarest list, not a bitmap of each (which made
    # such lists walk first while they had an index each). On 320 author + text draws of 8
    # seeds, each query run both ways in random order: p95 42 ms against 52 walking first.
    if driver is not None and least < PG_DRIVE_AT_ONCE:
        return _run(session, _query(session, spec, filters, driver), spec, filters, want)
    newest = max(round(least * WALK_PER_GUESS), PG_WALK_FIRST)
    walk = _query(session, spec, filters, None, newest=newest)
    tally = _Tally()
    found = _run(session, walk, spec, filters, want, walking=True, tally=tally)
    if len(found) >= want or _holds_at_most(session, spec, newest):
        return found
    # Some matches among the newest: at the rate they came, the page is likely a little
    # further on. Walking there (~3 µs a paper) beats a drive whose postings are common
    # together: `author:Zheng Adaptation cat:cs.CL` found 4 of 6 in its 2,867 newest papers,
    # then drove 44,000 Zhengs AND 194,000 papers with the word into 12,000 rows, 80 ms.
    walked = newest
    further = math.ceil(newest * want / len(found) * 1.5) if found else 0  # half as far again: room
    if found and further <= newest * PG_WALK_FURTHER:
        walk = _query(session, spec, filters, None, newest=further)
        tally = _Tally()
        found = _run(session, walk, spec, filters, want, walking=True, tally=tally)
        if len(found) >= want or _holds_at_most(session, spec, further):
            return found
        walked = further
    if driver is not None and (least < DRIVE_BELOW or _countable(session, filters[driver])):
        return _run(session, _query(session, spec, filters, driver), spec, filters, want)
    if driver is not None:
        papers = _papers_in_scope(session, spec)  # one estimate for both rules
        walk_costs_more = _walk_costs_more(least, (tally.read, walked), (len(found), want), papers)
        if walk_costs_more or _rare_as_walked(session, spec, words, tally.read, walked, papers):
            return _run(session, _query(session, spec, filters, driver), spec, filters, want)
    return _run(session, _query(session, spec, filters, None), spec, filters, want, walking=True)


def _papers_in_scope(session: Session, spec: SearchSpec) -> int:
    """PostgreSQL's estimate of the papers the query's dates hold (EXPLAIN: none is read)."""
    return _planned_rows(session, select(PaperRow.pk).where(PaperRow.linked_to.is_(None), *_scope(spec)))


def _walk_costs_more(least: int, walk: tuple[int, int], page: tuple[int, int], papers: int) -> bool:
    """PostgreSQL: whether walking on costs more than the drive, after a walk of the newest
    papers (`walk`: the candidates it read, the papers it passed) found part of a page (`page`:
    the matches, the page's size), of the `papers` the query's dates hold. The drive reads
    every posting, each PG_DRIVEN_PER_WALKED walked papers' worth (a heap page not the walk's,
    the rows sorted); the walk goes on as far as the rate it found matches at says the page
    is, and with none found, through every paper left. Candidates that names or phrases turn
    away make such walks: before a pair across stop words had a key of its own (migration
    0013), `search "across wide"` read candidates at a common list's rate (5,609 papers hold
    `across a wide`), so not rare, none held the phrase, and the walk went through the
    million, 2.9 s warm and 42 s cold, where the drive read the 5,609 postings in 440 ms."""
    (read, walked), (found, want) = walk, page
    left = papers - walked
    if left <= 0 or walked <= 0:
        return False
    onward = left if not found else min(left, math.ceil((want - found) * walked / found))
    postings = max(least, (read + 1) * (left + walked) / walked)
    return postings * PG_DRIVEN_PER_WALKED < onward


def _rare_as_walked(
    session: Session, spec: SearchSpec, words: Sequence[str], read: int, walked: int, papers: int
) -> bool:
    """PostgreSQL: whether the newest `walked` papers, where the walk read `read` candidates
    (every one its statement found: the names and phrases checked them after), say that the
    drive would read fewer than DRIVE_BELOW among the `papers` the query's dates hold (at
    their rate, counting one more). The
    planner's estimate of lists together takes them as independent, and is often far too
    high: `search Language "Gaussian Splatting"`, 6,265 expected, 176 in all, walked 111,000
    papers for a page, 283 ms, where driving reads the 176; `search "Mathematical Reasoning"
    cat:cs.CV -"behavior correspond"`, `more` twice: 5,002 expected, 766 in all, 51,000
    walked, 143 ms. An excluded word is tested by the walk's statement, which never returns a
    candidate holding it, where the drive reads its row: with one, the candidates among the
    papers walked are counted again without the excluded words (`search Language "Gaussian
    Splatting" -rendering`: the walk passed 111,000 papers, 283 ms), only as far as the most
    that still count as rare (a common list's walk is long, and its candidates soon too many)."""
    most = -(-DRIVE_BELOW * walked // papers) - 1 if papers else walked  # rare: read + 1 < this + 1
    if read >= most:
        return False
    kept = tuple(term for term in spec.exclude if _phrase_keys(term)[0] != "word")
    if kept != spec.exclude:
        bare = dataclasses.replace(spec, exclude=kept)
        walk = _query(session, bare, _filters(session, bare, words), None, newest=walked)
        candidates = walk.with_only_columns(PaperRow.pk).order_by(None).limit(most).subquery()
        read = int(session.execute(select(func.count()).select_from(candidates)).scalar_one())
    return read < most


def _countable(session: Session, f: _Filter) -> bool:
    """PostgreSQL: whether postings counted to DRIVE_BELOW are few enough to drive once the
    newest papers were walked: a category (its B-tree count, not an estimate) of fewer than
    CATEGORY_COUNT_CAP. Each of its papers costs a heap page, at most ~40 µs, where a walk of
    every paper costs ~2 µs each: `search cat:physics -model -data -results` (6,536 papers,
    none without the three words) walked the million in 2 s, 7.6 on a first run."""
    if f.words is not None or f.estimate is None:
        return False
    return _capped_count(session, f.estimate, CATEGORY_COUNT_CAP) < CATEGORY_COUNT_CAP


def _holds_at_most(session: Session, spec: SearchSpec, n: int) -> bool:
    """True when the spec's dates hold at most n papers, so a walk of the newest n saw them all:
    `author Zhou since:7d` found its week walked, then read Zhou's 200,000 papers (0.9 s)."""
    if spec.since is None and spec.until is None:
        return False
    in_scope = select(PaperRow.pk).where(PaperRow.linked_to.is_(None), *_scope(spec))
    # The OFFSET reads min(n, the scope's papers) index entries: only asked where the planner
    # expects the scope small (a date range's estimate is close), not for 200,000 each time.
    if _planned_rows(session, in_scope) > 2 * n:
        return False
    return session.execute(_newest_first(in_scope).offset(n).limit(1)).first() is None


def _meeting_in_gin(
    filters: list[_Filter], counted: list[tuple[int, int]], driver: int
) -> tuple[list[_Filter], int]:
    """PostgreSQL: the driver's postings read together with the other filters GIN answers (an
    author beside words), in one scan of the one index (migration 0011) that steps through
    each list only where the rarest points, before a row is read: `author:Zhang MLLMs
    cat:cs.LG` read the 34,594 papers with the word to test the author and category on each
    row, 229 ms; the three lists in one scan, 7 ms for their 374 papers. (Under an index per
    column the planner ANDed a bitmap of each whole list, ~0.2 µs a posting: 44 ms for
    Zhang's 187,000; lists far larger than the driver's were tested on rows instead.)

    A category beside an author alone counts its papers in its B-tree, and drives when they
    are fewest; but its tokens are in `search_terms` too, so the author's keys lead the scan
    and the category goes in with them: `search cat:cs.MA author:Gao` (17,119 and 34,166
    papers, none shared) walked every paper in 2.1 s. (The filters, and which one drives.)"""
    led = driver if filters[driver].words is not None else None
    if led is None and filters[driver].gin is not None:  # a category drives: GIN's fewest lead
        led = min(((n, i) for n, i in counted if filters[i].words is not None), default=(0, None))[1]
    if led is None:
        return filters, driver
    words = filters[led].words
    assert words is not None
    others = [f.words if f.words is not None else f.gin for i, f in enumerate(filters) if i != led]
    met = [c for c in others if c is not None]
    if not met:
        return filters, driver
    drive = select(PaperRow.pk).where(words, *met)
    return [dataclasses.replace(f, drive=drive) if i == led else f for i, f in enumerate(filters)], led


def _full_text_page(session: Session, spec: SearchSpec, filters: list[_Filter], want: int) -> list[Paper]:
    """SQLite with an FTS5 filter (text or authors): fewer than DRIVE_AT_ONCE postings (an
    author's, or words' beside an author: AUTHORS_DRIVE_BELOW) drive, else windows of the
    newest papers are read by key range (_windowed; several lists: _several_lists_page).

    The text's postings are read up to DRIVE_AT_ONCE first. Where a term is rare, FTS5 finds
    them by seeking through its doclist; where all are common, it reads the doclists only up to
    the 200th match, and only a phrase or AND that is rare as a whole (a few hundred matches
    in a million papers) is read to the end — once, where a window would do it too: FTS5 checks
    a key range's end only at each match, so each window of a phrase found nowhere
    (`"system reasoning"`) read the doclists whole, 15-24 ms. Above 200 postings windows win:
    `"experience learning"` (399) took 20-40 ms to read whole and a few ms in windows, and
    `search Synergy` (4,577) sorted its postings in 15 ms where its first window holds a page."""
    given = filters  # as given: a category's drive decides its exclusions again by its own count
    # Each filter's postings, counted once (a category's by its B-tree up to DRIVE_BELOW).
    counted = {
        i: _postings_count(session, f, DRIVE_AT_ONCE) for i, f in enumerate(filters) if f.estimate is not None
    }
    if counted:  # every plan's candidates are among the fewest postings
        filters = _exclusions_by_step(session, filters, min(counted.values()))
    filters = _categories_met(session, filters, counted)
    # Excluded words alone (no postings of their own) leave a category's B-tree postings to
    # drive as they would without them; an author's or a word's postings read by key range
    # beat a category's walked with an FTS5 probe per paper (`author Li cat:stat.ML`: 9 ms
    # in windows, 1.8 s driven by the category).
    full_text = [i for i, f in enumerate(filters) if f.ranged is not None and f.estimate is not None]
    drivers = []
    for i, n in counted.items():
        f = filters[i]
        if f.count is not None:  # an author's postings, counted
            below = AUTHORS_DRIVE_BELOW
        elif f.ranged is None and not full_text:  # a category's
            below = DRIVE_BELOW
        else:
            below = DRIVE_AT_ONCE
        if n < below:
            drivers.append((n, i))
    if drivers:
        query, plan = _driven(session, spec, filters, min(drivers)[1], full_text, counted, meet=False)
        return _run(session, query, spec, plan, want)
    small = [(n, i) for i, n in counted.items() if filters[i].ranged is None and n < DRIVE_BELOW]
    if small and all(f.listed is not None for f in filters if f.ranged is not None):
        # A small category beside authors only (`author Chen cat:q-bio.NC`): the newest window
        # first, where most pages are; past it, windows of a common author's postings grew to the
        # whole store when the two rarely meet (0.7 s to find none), where the category's few
        # postings tested against each author's postings, read once, take tens of ms at most.
        found, whole = _windowed(session, spec, filters, want, windows=1)
        if len(found) >= want or whole:
            return found
        listed = [dataclasses.replace(f, probe=f.listed) if f.listed is not None else f for f in filters]
        return _run(session, _query(session, spec, listed, min(small)[1]), spec, listed, want)
    if len(full_text) > 1:
        return _several_lists_page(session, spec, filters, counted, full_text, want)
    categories = [(n, i) for i, n in counted.items() if filters[i].ranged is None]
    if categories and not full_text:
        return _category_beside_exclusions(session, spec, given, min(categories)[1], want)
    return _windowed(session, spec, filters, want)[0]


def _category_beside_exclusions(
    session: Session, spec: SearchSpec, filters: list[_Filter], category: int, want: int
) -> list[Paper]:
    """Excluded words beside a category too common to drive at once: the newest windows
    first, where a page usually is; past two of them, a category of fewer than
    CATEGORY_COUNT_CAP papers drives, its candidates tested for the exclusions a step at a
    time or against their postings read whole (_exclusions_by_step, by its count). In windows
    to the end, exclusions that reject nearly all of the category walked every paper in the
    store (`search cat:physics -model -data -results`, 6,536 papers and none without the
    three: 1 s)."""
    found, whole = _windowed(session, spec, filters, want, windows=2)
    if len(found) >= want or whole:
        return found
    estimate = filters[category].estimate
    assert estimate is not None
    count = _capped_count(session, estimate, CATEGORY_COUNT_CAP)
    if count >= CATEGORY_COUNT_CAP:  # (the windows go on from the third: WINDOW_FIRST × 16)
        return _windowed(session, spec, filters, want, size=WINDOW_FIRST * 16)[0]
    # The windows found the category's papers that pass rare among the newest: past a first
    # step, the rest are tested in one (a reading of the exclusions across their keys costs
    # what one step's does; in steps of four times the last, words in nearly every paper were
    # read up to six times: `cat eess -the -a -of`, before stop words were dropped, 390 ms).
    driven = _exclusions_by_step(session, filters, count)
    query = _query(session, spec, driven, category)
    return _run(session, query, spec, driven, want, growth=max(count, 4))


def _several_lists_page(
    session: Session,
    spec: SearchSpec,
    filters: list[_Filter],
    counted: dict[int, int],
    full_text: list[int],
    want: int,
) -> list[Paper]:
    """Words beside an author, or two authors, each with too many postings to drive at once.

    A window drives by its first postings list and looks each posting up in the others' lists
    (`pk + 0 IN …`), so the fewest postings go first: `author:Wang "Multi-Event Video"` read
    Wang's 209,000 papers in each window to test 216 (0.85 s). Lists that common and meeting
    often meet in the first two windows; past them, the windows of two lists that rarely meet
    (`author:Fei "Effect Generation"`, 13,418 and 1,391 papers, none shared) grew to the whole
    store, ~1.7 passes over each list and a walk of the date index (164 ms). So past two
    windows (and a third, WINDOWS_AFTER_A_FIND, where they found part of a page) the words'
    postings are read on, and the fewest postings, when fewer than SQLITE_AUTHOR_LIST_BELOW,
    drive once (_driven); only longer lists go on in windows."""

    def fewest_first() -> list[_Filter]:  # filters without postings of their own last
        order = sorted(range(len(filters)), key=lambda i: (i not in counted, counted.get(i)))
        return [filters[i] for i in order]

    found, whole = _windowed(session, spec, fewest_first(), want, windows=2)
    if len(found) >= want or whole:  # (a date scope of two windows or fewer: read whole)
        return found
    further = WINDOW_FIRST * 16  # the next window's papers
    if found and WINDOWS_AFTER_A_FIND:  # they meet among the newest: likely again in the next window
        found, whole = _windowed(
            session, spec, fewest_first(), want, windows=WINDOWS_AFTER_A_FIND, size=further
        )
        if len(found) >= want or whole:
            return found
        further *= 4**WINDOWS_AFTER_A_FIND
    # The words' postings, read on (an author's are counted to the bound), but only as far as
    # the fewest counted: fewer, the words drive; as many, the author drives and reads them
    # again. Reading on to 40,000 spared that second reading where the words had fewer
    # (`author:Dai "for Evaluating"`: 13,871), and was lost where they had more
    # (`author:Silva "Model for" since:…`: 40,000 read for nothing, 63 ms, 147 -> 83 ms). Over
    # 202 draws that take this path, each run both ways, the two came out even (5.98 s against
    # 6.04 in all). Reading once would need the drive to use the part read and read the rest
    # within its keys.
    bound = min([SQLITE_AUTHOR_LIST_BELOW] + [counted[i] for i in full_text if filters[i].count is not None])
    # The dates' keys bound the words read on (`author:Yang "and Reliability" since:…` read the
    # phrase's 40,000 first matches of every year, 27 ms) as they bound the drive.
    scope = _scope_keys(session, spec) if spec.since or spec.until else None
    for i in full_text:
        f = filters[i]
        if f.count is None and counted[i] >= DRIVE_AT_ONCE:
            if bound < SQLITE_AUTHOR_LIST_BELOW and _seeking_is_cheaper(session, bound, f):
                # The author will drive and seek the words: reading them on to learn whether
                # they are fewer costs more than the seeks (`author:Bharadwaj "Language
                # Training" cat:cs`: 41 ms to read on to 363, 18 to seek 363 keys).
                counted[i] = bound
            else:
                counted[i] = _postings_count(session, f, bound, within=scope)
    # A list read only to the bound loses a tie to the one counted whole.
    least, _partial, driver = min((counted[i], filters[i].count is None, i) for i in full_text)
    if least < SQLITE_AUTHOR_LIST_BELOW:
        query, plan = _driven(session, spec, filters, driver, full_text, counted, meet=True, keys=scope)
        return _run(session, query, spec, plan, want)
    return _windowed(session, spec, fewest_first(), want, size=further)[0]


def _driven(
    session: Session,
    spec: SearchSpec,
    filters: list[_Filter],
    driver: int,
    full_text: list[int],
    counted: dict[int, int],
    meet: bool,
    keys: tuple[int, int] | None = None,
) -> tuple[Select[Any], list[_Filter]]:
    """The query and filters of a plan where `driver`'s postings drive (for _run).

    An author too common to read as a list, beside fewer than NAMES_DECIDE_BELOW driven
    papers, is left to the names (_run): `zhu` probed in FTS5 per paper beside the 1,000 of
    `"Interactive LLM"` took 136 ms, the names a few ms. With `meet`, the other full-text
    lists meet the driver's before any paper is read, so a row is read only for a key in all
    of them (`author:Hu Basics:`, 9,118 and 51,229 postings, 393 shared: 36 -> ~8 ms), where
    otherwise each driven paper is read and then probed. A list is met by reading it whole,
    or, where the cost model says seeking is cheaper (SEEK_MICROS), each driving key is sought
    in its doclists before any row is read.
    `keys`, the key range of the query's dates, bounds every list, as a window is bounded
    (`author:Yao cat:cs.CL since:2025-06-28 "Modeling and"` read Yao's papers of every year)."""
    few = counted[driver] < NAMES_DECIDE_BELOW
    named = {
        i
        for i in full_text
        if i != driver and few and filters[i].count is not None and counted[i] >= SQLITE_AUTHOR_LIST_BELOW
    }
    drive = filters[driver].drive
    assert drive is not None
    met: set[int] = set()
    if meet:
        key = drive.selected_columns[0]
        lists = {
            i: d for i in full_text if i != driver and i not in named and (d := filters[i].drive) is not None
        }
        met = set(lists)
        # `+ 0`: not a constraint FTS5 takes, to seek the driver's index once per key of the
        # others (2.2 s for `author:Ouyang Memory`), but a list read once and looked up.
        conds: list[ColumnElement[bool]] = []
        for i, postings in lists.items():
            ranged, seek = filters[i].ranged, filters[i].seek
            unread = postings is filters[i].estimate  # an FTS5 query, not a list in hand
            if unread and seek is not None and _seeking_is_cheaper(session, counted[driver], filters[i]):
                conds.append(seek(key))  # each driving key sought in the words' doclists
            elif unread and ranged is not None and (part := _read_on(filters[i], keys)) is not None:
                # The postings read on to a cap, and the rest past them: `author:Can "Tasks and"
                # cat:cs.CV` read the phrase's first 4,388 (Can's count) and then all 9,918.
                low, high = keys if keys is not None else (1, _NO_KEY)
                conds.append(
                    or_(
                        (key + 0).in_(_json_keys(part.postings)),
                        ranged(max(low, part.last + 1), high, key + 0),
                    )
                )
            elif keys is not None and unread and ranged is not None:  # read within the dates' keys
                conds.append(ranged(*keys, key + 0))
            else:
                conds.append((key + 0).in_(postings))
        drive = drive.where(key.between(*keys) if keys is not None else true(), *conds)
    plan = [
        dataclasses.replace(f, drive=drive)
        if i == driver
        else dataclasses.replace(f, probe=true())
        if i in named or i in met
        else f
        for i, f in enumerate(filters)
    ]
    return _query(session, spec, plan, driver), plan


_NO_KEY = 2**63 - 1  # past every key


def _read_on(f: _Filter, keys: tuple[int, int] | None) -> _ReadOn | None:
    """The filter's postings read on to a cap, if read within the same dates' keys or all."""
    return f.read if f.read is not None and f.read.scope in (None, keys) else None


def _windowed(
    session: Session,
    spec: SearchSpec,
    filters: list[_Filter],
    want: int,
    windows: int | None = None,
    size: int | None = None,
) -> tuple[list[Paper], bool]:
    """SQLite's walk when full-text filters are common: the matches among the newest papers,
    in windows of the newest 2,000, 8,000, 32,000 … papers, each read from FTS5 between its
    lowest and highest key in one pass; and whether the windows held every paper in scope
    (after `windows` of them, or the first from `size`, there may be more to read).

    Probing FTS5 once per walked paper seeks every term's doclist again: for a phrase of two
    common words that hold 0.7 % of a million papers (`"evaluating llms"`), the walk of ~900
    papers took 3 s. A window costs one seek per term and the postings inside its key range;
    windows grow fourfold, so a page found only among old papers costs at most ~1.3× the reading
    of the papers up to it. Keys follow arrival, and arrival mostly follows dates, so a window's
    key range is narrow; where it is not, the range is wider, never the answer. No window is
    read into Python: its last paper (OFFSET in the date index, ~10 ns a paper) bounds it, and
    its key range comes from the first and last key of each of its dates (_key_range)."""
    in_scope = typing.cast(Select[Any], select(PaperRow.sort_date, PaperRow.pk).where(*_dates(spec)))
    newest = _newest_first(in_scope)
    oldest = _oldest(spec)
    # No window reaches past the highest key: the store holds no more papers than that, and
    # seeking a window's last paper by OFFSET walks the date index (22 ms for the last).
    keys = session.execute(select(func.max(PaperRow.pk))).scalar() or 0
    size = size or WINDOW_FIRST  # (read here: WINDOW_FIRST is set by tests)
    if not any(f.ranged is not None and f.drive is not None for f in filters):
        # No list's postings to test a step of: exclusions read by each window's key range
        # (`cat cs -the`, which nearly every paper holds: 570 ms a step at a time).
        filters = [dataclasses.replace(f, stepwise=False) if f.stepwise else f for f in filters]
    store = (str(session.get_bind().engine.url), spec.since, spec.until, keys)
    while True:
        bottom = _window_bottom(session, newest, (*store, size)) if size <= keys else None
        final = bottom is None
        if final:  # the window holds every paper in scope, down to the oldest
            bottom = session.execute(oldest).one_or_none()
        if bottom is None:
            return [], True
        last: tuple[dt.date | None, int] = (bottom[0], bottom[1])
        low, high = _key_range(session, *last, spec.until)
        found = _run(session, _window_query(spec, filters, low, high, last), spec, filters, want)
        if windows is not None:
            windows -= 1
        if final or len(found) >= want or windows == 0:
            return found, final
        size *= 4


# A window's last paper (date, key) by the store, the dates, the store's highest key and the
# window's size: the OFFSET that finds it walks the date index (the 512,000th newest paper:
# 13 ms warm, 206 cold, in each query whose windows reach it: `search author:Adi cat:cs.CE`).
# Any paper is a sound bound — a window is every paper from the newest down to it, and the
# last window reads down to the oldest — so a bound found before papers moved in date costs
# at most a window of another size; a new paper changes the highest key, and with it the entry.
_BOTTOMS: dict[tuple[Any, ...], tuple[Any, ...] | None] = {}
_BOTTOMS_LIMIT = 4096
_UNKNOWN = ("unknown",)  # not remembered (None is: the scope holds fewer papers than the size)


def _window_bottom(session: Session, newest: Select[Any], key: tuple[Any, ...]) -> tuple[Any, ...] | None:
    remembered = _BOTTOMS.get(key, _UNKNOWN)  # one read: another thread may empty it meanwhile
    if remembered is not _UNKNOWN:
        return remembered
    size = key[-1]
    row = session.execute(newest.offset(size - 1).limit(1)).one_or_none()
    bottom = tuple(row) if row is not None else None
    if len(_BOTTOMS) >= _BOTTOMS_LIMIT:
        _BOTTOMS.clear()
    _BOTTOMS[key] = bottom
    return bottom


def _scope_keys(session: Session, spec: SearchSpec) -> tuple[int, int]:
    """The lowest and highest key of the papers within the spec's dates ((1, 0): none)."""
    bottom = session.execute(_oldest(spec)).first()
    return (1, 0) if bottom is None else _key_range(session, bottom[0], bottom[1], spec.until)


def _oldest(spec: SearchSpec) -> Select[Any]:
    """(date, key) of the oldest paper within the spec's dates, undated papers first."""
    in_scope = typing.cast(Select[Any], select(PaperRow.sort_date, PaperRow.pk).where(*_dates(spec)))
    return in_scope.order_by(PaperRow.sort_date.asc().nulls_first(), PaperRow.pk.asc()).limit(1)


# The lowest and highest key of the papers from the newest down to (day, key) in date order: each
# date's first and last key are seeks in ix_papers_sort, and dates are found by seeking too, so
# the cost follows the dates in the window, not its papers (~1 µs a date). A min()/max() over
# the window's rows took ~150 ns a paper: 25 ms for 170,000 papers.
_KEY_RANGE = text(
    """WITH RECURSIVE day(d) AS (
        SELECT max(sort_date) FROM papers WHERE sort_date > :day AND sort_date <= :until
        UNION ALL
        SELECT (SELECT max(sort_date) FROM papers WHERE sort_date > :day AND sort_date < day.d)
        FROM day WHERE day.d IS NOT NULL
    )
    SELECT min(low), max(high) FROM (
        SELECT (SELECT min(pk) FROM papers WHERE sort_date = day.d) AS low,
               (SELECT max(pk) FROM papers WHERE sort_date = day.d) AS high
        FROM day WHERE day.d IS NOT NULL
        UNION ALL
        SELECT :key, (SELECT max(pk) FROM papers WHERE sort_date IS :last_day)
    )"""
)


def _key_range(session: Session, day: dt.date | None, key: int, until: dt.date | None) -> tuple[int, int]:
    """The key range of the papers newest first down to the one dated `day` with key `key`
    (papers without a date come last, by key descending)."""
    if day is None:  # past every dated paper (there is no `until` then)
        params = {"day": "", "until": "9999-12-31", "key": key, "last_day": None}
    else:
        params = {"day": day.isoformat(), "until": (until or dt.date.max).isoformat(), "key": key}
        params["last_day"] = params["day"]
    low, high = session.execute(_KEY_RANGE, params).one()
    return int(low), int(high)


def _window_query(
    spec: SearchSpec, filters: list[_Filter], low: int, high: int, last: tuple[dt.date | None, int]
) -> Select[Any]:
    """The matches among the papers with keys from `low` to `high` that come no later than `last`
    (date, key) newest first, in that order."""
    # The first postings list drives, and the other lists' postings in the window meet its own
    # before a row is read: each of its postings looked up in `papers` first cost ~3 µs
    # (`author:Iliash Models`, the word's 32,000 newest keys for Iliash's 410 papers: 22 ms
    # for 15 rows, 1.9 ms met first).
    ranged = [f for f in filters if f.ranged is not None]
    lists = [f for f in ranged if f.drive is not None]  # (exclusions alone have no postings)
    # Categories fewer than the lists' postings meet them too (_categories_met).
    met = [f.window_meet for f in filters if lists and f.meeting and f.window_meet is not None]
    conds = [f.probe for f in filters if f.ranged is None and f.window_meet not in met]
    if lists:
        first = lists[0]
        meets: list[Meet] = [  # (exclusions tested a step at a time are not met: _run tests them)
            functools.partial(f.ranged, low, high)
            for f in ranged
            if f is not first and f.ranged and not f.stepwise
        ]
        meets += [window_meet(low, high) for window_meet in met]
        assert first.ranged is not None
        conds.append(first.ranged(low, high, PaperRow.pk.expression, meets))
    else:
        conds += [f.ranged(low, high, PaperRow.pk.expression) for f in ranged if f.ranged]
    # Where the lists' keys are sorted by ix_papers_key_date, the window's end is a test of each
    # (`+ date`, `pk + 0`): as an OR of index ranges, SQLite's planner scanned the whole index
    # for it instead of looking the keys up (`author Burgess`: 130 ms a window, against 0.2).
    date, pk = (
        (_unindexed(PaperRow.sort_date.expression), PaperRow.pk + 0)
        if lists
        else (PaperRow.sort_date, PaperRow.pk)
    )
    day, key = last
    if day is None:
        conds.append(or_(date.is_not(None), pk >= key))
    else:
        conds.append(or_(date > day, and_(date == day, pk >= key)))
        if not lists:
            # The walk of the date index stops at the window's last date only where the end is
            # also a range of it: by the OR alone a window short of a page walked on through
            # every older paper (`cat math -models -learning -results`: 239 ms, now 7).
            conds.append(PaperRow.sort_date >= day)
    query = _newest_first(select(PaperRow).where(PaperRow.linked_to.is_(None), *_scope(spec), *conds))
    return _sorted_by_key_date(query) if lists else query


def _unindexed(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """`+column`: the same value, which SQLite's planner does not look up in an index."""
    return UnaryExpression(column, operator=custom_op("+"), type_=column.type)


def _dates(spec: SearchSpec) -> list[ColumnElement[bool]]:
    """The spec's dates."""
    dates: list[ColumnElement[bool]] = [PaperRow.sort_date >= spec.since] if spec.since else []
    return dates + ([PaperRow.sort_date <= spec.until] if spec.until else [])


def _scope(spec: SearchSpec) -> list[ColumnElement[bool]]:
    """The spec's dates and announcement types."""
    conds = _dates(spec)
    if spec.announce_types:
        conds.append(
            or_(PaperRow.announce_type.in_(list(spec.announce_types)), PaperRow.announce_type.is_(None))
        )
    return conds


def _newest_first(query: Select[Any], by_index: bool = True) -> Select[Any]:
    """Newest first. Without `by_index`, sorted by a value no index holds (`sort_date + 0`), so
    the planner cannot walk the date index, filtering row by row, instead of reading a
    drive's postings first (_driving)."""
    date = PaperRow.sort_date if by_index else PaperRow.sort_date + 0
    return query.order_by(date.desc().nulls_last(), PaperRow.pk.desc())


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
    in_gin = False  # the driver's postings read by GIN within this query (_driving)
    keyed = False  # a list of keys drives
    for i, f in enumerate(filters):
        if i == driver and f.drive is not None:
            condition, in_gin = _driving(session, f)
            query = query.where(condition)
            keyed = True
        else:
            query = query.where(f.probe)
    query = query.where(*_scope(spec))
    if newest is not None:
        return _within_newest(query, spec, newest)
    query = _newest_first(query, by_index=not in_gin)
    return _sorted_by_key_date(query) if keyed and not _postgres(session) else query


# SQLite: a list of keys that drives is sorted by the dates in ix_papers_key_date (migration
# 0012), not in each key's row; SQLite's planner would look each key up in the table.
_KEY_DATE = "INDEXED BY ix_papers_key_date"
_BY_KEY_DATE = "academichub_by_key_date"  # an execution option: the query names the index


def _sorted_by_key_date(query: Select[Any]) -> Select[Any]:
    return query.with_hint(PaperRow, _KEY_DATE, "sqlite").execution_options(**{_BY_KEY_DATE: True})


def _run(
    session: Session,
    query: Select[Any],
    spec: SearchSpec,
    filters: Sequence[_Filter],
    want: int,
    walking: bool = False,
    growth: int = 4,
    tally: _Tally | None = None,
) -> list[Paper]:
    """Run the query, keeping only rows whose authors really match (the index narrows, names
    decide) and whose text holds the phrases the keys only narrowed (PostgreSQL); each step of
    candidates `growth` times the last. `tally` counts the candidates read."""
    tally = tally if tally is not None else _Tally()
    keeps = [f.keep for f in filters if f.keep is not None]
    rejects = [f for f in filters if f.stepwise and f.among is not None]
    if not spec.authors and not keeps and not rejects:
        if query.get_execution_options().get(_BY_KEY_DATE):  # the page's keys, then their rows
            pks = list(session.execute(query.with_only_columns(PaperRow.pk).limit(want)).scalars())
            tally.read += len(pks)
            return _rows_in_order(session, pks)
        papers = [row_to_paper(r) for r in session.execute(query.limit(want)).scalars()]
        tally.read += len(papers)
        return papers
    # Candidates are read as (pk, authors) only, in growing steps: a full name with a common
    # surname ("Yijun Wang") can need thousands of `wang#y` candidates for five matches,
    # and whole rows (abstracts) in steps of 50 made that the slowest query. A walk's cost grows
    # with the candidates it must find, and a surname's candidates nearly all match, so a walk
    # asks for a page first (`author Martin`: 9,600 papers walked for 50 candidates, 28 ms);
    # driven postings are sorted whole whatever the step, so they take a bigger one. A phrase's
    # pairs also find its words across a full stop (and, before migration 0013, across a stop
    # word: `quality of evaluation` for "Quality Evaluation", 2 of the first 6 candidates held
    # it), and each further step of a walk runs it again from the newest paper, so a walk for
    # a phrase asks for three pages.
    queries = [parse_author_query(a) for a in spec.authors]
    texts = (PaperRow.title, PaperRow.abstract) if keeps else ()
    candidates = typing.cast(Select[Any], query.with_only_columns(PaperRow.pk, PaperRow.authors, *texts))
    keyed = bool(query.get_execution_options().get(_BY_KEY_DATE))
    winners: list[int] = []
    step, offset = ((want * 3 if keeps else want) if walking else max(want * 4, FIRST_STEP)), 0
    while len(winners) < want:
        if keyed:  # a step's keys in order from the key-date index
            pks = list(
                session.execute(query.with_only_columns(PaperRow.pk).offset(offset).limit(step)).scalars()
            )
        if keyed and not (queries or keeps):  # exclusions alone decide: no row is read
            passed: list[int] = pks  # (12,804 rows: 40 ms)
            read = len(passed)
        else:
            if keyed:  # then only the step's rows
                by_key = {r.pk: r for r in session.execute(_of_keys(candidates, pks))}
                rows = [by_key[pk] for pk in pks]
            else:
                rows = list(session.execute(candidates.offset(offset).limit(step)))
            read = len(rows)
            # Collaborations list hundreds of authors: stop at a full page (with exclusions
            # still to test, the step's every candidate).
            room = len(rows) if rejects else want - len(winners)
            passed = []
            for row in rows:
                if (
                    len(passed) < room
                    and all(any(author_matches(q, a) for a in row.authors) for q in queries)
                    and all(keep(row.title or "", row.abstract or "") for keep in keeps)
                ):
                    passed.append(row.pk)
        tally.read += read
        if rejects and passed:
            unwanted = {pk for f in rejects for pk in session.execute(_rejected(f, passed)).scalars()}
            passed = [pk for pk in passed if pk not in unwanted]
        winners += passed[: want - len(winners)]
        if read < step:
            break
        offset, step = offset + step, step * growth
    return _rows_in_order(session, winners[:want])


@dataclasses.dataclass
class _Tally:
    """What a run read: its candidates (rows its query found, before the names and phrases
    checked them)."""

    read: int = 0


def _rejected(f: _Filter, keys: list[int]) -> Select[Any]:
    """Which of these candidates hold an excluded term: each sought, or, where a step holds more
    candidates than that is worth (an exclusion rejecting nearly all of a list counted only to
    a cap, `cat cs -the`), the exclusion's postings read across the step's keys instead — each
    step then costs at most one reading of them."""
    assert f.among is not None and f.leaves is not None
    read = len(keys) * len(f.terms) * SEEK_MICROS > LEAF_MICROS * sum(f.leaves)
    return f.among(keys, read)


def _of_keys(query: Select[Any], pks: list[int]) -> Select[Any]:
    """The query's columns for these keys of `papers`, by key, in no order (SQLite: as one JSON
    array, since a step can hold more keys than a statement takes parameters)."""
    return select(*query.selected_columns).where(PaperRow.pk.in_(_json_keys(json.dumps(pks))))


def _rows_in_order(session: Session, pks: list[int]) -> list[Paper]:
    if not pks:
        return []
    rows = {r.pk: r for r in session.execute(select(PaperRow).where(PaperRow.pk.in_(pks))).scalars()}
    return [row_to_paper(rows[pk]) for pk in pks]


def _excludes_what_it_requires(positive: Sequence[str], negative: Sequence[str]) -> bool:
    """True when an excluded term's words stand together in a wanted word or phrase
    (`Reasoning -reasoning`, `"chain of thought" -thought`): every paper with the one has the
    other, so nothing matches. Either index would read every paper with the word to find that
    out (3.4 s for `Reasoning -Reasoning` at a million papers on PostgreSQL). (The query
    language drops an excluded term of stop words alone: bot.query.)"""
    wanted = [lexemes.plain_words(term) for term in positive]
    for term in negative:
        words = lexemes.plain_words(term)
        if not words:
            continue
        n = len(words)
        if any(held[i : i + n] == words for held in wanted for i in range(len(held) - n + 1)):
            return True
    return False


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


def like_scan(*, session: Session, spec: SearchSpec, limit: int = 5) -> list[str]:
    """The naive baseline the benchmark compares against: the same text query answered by
    LIKE scans of titles and abstracts, newest first — every word and phrase contained,
    no excluded word, in the categories (paper_categories, indexed), since the date. Authors
    are not its business (the benchmark scans the text shapes only)."""

    def contains(term: str) -> ColumnElement[bool]:
        pattern = f"%{term}%"
        return or_(PaperRow.title.ilike(pattern), PaperRow.abstract.ilike(pattern))

    conditions = [contains(t) for t in (*spec.words, *spec.phrases)]
    conditions += [~contains(t) for t in spec.exclude]
    if spec.categories:
        in_category = _category_conditions(spec.categories)
        conditions.append(exists().where(PaperCategory.paper_pk == PaperRow.pk, in_category))
    if spec.since is not None:
        conditions.append(PaperRow.sort_date >= spec.since)
    rows = session.execute(
        select(PaperRow.id)
        .where(and_(true(), *conditions))
        .order_by(PaperRow.sort_date.desc(), PaperRow.pk.desc())
        .limit(limit)
    )
    return [r.id for r in rows]
