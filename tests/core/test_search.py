"""Search over the store through the same path a slash command takes, on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy import text as sql
from sqlalchemy.engine import Engine as SQLEngine

from bot.commands import spec_for
from bot.engine import Engine
from bot.models import Caller
from bot.names import author_matches, parse_author_query
from bot.query import UsageError, parse
from bot.stopwords import stop_words_only
from bot.store import lexemes
from bot.store import search as search_module
from bot.store.search import SearchSpec
from tests.conftest import FIXTURES
from tests.feeds import Item, write_feed

DAY = dt.date(2026, 6, 16)
PEOPLE = [
    Item(
        id="2606.40001",
        title="Deep ReLU networks and approximation",
        creators="Philipp Grohs",
        categories=["math.NA", "cs.LG"],
        abstract="We study approximation rates. Shared representation helps.",
    ),
    Item(
        id="2606.40002",
        title="Operator learning with kernels",
        creators="P. Grohs, Lukas Herrmann",
        categories=["cs.LG"],
        abstract="A shared representation of operators for operator learning.",
    ),
    Item(
        id="2606.40003",
        title="Graph limits",
        creators="Anna Grohs",
        categories=["math.CO"],
        abstract="Representation shared across graphs, a survey.",
    ),
    Item(
        id="2606.40004",
        title="Unrelated name",
        creators="Thomas Grohsmann",
        categories=["math.AP"],
        abstract="We study a PDE.",
    ),
    Item(
        id="2606.40005",
        title="Expressivity",
        creators='Philipp G\\"uhring',
        categories=["cs.LG"],
        abstract="Neural network expressivity.",
    ),
    Item(
        id="2606.40006",
        title="Sobolev training",
        creators="Philipp Guehring",
        categories=["cs.LG"],
        abstract="Training in Sobolev norms.",
    ),
    Item(
        id="2606.40007",
        title="Compression",
        creators="Philipp Guhring",
        categories=["stat.ML"],
        abstract="Compressing networks.",
    ),
    Item(id="2606.40008", title="A", creators="Yijun Wang", categories=["cs.CL"]),
    Item(id="2606.40009", title="B", creators="Y. Wang", categories=["cs.CL"]),
    Item(id="2606.40010", title="C", creators="Wang Yijun", categories=["cs.CL"]),
    Item(id="2606.40011", title="D", creators="Yue Wang, Jismy Rasool", categories=["cs.CL"]),
    Item(id="2606.40012", title="E", creators="Mohamed Jismy Aashik Rasool", categories=["cs.CL"]),
]


@pytest.fixture(
    params=[
        "postings-drive",
        "walk-by-date",
        "walk-against-a-list",
        "walk-then-drive",
        "walk-in-windows",
        "few-drive-else-windows",
    ],
    autouse=True,
)
def plan(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every query plan must give the same answers (the store picks one by postings size; on
    PostgreSQL full text walks the newest papers first, then its postings drive; on SQLite a
    walk probes authors per row in FTS5 or against a list of their postings, or reads FTS5 by
    key range for growing windows of the newest papers — here from 3 papers, so a query
    crosses many windows — and with a full-text filter, postings under a bound drive and the
    rest go in windows: with a bound of 2, some queries of each kind take either plan)."""
    plans = {
        "postings-drive": (5000, 0.0, 0, 0),
        "walk-by-date": (0, 1e9, 0, 0),
        "walk-against-a-list": (0, 1e9, 10**9, 0),
        "walk-then-drive": (5000, 1.0, 0, 0),
        "walk-in-windows": (0, 1e9, 0, 3),
        "few-drive-else-windows": (2, 0.0, 0, 3),
    }
    drive_below, walk_per_guess, list_below, window = plans[request.param]
    monkeypatch.setattr(search_module, "DRIVE_BELOW", drive_below)
    monkeypatch.setattr(search_module, "DRIVE_AT_ONCE", drive_below)
    monkeypatch.setattr(search_module, "AUTHORS_DRIVE_BELOW", drive_below)
    monkeypatch.setattr(search_module, "WALK_PER_GUESS", walk_per_guess)
    monkeypatch.setattr(search_module, "SQLITE_AUTHOR_LIST_BELOW", list_below)
    monkeypatch.setattr(search_module, "WINDOW_FIRST", window)


@pytest.fixture
def store(engine: Engine, tmp_path: Path) -> Engine:
    engine.ingest([write_feed(tmp_path / "people.xml", PEOPLE, DAY)])
    engine.ingest([str(FIXTURES / "corpus" / "kaggle_arxiv_metadata_oai_snapshot_first200.jsonl")])
    return engine


def ids(engine: Engine, text: str, limit: int = 20) -> set[str]:
    return {p.id for p in engine.search(text, limit=limit)}


def scope_less_excluded(engine: Engine, query: str) -> set[str]:
    """What `query` (`scope -term -term …`) should find: the scope's papers less those a search
    for each excluded term finds."""
    scope, *excluded = query.split(" -")
    found = ids(engine, scope, limit=500)
    for term in excluded:
        found -= ids(engine, f"search {term}", limit=500)
    return found


@contextlib.contextmanager
def _statements() -> Iterator[list[str]]:
    """Every SQL statement any engine runs inside the block, its whitespace collapsed."""
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(" ".join(statement.split()))

    event.listen(SQLEngine, "before_cursor_execute", seen)  # the store reads on an engine of its own
    try:
        yield statements
    finally:
        event.remove(SQLEngine, "before_cursor_execute", seen)


def test_author_surname_matches_forms_not_longer_names(store: Engine) -> None:
    assert ids(store, "author Grohs") == {"2606.40001", "2606.40002", "2606.40003"}
    assert ids(store, "search author:Grohs") == {"2606.40001", "2606.40002", "2606.40003"}


def test_author_with_initial_must_be_compatible(store: Engine) -> None:
    assert ids(store, 'author "P. Grohs"') == {"2606.40001", "2606.40002"}
    assert ids(store, "author Philipp Grohs") == {"2606.40001", "2606.40002"}


SERRES = [
    Item(id="2606.40013", title="F", creators="Jean-Pierre Serre", categories=["math.NT"]),
    Item(id="2606.40014", title="G", creators="J.-P. Serre", categories=["math.NT"]),
    Item(id="2606.40015", title="H", creators="Jean Pierre Serre", categories=["math.NT"]),
    Item(id="2606.40016", title="I", creators="Jean Serre, Jean-Paul Serre", categories=["math.NT"]),
]
SERRE = {"2606.40013", "2606.40014", "2606.40015"}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ('"Jean-Pierre Serre"', SERRE),
        ("Jean-Pierre Serre", SERRE),
        ('"Serre, Jean-Pierre"', SERRE),
        ('"Jean Pierre Serre"', SERRE),
        ('"J.-P. Serre"', SERRE | {"2606.40016"}),  # Jean-Paul Serre too
    ],
)
def test_a_hyphenated_given_name_finds_its_author_in_every_form(
    store: Engine, tmp_path: Path, name: str, expected: set[str]
) -> None:
    """A hyphenated given name is matched piece by piece: written whole, with initials or
    without its hyphen; never a Serre with only one of its pieces (Jean Serre). Whole, it
    found no one, not even its own author."""
    store.ingest([write_feed(tmp_path / "serres.xml", SERRES, DAY)])
    assert ids(store, f"author {name}") == expected
    quoted = '"' + name.strip('"') + '"'
    assert ids(store, f"search author:{quoted} cat:math.NT") == expected


@pytest.mark.parametrize("spelling", ["Gühring", "Guehring", "Guhring"])
def test_transliterations_find_every_spelling(store: Engine, spelling: str) -> None:
    assert ids(store, f"author {spelling}") == {"2606.40005", "2606.40006", "2606.40007"}


def test_categories_cross_lists_archives_and_old_style_ids(store: Engine, tmp_path: Path) -> None:
    assert "2606.40001" in ids(store, "cat math.NA")  # cross-listed there, primary math.NA
    assert ids(store, "cat:math", limit=50) >= {"2606.40001", "2606.40003", "2606.40004"}
    old = ids(store, "cat hep-ph", limit=50)
    assert "0704.0001" in old and all(not i.startswith("2606") for i in old)
    # `math-ph` is an archive of its own, not a `math.*` category (walked or driven alike).
    physics = Item(id="2606.40099", title="Spectral gaps", creators="Ada Lovelace", categories=["math-ph"])
    store.ingest([write_feed(tmp_path / "math-ph.xml", [physics], DAY)])
    assert "2606.40099" in ids(store, "cat:math-ph") and "2606.40099" not in ids(store, "cat:math", limit=200)


def test_phrase_first_exclusion_and_combination(store: Engine) -> None:
    ranked = [p.id for p in store.search("search shared representation", limit=5)]
    assert ranked[0] in {"2606.40001", "2606.40002"} and "2606.40003" in ranked
    assert ranked.index("2606.40003") > max(ranked.index("2606.40001"), ranked.index("2606.40002"))
    assert "2606.40003" not in ids(store, "search representation -survey")
    assert ids(store, 'author:Grohs cat:cs.LG "shared representation"') == {"2606.40002", "2606.40001"}


def test_a_phrase_of_words_held_apart_is_not_a_match(store: Engine) -> None:
    """All three papers hold both words; PostgreSQL takes candidates by their words, then checks
    the phrase on each (newest first), so only words side by side and in order match."""
    assert ids(store, 'search "shared representation"') == {"2606.40001", "2606.40002"}
    assert ids(store, 'search "representation shared"') == {"2606.40003"}
    assert ids(store, 'search "shared representation" -operators') == {"2606.40001"}
    assert ids(store, 'search "representation shared" cat:math.CO') == {"2606.40003"}


def test_excluding_a_wanted_word_matches_nothing_without_reading_the_index(
    store: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every paper with `representation` has it: nothing can match, and the index is not read
    to find that out (PostgreSQL read every paper with the word: 3.4 s at a million)."""
    words_apart = ids(store, 'search shared representation -"shared representation"')
    assert words_apart == {"2606.40003"}  # wanted apart, excluded together: the store decides
    assert ids(store, "search representation -representations") == set()  # one stem (PostgreSQL: one key)
    # A stem of a wanted phrase's word: every paper with the phrase holds it (PostgreSQL read
    # each such paper to find that out: `Multi-Agent -Agents`, 2.2 s at a million).
    with _statements() as statements:
        assert ids(store, 'search "shared representation" -representations') == set()
        assert ids(store, "search Multi-Task -Tasks") == set()
    if store.db.engine.dialect.name == "postgresql":  # (FTS5 answers from its index)
        assert not [s for s in statements if "FROM papers" in s], statements

    def no_index(*_: object) -> None:
        raise AssertionError("the index was read")

    monkeypatch.setattr(search_module, "_filters", no_index)
    for query in (
        "search representation -Representation",
        'search "shared representation" -representation',
        'search cat:cs.LG "shared representation" -"shared representation"',
        'author:Grohs search "shared representation learning" -"representation learning"',
    ):
        assert ids(store, query) == set(), query


def test_excluded_words_alone_take_what_the_words_leave(store: Engine) -> None:
    """With no wanted word, exclusions are read window by window on SQLite (walk-in-windows
    crosses many): under every plan they leave exactly what searches for each excluded term do
    not find, alone or beside a category or an author. Two exclusions drop papers holding
    either (SQLite's FTS5 query once asked for papers holding both)."""
    every = ids(store, "search -zzzunseen", limit=500)
    assert len(every) > 200
    cases = [
        ("search -representation", every, ["search representation"]),
        ('search -"shared representation"', every, ['search "shared representation"']),
        ("cat:math -representation", ids(store, "cat:math", limit=500), ["search representation"]),
        ("author Grohs -operators", ids(store, "author Grohs", limit=500), ["search operators"]),
        ("cat:hep-ph -model -mass", ids(store, "cat hep-ph", limit=500), ["search model", "search mass"]),
    ]
    for query, scope, found in cases:
        expected = scope - set().union(*(ids(store, f, limit=500) for f in found))
        assert ids(store, query, limit=500) == expected and expected, query


def test_many_excluded_words_are_one_test_of_each_row_and_leave_what_each_would(store: Engine) -> None:
    """PostgreSQL took each excluded word's test for a third of the rows: with twenty, it
    expected next to no match and planned to read every paper (`search model -w1 … -w20`:
    12.9 s at a million, 26 s with 60). The excluded words are one overlap test of the row's
    array; the answers are what each exclusion alone leaves, on both stores."""
    words = ["model", "mass", "field", "energy", "quantum", "data", "method", "results", "theory", "system"]
    fillers = [f"zzzunseen{i}" for i in range(15)]  # in no paper: they exclude nothing
    scope = ids(store, "search also", limit=500)
    expected = scope - set().union(*(ids(store, f"search {w}", limit=500) for w in words))
    query = "search also " + " ".join(f"-{w}" for w in [*words, *fillers])
    assert expected and ids(store, query, limit=500) == expected
    if store.db.engine.dialect.name == "postgresql":
        with store.db.reading() as session:
            f = search_module._text_filter(session, ["also"], [*words, *fillers], [])
        assert f.drive is not None
        statement = str(f.drive.compile(dialect=store.db.engine.dialect))
        assert statement.count("arrayoverlap") == 1 and statement.count("arraycontains") == 0, statement


@pytest.mark.parametrize("form", ["whole", "sought", "read by step"])
def test_exclusions_beside_a_list_are_sought_a_step_at_a_time_or_read_whole_alike(
    store: Engine, monkeypatch: pytest.MonkeyPatch, form: str
) -> None:
    """SQLite: excluded words beside an author or a category either read their postings whole
    (a NOT IN) or test each step of candidates (EXCLUDE_MICROS decides), by seeking them or,
    for a step too large for that (LEAF_MICROS), by reading the postings across its keys: the
    same pages, a page at a time too, in every plan; by step, no statement reads the excluded
    postings whole."""
    stepwise = form != "whole"
    if store.db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's FTS5 exclusions")
    queries = [
        "cat:math -representation",
        "author Grohs -operators",
        "author Wang -zzzunseen",
        "cat:hep-ph -model -mass",
        'search author:Grohs cat:cs.LG -"shared representation"',
        "author Wang -learning -language",
    ]
    monkeypatch.setattr(search_module, "EXCLUDE_MICROS", 10**9 if stepwise else 0)
    monkeypatch.setattr(search_module, "LEAF_MICROS", 0 if form == "read by step" else 10**9)
    found: list[int] = []
    stepped = 0
    with _statements() as statements:
        for q in queries:
            statements.clear()
            whole = [p.id for p in store.search(q, limit=500)]
            # (windows with no list of postings read exclusions by key range: `rowid BETWEEN`)
            whole_form = r"NOT IN \(SELECT papers_fts.rowid [^()]* MATCH \?\)"
            read_whole = [s for s in statements if re.search(whole_form, s)]
            sought = [s for s in statements if re.search(r"papers_fts.rowid IN \(", s)]
            read = [s for s in statements if re.search(r"papers_fts.rowid BETWEEN .* json_each", s)]
            by_step = {"whole": [], "sought": sought, "read by step": read}[form]
            others = [s for kind, s in (("sought", sought), ("read by step", read)) if kind != form]
            assert not (stepwise and read_whole) and not any(others), (q, statements)
            stepped += bool(by_step)
            assert set(whole) == scope_less_excluded(store, q), q
            assert [p.id for p in store.search(q, limit=3)] == whole[:3], q
            found.append(len(whole))
    assert sum(n > 3 for n in found) >= 4, found  # pages of several steps, not only empty ones
    assert bool(stepped) == stepwise  # (in every plan some query has a list to test a step of)


def test_a_window_without_a_list_stops_at_its_last_date(
    store: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite: windows with no list of postings (a category beside excluded words) walk the
    date index newest first, and each walk stops at its window's last date: by its OR of
    (date, key) alone a window that held less than a page walked on through every older paper
    (`cat math -models -learning -results`: 239 ms at a million papers, now 7)."""
    if store.db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's windows")
    monkeypatch.setattr(search_module, "WINDOW_FIRST", 3)
    monkeypatch.setattr(search_module, "DRIVE_BELOW", 0)  # the category too common to drive,
    monkeypatch.setattr(search_module, "CATEGORY_COUNT_CAP", 1)  # even past the first windows
    seen: list[tuple[str, Any]] = []

    def window(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "ORDER BY papers.sort_date DESC" in statement and "NOT IN (SELECT papers_fts.rowid" in statement:
            seen.append((statement, parameters))

    event.listen(SQLEngine, "before_cursor_execute", window)
    try:
        found = {p.id for p in store.search("cat:math -representation", limit=500)}
    finally:
        event.remove(SQLEngine, "before_cursor_execute", window)
    math = {p.id for p in store.search("cat:math", limit=500)}
    assert found == math - {p.id for p in store.search("search representation", limit=500)}
    assert found and len(seen) >= 3  # windows of 3, 12, 48 … papers
    with store.db.engine.connect() as conn:
        for statement, parameters in seen:
            plan = " ".join(
                str(row) for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
            )
            assert re.search(
                r"SEARCH papers USING (COVERING )?INDEX ix_papers_sort \(sort_date>\?\)", plan
            ), plan


@pytest.mark.parametrize("cap", [1, 10**6])
def test_a_category_beside_exclusions_drives_past_two_windows_below_its_cap(
    store: Engine, monkeypatch: pytest.MonkeyPatch, cap: int
) -> None:
    """SQLite: excluded words beside a category too common to drive at once read two windows of
    the newest papers; past them a category of fewer than CATEGORY_COUNT_CAP papers drives, the
    candidates past the first step tested in one more, and a larger one goes on in windows to
    the end. The answers are the same either way."""
    if store.db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's plan")
    monkeypatch.setattr(search_module, "WINDOW_FIRST", 1)
    monkeypatch.setattr(search_module, "DRIVE_BELOW", 1)
    monkeypatch.setattr(search_module, "DRIVE_AT_ONCE", 1)
    monkeypatch.setattr(search_module, "CATEGORY_COUNT_CAP", cap)
    queries = [
        "cat:math -paper -given -results -using",
        "cat:hep-ph -model -quark -decay",
        "cat:math -zzzunseen",
        'cat:math -"we prove"',
    ]
    drive = (
        "FROM papers INDEXED BY ix_papers_key_date WHERE papers.linked_to IS NULL "
        "AND papers.pk IN (SELECT paper_categories"
    )
    with _statements() as statements:
        for q in queries:
            statements.clear()
            found = [p.id for p in store.search(q, limit=500)]
            keys = [s for s in statements if drive in s]
            expected = scope_less_excluded(store, q)
            assert set(found) == expected and expected, q
            statements.clear()
            assert [p.id for p in store.search(q, limit=1)] == found[:1], q
            stepped = [s for s in statements if drive in s]
            # driven below the cap: a first step, then the rest in one
            assert (bool(keys), len(stepped) <= 2) == (cap > 1, True), (q, statements)


def test_excluded_stop_words_are_dropped_on_both_stores(store: Engine) -> None:
    """An excluded term of stop words alone excludes nothing (the query language drops it), on
    both stores: PostgreSQL's keys drop stop words; FTS5 holds them, and nearly every paper has
    one. `-Loop,and` is `-Loop`."""
    assert ids(store, "cat:math -the -of", limit=500) == ids(store, "cat:math", limit=500)
    assert ids(store, 'search representation -"of the" -a') == ids(store, "search representation")
    with_loop = ids(store, "search loop", limit=500)
    assert ids(store, "cat:math -loop,and", limit=500) == ids(store, "cat:math", limit=500) - with_loop
    assert parse("cat math -Loop,and").to_text() == "cat math -Loop"


def test_wanted_stop_words_are_dropped_on_both_stores(store: Engine) -> None:
    """A wanted term of stop words alone is dropped too: PostgreSQL found nothing for
    `search representation "of the"` (its keys have no stop word), SQLite every paper with
    the word (nearly all hold `of the`). Both stores now answer as for the word alone."""
    alone = ids(store, "search representation")
    assert alone
    assert ids(store, 'search representation "of the"') == alone
    assert ids(store, "search representation the") == alone
    assert ids(store, "search cat:math a", limit=500) == ids(store, "search cat:math", limit=500)


def test_an_exclusion_is_tested_a_step_at_a_time_where_its_steps_cost_less() -> None:
    """The cost of testing candidates a step at a time, were every one rejected, follows _run's
    steps (50, 200, 800 …), each sought or read across its keys, whichever costs less; the
    postings read whole (a NOT IN) cost EXCLUDE_MICROS a leaf."""
    seek, leaf = search_module.SEEK_MICROS, search_module.LEAF_MICROS
    assert search_module._stepwise_micros(0, 2, 463) == 0
    assert search_module._stepwise_micros(40, 2, 463) == 40 * 2 * seek
    steps = [50, 200, 800, 4136 - 1050]  # the last step holds the rest
    expected = sum(min(n * 2 * seek, leaf * 463) for n in steps)
    assert search_module._stepwise_micros(4136, 2, 463) == expected
    whole = search_module.EXCLUDE_MICROS * 463
    # `search cat:q-bio -model -data` at a million papers: 4,136 candidates, 463 leaves
    assert expected < whole < 4136 * 2 * seek  # by step now; seeking them all was the estimate
    assert search_module._stepwise_micros(300_000, 2, 463) > whole  # `cat cs.LG -model`: whole


@pytest.mark.parametrize("meeting", [False, True])
def test_a_category_fewer_than_the_authors_meets_them_in_windows_with_the_same_answers(
    store: Engine, monkeypatch: pytest.MonkeyPatch, meeting: bool
) -> None:
    """SQLite: in windows, a category with fewer postings than the author's is a condition on
    the author's postings (its keys in the window's range, from paper_categories) instead of
    a probe of each candidate's row; the answers are the same under every plan, and with
    windows forced, the statements show which form ran."""
    queries = [
        "search author:Grohs cat:cs.LG",
        "search author:Wang cat:cs.CL",
        "search author:Wang cat:math",  # an archive: every math.*
        "search author:Grohs cat:hep-ph",  # none
        'search author:"P. Grohs" cat:math.NA',
        "search author:Wang cat:cs.CL,math -representation",
    ]
    expected = {q: [p.id for p in store.search(q, limit=50)] for q in queries}
    assert sum(bool(v) for v in expected.values()) >= 4
    met = search_module._categories_met

    def forced(session: Any, filters: Any, counted: Any) -> Any:
        if meeting:
            return [dataclasses.replace(f, meeting=f.window_meet is not None) for f in filters]
        return met(session, filters, {})  # no list counted: none meets

    monkeypatch.setattr(search_module, "_categories_met", forced)
    for q in queries:
        assert [p.id for p in store.search(q, limit=50)] == expected[q], q
        assert [p.id for p in store.search(q, limit=2)] == expected[q][:2], q
    if store.db.engine.dialect.name != "sqlite":
        return
    _lists_past_the_windows(monkeypatch, window_first=3)
    monkeypatch.setattr(search_module, "DRIVE_BELOW", 0)  # nor the category alone
    with _statements() as statements:
        for q in queries:
            statements.clear()
            assert [p.id for p in store.search(q, limit=50)] == expected[q], q
            windows = [s for s in statements if "paper_author_index MATCH" in s and "ix_papers_key_date" in s]
            inside = [s for s in windows if "paper_categories.paper_pk BETWEEN" in s]
            probed = [s for s in windows if "category_terms" in s]
            assert windows and (inside and not probed if meeting else probed and not inside), (q, windows)


def test_a_category_meets_an_authors_windows_only_when_known_to_be_few_enough(
    store: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite: a category meets the author's postings below CATEGORY_MEETS_BELOW times their
    count; one counted only to DRIVE_BELOW is counted on up to that bound, or up to
    CATEGORY_COUNT_CAP, past which it is not known to be fewer and is probed (`author:Liu
    cat:cs` met every `cs` posting of each window: 149 ms)."""
    if store.db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's windows")
    spec = spec_for(parse("search author:Wang cat:cs"), dt.date(2026, 12, 4))
    with store.db.reading() as session:
        filters = search_module._filters(session, spec, [])
        cat = next(i for i, f in enumerate(filters) if f.window_meet is not None)
        author = next(i for i, f in enumerate(filters) if f.ranged is not None)
        in_cs = search_module._capped_count(session, filters[cat].estimate, 10**6)
        assert in_cs > 8

        def meets(counted_cat: int, authors: int) -> bool:
            met = search_module._categories_met(session, filters, {cat: counted_cat, author: authors})
            return met[cat].meeting

        monkeypatch.setattr(search_module, "CATEGORY_MEETS_BELOW", 2)
        assert meets(in_cs, in_cs) and not meets(in_cs, in_cs // 2)  # counted exactly: below 2×
        monkeypatch.setattr(search_module, "DRIVE_BELOW", 4)  # so 4 means "4 or more"
        assert meets(4, in_cs) and not meets(4, in_cs // 2)  # counted on
        monkeypatch.setattr(search_module, "CATEGORY_COUNT_CAP", in_cs - 1)
        assert not meets(4, in_cs)  # past the cap: not known to be fewer


def test_a_small_category_beside_authors_drives_after_one_window(
    store: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite: an author beside a small category reads the newest window, then lets the
    category's postings drive, each tested against the author's postings read once. Forced
    here (windows of 3 papers, no other driver), it answers as the plain drive does."""
    queries = [
        "author Grohs cat:math",
        "author Grohs cat:cs.LG",
        "author Wang cat:cs.CL",
        'author "P. Grohs" cat:math.NA',
        "author Grohs cat:hep-ph",  # none
        "author Wang cat:math -representation",
    ]
    monkeypatch.setattr(search_module, "WINDOW_FIRST", 0)
    monkeypatch.setattr(search_module, "DRIVE_BELOW", 5000)
    monkeypatch.setattr(search_module, "AUTHORS_DRIVE_BELOW", 5000)
    expected = {q: [p.id for p in store.search(q, limit=50)] for q in queries}
    monkeypatch.setattr(search_module, "WINDOW_FIRST", 3)
    monkeypatch.setattr(search_module, "DRIVE_AT_ONCE", 0)
    monkeypatch.setattr(search_module, "AUTHORS_DRIVE_BELOW", 0)
    assert any(expected.values()) and not expected["author Grohs cat:hep-ph"]
    for q in queries:
        assert [p.id for p in store.search(q, limit=50)] == expected[q], q


def test_words_beside_an_author_are_read_fewest_postings_first(
    store: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite: an author and words each too common to drive alone go in windows led by the
    fewer postings, then, past two windows, the fewer drive once and are looked up in the
    others' lists read whole, or, where a list is too long to read, the windows go on. Forced
    here (windows of one paper, nothing drives at first), every route answers as the plain
    drive does, and the windows start with the fewer postings."""
    queries = [
        'search author:Grohs "shared representation"',
        "search author:Grohs representation",
        "search author:Grohs approximation cat:math.NA",
        'search author:Grohs author:"Lukas Herrmann" operator',
        "search author:Grohs representation -survey",
        "search author:Grohs representation since:2000-01-01",  # the lists bounded by the dates
        "search author:Wang representation",  # none
        'search author:Grohs "study a PDE"',  # none: the phrase is Grohsmann's
    ]
    monkeypatch.setattr(search_module, "WINDOW_FIRST", 0)
    monkeypatch.setattr(search_module, "DRIVE_BELOW", 5000)
    monkeypatch.setattr(search_module, "DRIVE_AT_ONCE", 5000)
    monkeypatch.setattr(search_module, "AUTHORS_DRIVE_BELOW", 5000)
    expected = {q: [p.id for p in store.search(q, limit=50)] for q in queries}
    assert expected[queries[0]] and not expected["search author:Wang representation"]
    assert not expected['search author:Grohs "study a PDE"']
    led_by: list[bool] = []
    real_windowed = search_module._windowed

    def windowed(session: Any, spec: SearchSpec, filters: list[Any], *args: Any, **kwargs: Any) -> Any:
        led_by.append(filters[0].count is None)  # a text filter (an author's postings are counted)
        return real_windowed(session, spec, filters, *args, **kwargs)

    monkeypatch.setattr(search_module, "_windowed", windowed)
    monkeypatch.setattr(search_module, "WINDOW_FIRST", 1)
    monkeypatch.setattr(search_module, "DRIVE_AT_ONCE", 0)
    monkeypatch.setattr(search_module, "AUTHORS_DRIVE_BELOW", 0)
    for list_below in (10**6, 0):  # the lists read whole, or never
        monkeypatch.setattr(search_module, "SQLITE_AUTHOR_LIST_BELOW", list_below)
        for q in queries:
            assert [p.id for p in store.search(q, limit=50)] == expected[q], (q, list_below)
    if store.db.engine.dialect.name == "sqlite":
        # `"study a PDE"` has 1 paper and Grohs 3 (counted, each, past a driving bound of 1):
        # the phrase leads.
        monkeypatch.setattr(search_module, "SQLITE_AUTHOR_LIST_BELOW", 10**6)
        monkeypatch.setattr(search_module, "DRIVE_AT_ONCE", 1)
        monkeypatch.setattr(search_module, "AUTHORS_DRIVE_BELOW", 1)
        led_by.clear()
        store.search('search author:Grohs "study a PDE"', limit=5)
        assert led_by and all(led_by)


def _lists_past_the_windows(monkeypatch: pytest.MonkeyPatch, window_first: int) -> None:
    """SQLite: an author beside words goes through windows of `window_first` papers and past
    them, where neither list drives at once and both are short enough to drive or meet."""
    monkeypatch.setattr(search_module, "WINDOW_FIRST", window_first)
    monkeypatch.setattr(search_module, "DRIVE_AT_ONCE", 0)
    monkeypatch.setattr(search_module, "AUTHORS_DRIVE_BELOW", 0)
    monkeypatch.setattr(search_module, "SQLITE_AUTHOR_LIST_BELOW", 10**6)


def test_words_beside_an_author_are_read_on_only_as_far_as_the_authors_postings(
    store: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite: past two windows the words' postings are read on only up to the author's count:
    past it the author drives, and the rest of the list was read for nothing
    (`author:Silva "Model for" since:…` read the phrase's first 40,000 matches, 63 ms, beside
    Silva's 2,600 papers). The answers stay those of the plain drive."""
    if store.db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's windows")
    queries = [
        "search author:Grohs representation",
        'search author:Grohs "shared representation"',
        "search author:Grohs representation since:2026-06-01",  # read on within the dates' keys
    ]
    expected = {q: [p.id for p in store.search(q, limit=50)] for q in queries}
    assert all(expected.values())
    _lists_past_the_windows(monkeypatch, window_first=1)
    monkeypatch.setattr(search_module, "LEAF_MICROS", 0)  # read, never sought at the author's keys
    monkeypatch.setattr(search_module, "KEEP_MICROS", 0)
    caps: list[int] = []
    ranges: list[Any] = []
    real_count = search_module._postings_count

    def count(session: Any, f: Any, cap: int = search_module.DRIVE_BELOW, within: Any = None) -> int:
        if f.count is None and f.ranged is not None:  # the words' postings
            caps.append(cap)
            ranges.append(within)
        return real_count(session, f, cap, within)

    monkeypatch.setattr(search_module, "_postings_count", count)
    grohs = len(ids(store, "author Grohs", limit=50))
    for q in queries:
        caps.clear()
        assert [p.id for p in store.search(q, limit=50)] == expected[q], q
        assert caps[-1] == grohs, (q, caps)  # read on, to the author's count and no further
        assert (ranges[-1] is not None) == ("since:" in q), (q, ranges)


def test_words_read_on_to_the_authors_count_are_not_read_again(
    store: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite: where the words' postings, read on to the author's count, reach it, the author
    drives and meets the part read and, past its last key, the rest (`author:Can "Tasks and"
    cat:cs.CV` read the phrase's first 4,388 and then all 9,918 again). Answers unchanged."""
    if store.db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's windows")
    queries = [
        "search author:Grohs representation",
        "search author:Grohs representation since:2026-06-01",
    ]
    expected = {q: [p.id for p in store.search(q, limit=50)] for q in queries}
    assert all(expected.values())
    _lists_past_the_windows(monkeypatch, window_first=1)
    monkeypatch.setattr(search_module, "SEEK_MICROS", 10**6)  # read, never sought
    grohs = len(ids(store, "author Grohs", limit=50))
    read_on: list[Any] = []
    real_count = search_module._postings_count

    def count(session: Any, f: Any, cap: int = search_module.DRIVE_BELOW, within: Any = None) -> int:
        n = real_count(session, f, cap, within)
        if f.count is None and f.ranged is not None and cap == grohs:
            read_on.append((n, f.read))
        return n

    monkeypatch.setattr(search_module, "_postings_count", count)
    with _statements() as statements:
        for q in queries:
            read_on.clear()
            statements.clear()
            assert [p.id for p in store.search(q, limit=50)] == expected[q], q
            (n, part), *_ = read_on
            assert n == grohs and part is not None, (q, read_on)  # reached the author's count
            assert len(json.loads(part.postings)) == grohs and part.last == max(json.loads(part.postings))
            driven = [s for s in statements if "json_each" in s and "paper_author_index" in s]
            assert driven and "rowid BETWEEN" in driven[-1], (q, statements[-3:])


def test_postings_read_on_again_start_past_the_last_read(store: Engine) -> None:
    """SQLite: words read on to a cap and then to a higher one (DRIVE_AT_ONCE, then an
    author's count) are read the second time from past the first reading's last key, and come
    out as a reading from the first key would: the same count, the same keys."""
    if store.db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's FTS5 postings")

    def keys(f: Any) -> list[int]:
        with store.db.reading() as session:
            return [int(k) for k in session.execute(f.drive).scalars()]

    with store.db.reading() as session:
        whole = search_module._text_filter(session, ["representation"], [], [])
        everything = search_module._postings_count(session, whole, 10**6)
        assert everything >= 4
        stepped = search_module._text_filter(session, ["representation"], [], [])
        with _statements() as statements:
            assert search_module._postings_count(session, stepped, 2) == 2
            assert stepped.read is not None and stepped.read.count == 2
            statements.clear()
            assert search_module._postings_count(session, stepped, 1) == 1
            assert statements == []  # known: nothing read
            assert search_module._postings_count(session, stepped, 10**6) == everything
    assert len(statements) == 1 and "papers_fts.rowid > ?" in statements[0], statements
    assert keys(stepped) == keys(whole)


def test_an_author_and_words_that_met_in_the_first_windows_get_one_window_more(
    store: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite: where the first two windows found part of a page, the lists meet among the
    newest papers, so the next window is read before the lists are read whole; where they
    found nothing, the lists are read at once. The answers stay the plain drive's."""
    if store.db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's windows")
    queries = ["search author:Grohs representation", "search author:Wang representation"]
    expected = {q: [p.id for p in store.search(q, limit=50)] for q in queries}
    assert expected[queries[0]] and not expected[queries[1]]
    # Windows of the newest 3 and 12 papers: Grohs's are among them, Wang's ("A" to "E") hold no words.
    _lists_past_the_windows(monkeypatch, window_first=3)
    calls: list[tuple[int | None, int | None, int]] = []
    real_windowed = search_module._windowed

    def windowed(*args: Any, windows: int | None = None, size: int | None = None) -> Any:
        found, whole = real_windowed(*args, windows=windows, size=size)
        calls.append((windows, size, len(found)))
        return found, whole

    monkeypatch.setattr(search_module, "_windowed", windowed)
    firsts: dict[str, bool] = {}
    for more in (1, 0):
        monkeypatch.setattr(search_module, "WINDOWS_AFTER_A_FIND", more)
        for q in queries:
            calls.clear()
            assert [p.id for p in store.search(q, limit=50)] == expected[q], (q, more)
            found_first = firsts[q] = calls[0][2] > 0
            assert calls[0][:2] == (2, None), calls
            one_more = [c for c in calls[1:] if c[:2] == (1, 48)]  # one window of WINDOW_FIRST × 16
            assert bool(one_more) == (found_first and more == 1), (q, more, calls)
    assert firsts == {queries[0]: True, queries[1]: False}  # Grohs's newest papers hold it; Wang's none


def test_a_windows_lists_meet_before_any_row_is_read(store: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite: in a window, an author's and the words' postings between its keys meet inside
    the first list's subquery, so `papers` is read only for keys in every list (each of a
    common word's postings looked up first made a window of 32,000 papers cost 22 ms instead
    of 2); excluded words' postings are taken out there too. Answers are the plain drive's."""
    if store.db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's windows")
    queries = [
        "search author:Grohs representation",
        'search author:Grohs "shared representation" cat:cs.LG',
        "search author:Grohs representation -survey",
        "search author:Grohs author:Herrmann",
        "search author:Grohs -survey",
        "search author:Wang representation",  # none
    ]
    expected = {q: [p.id for p in store.search(q, limit=50)] for q in queries}
    assert expected[queries[0]] and expected[queries[3]] and not expected[queries[5]]
    monkeypatch.setattr(search_module, "DRIVE_AT_ONCE", 0)  # windows, never a drive
    monkeypatch.setattr(search_module, "AUTHORS_DRIVE_BELOW", 0)
    with _statements() as statements:
        for first in (1, 10**6):  # windows of one paper and more, or one holding the store
            monkeypatch.setattr(search_module, "WINDOW_FIRST", first)
            for q in queries:
                statements.clear()
                assert [p.id for p in store.search(q, limit=50)] == expected[q], (q, first)
                windows = [s for s in statements if "rowid BETWEEN" in s and "ORDER BY papers.sort_date" in s]
                assert windows, (q, statements)
                for w in windows:
                    lists = w.count("MATCH")
                    met = re.findall(r"\.rowid \+ \? (?:NOT )?IN \(SELECT \w+\.rowid", w)
                    # every list past the first is a condition on the first's postings
                    assert len(met) == lists - 1, (q, w)
                    assert "papers.pk + ? IN" not in w, (q, w)


def test_a_driving_list_is_sorted_by_the_key_date_index_not_its_rows(
    store: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite: keys that drive (a category's papers, a word's, a window's matches) are sorted
    newest first by the dates in ix_papers_key_date (migration 0012), named in the query, and
    only the page's rows are read; a walk and exclusions alone do not name it. The answers
    are those of the table's own rows."""
    if store.db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's index")
    queries = {
        "cat math.NA": True,
        "search representation": True,
        "search representation cat:cs.LG": True,
        "search author:Grohs representation": True,
        "search -survey": False,
        "author Grohs": True,
    }
    monkeypatch.setattr(search_module, "_sorted_by_key_date", lambda query: query)
    expected = {q: [p.id for p in store.search(q, limit=50)] for q in queries}
    monkeypatch.undo()
    assert all(expected[q] for q in queries)
    with _statements() as statements:
        for q, named in queries.items():
            statements.clear()
            assert [p.id for p in store.search(q, limit=50)] == expected[q], q
            assert any("FROM papers INDEXED BY ix_papers_key_date" in s for s in statements) == named, q
        with store.db.engine.connect() as conn:
            plan = conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN SELECT pk FROM papers INDEXED BY ix_papers_key_date "
                "WHERE linked_to IS NULL AND pk IN (1, 2, 3) ORDER BY sort_date DESC, pk DESC"
            ).all()
        assert any("COVERING INDEX ix_papers_key_date" in str(row) for row in plan), plan


def test_words_beside_an_author_are_sought_at_its_keys_or_read_whole_by_their_cost(
    store: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite: past the windows, an author's postings drive and the words beside them are
    either read whole or sought at each of the author's keys — a phrase's or an exclusion's
    words first as an AND, the whole expression only where they all are. Either way the
    answers are the plain drive's; which way is the cost model's (SEEK_MICROS, LEAF_MICROS,
    KEEP_MICROS)."""
    if store.db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's FTS5 doclists")
    queries = [
        "search author:Grohs representation",
        'search author:Grohs "shared representation"',
        'search author:Grohs "representation shared"',
        "search author:Grohs representation -survey",
        "search author:Grohs approximation cat:math.NA",
        'search author:Grohs "study a PDE"',  # none: the phrase is Grohsmann's
        "search author:Wang representation",  # none
    ]
    expected = {q: [p.id for p in store.search(q, limit=50)] for q in queries}
    assert expected[queries[1]] and expected[queries[2]] and not expected[queries[5]]
    _lists_past_the_windows(monkeypatch, window_first=1)
    with _statements() as statements:
        for seeks, leaf in ((-1, 1), (1, 0)):  # seeking costs nothing / reading costs nothing
            monkeypatch.setattr(search_module, "SEEK_MICROS", seeks)
            monkeypatch.setattr(search_module, "LEAF_MICROS", leaf)
            monkeypatch.setattr(search_module, "KEEP_MICROS", leaf)
            for q in queries:
                statements.clear()
                assert [p.id for p in store.search(q, limit=50)] == expected[q], (q, seeks)
                driven = [s for s in statements if "paper_author_index.rowid AS" not in s and "MATCH" in s]
                sought = any("papers_fts.rowid = paper_author_index.rowid" in s for s in driven)
                assert sought == (seeks < 0), (q, seeks, driven)
                if sought and ('"' in q or "-" in q):  # the words first, then the expression
                    assert any("CASE WHEN (EXISTS" in s for s in driven), q


def _kernels_in_small_leaves(engine: Engine, tmp_path: Path) -> None:
    """300 papers on kernels, one of them also on a zeppelin, in FTS5 leaves of 64 bytes
    (its pgsz), so that a few hundred papers span many, merged into one segment."""
    with engine.db.engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO papers_fts(papers_fts, rank) VALUES ('pgsz', 64)")
    items = [
        Item(
            id=f"2606.{41000 + n}",
            title=f"Paper {n}",
            creators="Ada Lovelace",
            categories=["cs.LG"],
            abstract="Learning with kernels." + (" A zeppelin." if n == 7 else ""),
        )
        for n in range(300)
    ]
    engine.ingest([write_feed(tmp_path / "many.xml", items, DAY)])
    with engine.db.engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO papers_fts(papers_fts) VALUES ('optimize')")


def test_a_terms_doclist_is_measured_in_leaves_from_the_fts5_index(engine: Engine, tmp_path: Path) -> None:
    """SQLite: the leaves a term's doclist spans, read off papers_fts's `_idx` table, grow with
    the papers holding it; a rare term's and an absent one's are a leaf or so. Leaves of 64
    bytes here (FTS5's pgsz), so that a few hundred papers span many."""
    if engine.db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's FTS5 index")
    _kernels_in_small_leaves(engine, tmp_path)
    with engine.db.reading() as session:
        leaves = {
            word: search_module._doclist_leaves(session, search_module._fts5_index_terms([word])[0])
            for word in ("kernels", "Learning", "zeppelin", "absentword")
        }
    assert leaves["kernels"] >= 10 and leaves["Learning"] >= 10, leaves  # `kernel`, `learn`
    assert leaves["zeppelin"] <= 2 and leaves["absentword"] <= 2, leaves
    terms = search_module._fts5_index_terms(["Naïve", "Training", "catcs0lg9"])
    assert terms == ("naiv", "train", "catcs0lg9")


def test_reading_words_whole_costs_by_their_rarest_term(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite: FTS5 walks an AND by its rarest term and seeks the others to its postings, so a
    common word beside a rare one is read for at most SKIP_LEAVES leaves per leaf of the rare
    one: `kernels zeppelin` costs about what `zeppelin` does, and seeking a few keys in both
    is dearer than reading it; with the bound lifted, the common word's leaves make it cheaper."""
    if engine.db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's FTS5 index")
    _kernels_in_small_leaves(engine, tmp_path)
    monkeypatch.setattr(search_module, "SEEK_MICROS", 1)
    monkeypatch.setattr(search_module, "LEAF_MICROS", 1)
    monkeypatch.setattr(search_module, "KEEP_MICROS", 0)
    with engine.db.reading() as session:
        both = search_module._text_filter(session, ["kernels", "zeppelin"], [], [])
        leaves = [search_module._doclist_leaves(session, t) for t in both.terms]
        assert max(leaves) >= 10 and min(leaves) <= 2, leaves
        keys = 3  # 3 keys × 2 terms sought: 6, against reading the rare word's leaves and as many
        verdicts = {}
        for skip in (1, 10**6):
            monkeypatch.setattr(search_module, "SKIP_LEAVES", skip)
            verdicts[skip] = search_module._seeking_is_cheaper(session, keys, both)
    assert verdicts == {1: False, 10**6: True}, (verdicts, leaves)


def test_windows_that_held_every_paper_in_the_dates_are_the_answer(
    store: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite: an author beside words, in dates the first windows hold whole (none, here), is
    answered by them; the lists are not read on (`author:Wang … since:30d` read Wang's 209,000
    postings after its empty month was walked)."""
    if store.db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's windows")
    monkeypatch.setattr(search_module, "WINDOW_FIRST", 1)
    monkeypatch.setattr(search_module, "DRIVE_AT_ONCE", 0)
    monkeypatch.setattr(search_module, "AUTHORS_DRIVE_BELOW", 0)
    assert ids(store, "search author:Grohs representation since:2026-06-01")  # several windows, drives
    real_driven = search_module._driven

    def driven(*args: Any, meet: bool) -> Any:
        assert not meet, "the lists were read on after the windows held the whole date range"
        return real_driven(*args, meet=meet)

    monkeypatch.setattr(search_module, "_driven", driven)
    assert ids(store, "search author:Grohs representation since:2099-01-01") == set()


def test_a_walk_that_saw_every_paper_in_the_dates_is_the_answer(
    store: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL walks the newest papers first; when the dates asked for hold no more than it
    walked, nothing is left to find, and no postings are read (`author Zhou since:7d` read
    Zhou's 200,000 papers after its week was walked). Both stores answer the same."""
    assert ids(store, "author Grohs since:2099-01-01") == set()
    if store.db.engine.dialect.name == "postgresql":
        with store.db.reading() as session:
            assert search_module._holds_at_most(session, SearchSpec(since=dt.date(2099, 1, 1)), 10)
            assert not search_module._holds_at_most(session, SearchSpec(since=dt.date(2000, 1, 1)), 1)
            assert not search_module._holds_at_most(session, SearchSpec(), 10**6)  # no dates: not asked
        monkeypatch.setattr(search_module, "PG_DRIVE_AT_ONCE", 0)

        def no_drive(*_: Any) -> Any:
            raise AssertionError("the postings were read after the whole scope was walked")

        monkeypatch.setattr(search_module, "_driving", no_drive)
        assert ids(store, "author Grohs since:2099-01-01") == set()


def test_a_walk_that_found_part_of_a_page_walks_on_instead_of_driving(
    store: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL: a walk of the newest papers that found 4 of the 6 asked for walks on, as far
    as their rate says the rest are (with room), before any postings drive."""
    if store.db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's walk")
    papers = store.find(SearchSpec(), limit=10_000)  # newest first
    order = [p.id for p in papers]
    titles = (w.lower() for p in papers for w in re.findall(r"[A-Za-z]{5,}", p.title))
    words = sorted({w for w in titles if not stop_words_only(w)})  # `about`: not a query's term
    for word in words:
        matches = ids(store, f"search {word}", limit=10_000)
        places = sorted(order.index(m) for m in matches)
        if len(places) >= 6:
            first = places[3] + 1  # the newest `first` papers hold exactly 4 matches
            if places[5] < math.ceil(first * 6 / 4 * 1.5):  # where the walk on reaches
                break
    else:
        pytest.fail("no word in the store spreads its matches as the test needs")
    expected = [order[i] for i in places[:6]]
    monkeypatch.setattr(search_module, "PG_DRIVE_AT_ONCE", 0)
    monkeypatch.setattr(search_module, "WALK_PER_GUESS", 0)
    monkeypatch.setattr(search_module, "PG_WALK_FIRST", first)

    def no_drive(*_: Any) -> Any:
        raise AssertionError("the postings drove where walking on found the page")

    monkeypatch.setattr(search_module, "_driving", no_drive)
    assert [p.id for p in store.search(f"search {word}", limit=6)] == expected


def _walk_one_paper_then_spy_on_drives(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """PostgreSQL's plan as at a million papers, every list common (DRIVE_BELOW 1): the newest
    paper walked first, then the last decision between walking on and driving; the filters
    that drove, as they drive."""
    monkeypatch.setattr(search_module, "DRIVE_BELOW", 1)
    monkeypatch.setattr(search_module, "PG_DRIVE_AT_ONCE", 0)
    monkeypatch.setattr(search_module, "WALK_PER_GUESS", 0)
    monkeypatch.setattr(search_module, "PG_WALK_FIRST", 1)
    driven: list[Any] = []
    driving = search_module._driving

    def spy(session: Any, f: Any) -> Any:
        driven.append(f)
        return driving(session, f)

    monkeypatch.setattr(search_module, "_driving", spy)
    return driven


@pytest.mark.parametrize("cap", [1, 10**6])
def test_a_category_counted_to_its_cap_drives_after_the_walk_when_it_is_countable(
    store: Engine, monkeypatch: pytest.MonkeyPatch, cap: int
) -> None:
    """PostgreSQL: a category counted to DRIVE_BELOW took for common walked on through every
    paper when the newest held no page; now it is counted on, and below CATEGORY_COUNT_CAP it
    drives. The answers are the same either way."""
    if store.db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's walk")
    driven = _walk_one_paper_then_spy_on_drives(monkeypatch)
    monkeypatch.setattr(search_module, "CATEGORY_COUNT_CAP", cap)
    for q in ["cat:math -representation", "cat:hep-ph -model -mass", "cat:math -zzzunseen"]:
        driven.clear()
        found = {p.id for p in store.search(q, limit=500)}
        expected = scope_less_excluded(store, q)
        assert found == expected and expected, q
        assert bool(driven) == (cap > 1), q


def test_lists_each_common_drive_at_once_when_their_and_is_expected_small(
    store: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL: an author and a word, each with many postings, whose AND the planner expects
    small, drive at once in one scan of the one index (migration 0011), which costs about the
    rarest list: no walk of the newest papers first."""
    if store.db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's plan")
    query = "search author:Grohs representation"
    expected = [p.id for p in store.search(query, limit=10)]
    assert expected
    monkeypatch.setattr(search_module, "PG_DRIVE_AT_ONCE", 2)  # Grohs and the word: more each
    together: list[object] = []  # the drives that AND the lists
    meeting, planned = search_module._meeting_in_gin, search_module._planned_rows

    def meet(filters: Any, counted: Any, driver: int) -> Any:
        met, driver = meeting(filters, counted, driver)
        together.extend(f.drive for f in met if f not in filters)
        return met, driver

    def planner(session: Any, query: Any) -> int:  # their AND: expected fewer than PG_DRIVE_AT_ONCE
        return 1 if any(query is d for d in together) else planned(session, query)

    monkeypatch.setattr(search_module, "_meeting_in_gin", meet)
    monkeypatch.setattr(search_module, "_planned_rows", planner)
    steps: list[str] = []
    driving, within_newest = search_module._driving, search_module._within_newest

    def drive(*args: Any) -> Any:
        steps.append("drive")
        return driving(*args)

    def walk(*args: Any) -> Any:
        steps.append("walk")
        return within_newest(*args)

    monkeypatch.setattr(search_module, "_driving", drive)
    monkeypatch.setattr(search_module, "_within_newest", walk)
    assert [p.id for p in store.search(query, limit=10)] == expected
    assert together, "the author and the word were not read together"
    assert steps == ["drive"], steps


def _drive_plan(store: Engine, query: str, whole: bool = False) -> str:
    """EXPLAIN of the drive that reads the query's lists together (PostgreSQL); `whole`: of
    the query that drive leads, as _run reads its first page."""
    spec = spec_for(parse(query), dt.date(2026, 12, 4))
    with store.db.reading() as session:
        filters = search_module._filters(session, spec, [*spec.words, *spec.phrases])
        driver = next(i for i, f in enumerate(filters) if f.words is not None)
        met, driver = search_module._meeting_in_gin(filters, [], driver)
        drive = search_module._query(session, spec, met, driver).limit(50) if whole else met[driver].drive
        assert drive is not None
        session.execute(sql("SET LOCAL enable_seqscan = off"))  # a few hundred rows: the index all the same
        compiled = drive.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
        return "\n".join(r[0] for r in session.execute(sql(f"EXPLAIN {compiled}")))


def test_a_word_beside_a_phrase_is_one_index_scan_on_postgresql(store: Engine) -> None:
    """Words and pairs share one GIN index (migrations 0010, 0011): the word's condition and the
    phrase's are answered by one scan, not by a bitmap of each whole list ANDed (a common
    word's bitmap was ~25 ms at a million papers)."""
    if store.db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's index")
    query = 'search model "phase transition"'
    assert store.search(query, limit=10)
    plan = _drive_plan(store, query)
    assert "ix_papers_search" in plan and "BitmapAnd" not in plan, plan
    assert "search_terms @>" in plan and "search_pairs @>" in plan  # both in the one Index Cond


def test_an_author_beside_words_and_a_category_is_one_index_scan_on_postgresql(store: Engine) -> None:
    """Author keys share the one GIN index with words and pairs (migration 0011): an author, a
    word and a category, however common each, are ANDed inside one scan (a common surname's
    bitmap alone was 44 ms at a million papers)."""
    if store.db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's index")
    query = "search author:Grohs representation cat:math"
    assert {p.id for p in store.search(query, limit=10)} == {"2606.40001", "2606.40003"}
    plan = _drive_plan(store, query)
    assert "ix_papers_search" in plan and "BitmapAnd" not in plan, plan
    for condition in ("author_keys &&", "search_terms @>", "search_terms &&"):
        assert condition in plan, plan


def test_an_author_beside_a_category_alone_leads_one_index_scan_on_postgresql(store: Engine) -> None:
    """A category beside an author and no word counts its papers in its B-tree; where they are
    fewest, the author's keys still lead the one GIN scan and the category's token goes in
    with them (`search cat:cs.MA author:Gao`, none shared, walked a million papers in 2 s)."""
    if store.db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's index")
    query = "search author:Grohs cat:math"
    spec = spec_for(parse(query), dt.date(2026, 12, 4))
    with store.db.reading() as session:
        filters = search_module._filters(session, spec, [])
        category = next(i for i, f in enumerate(filters) if f.gin is not None)
        author = next(i for i, f in enumerate(filters) if f.words is not None)
        met, driver = search_module._meeting_in_gin(filters, [(3, category), (50, author)], category)
    assert driver == author and met[author].drive is not filters[author].drive
    plan = _drive_plan(store, query)
    assert "ix_papers_search" in plan and "BitmapAnd" not in plan, plan
    assert "author_keys &&" in plan and "search_terms &&" in plan, plan
    everything = store.find(SearchSpec(), limit=10_000)
    grohs = parse_author_query("Grohs")
    expected = [
        p.id
        for p in everything
        if any(author_matches(grohs, a) for a in p.authors)
        and any(c.split(".")[0] == "math" for c in p.categories)
    ]
    assert expected and [p.id for p in store.search(query, limit=50)] == expected
    assert not store.search("search author:Grohs cat:hep-ph", limit=50)


def test_a_drive_reads_its_rows_in_one_scan_of_the_index_on_postgresql(store: Engine) -> None:
    """The driver's key lists go into the query itself: one bitmap scan reads the matching
    rows, sorted after (by a value no index holds, so the planner cannot walk the date index
    instead). Through `pk IN (postings)` each row was read for its pk, then found again through
    the primary key's B-tree (25 of 60 ms for 3,233 papers at a million)."""
    if store.db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's plan")
    query = 'search author:Grohs "shared representation"'
    plan = _drive_plan(store, query, whole=True)
    assert "Bitmap Index Scan on ix_papers_search" in plan, plan
    assert "papers_pkey" not in plan and "ix_papers_newest" not in plan, plan
    assert [p.id for p in store.search(query, limit=10)] == ["2606.40002", "2606.40001"]


def test_stop_words_alone_read_nothing_on_postgresql(store: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL's keys drop stop words, so a spec wanting `Themselves` matches nothing:
    known at once, not estimated as the whole store (which walked it, then counted the dates'
    200,000 papers to learn the walk had seen them all: 0.4 s at a million). (The query
    language drops such a term before a search sees it: `search Themselves since:…` is
    `search since:…`.)"""
    if store.db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's stop words")
    since = dt.date(2000, 1, 1)
    assert ids(store, "search Themselves since:2000-01-01") == ids(store, "search since:2000-01-01")

    def no_walk(*_: Any) -> Any:
        raise AssertionError("a search that matches nothing walked the store")

    monkeypatch.setattr(search_module, "PG_DRIVE_AT_ONCE", 0)  # as for a million papers
    monkeypatch.setattr(search_module, "_within_newest", no_walk)
    monkeypatch.setattr(search_module, "_holds_at_most", no_walk)
    assert store.find(SearchSpec(words=("Themselves",), since=since)) == []
    assert store.find(SearchSpec(words=("themselves",), exclude=("model",))) == []


def test_more_continues_the_callers_last_query(store: Engine) -> None:
    caller = Caller(platform="slack", workspace="T0LAB", channel="C0PAPERS", user="U0BOB")
    other = Caller(platform="slack", workspace="T0LAB", channel="C0PAPERS", user="U0ANN")
    first = store.handle("cat hep-ph", caller)
    assert len(first.papers) == 5 and first.has_more
    store.handle("author Grohs", other)  # another user's query does not move Bob's cursor
    second = store.handle("more", caller)
    assert len(second.papers) == 5
    assert (first.first_number, second.first_number) == (1, 6)  # numbered as the header counts them
    assert not {p.id for p in first.papers} & {p.id for p in second.papers}
    newest_first = [p.published for p in first.papers + second.papers]
    assert newest_first == sorted(newest_first, reverse=True)


HOSTILE = [
    "",
    '"unclosed quote',
    "x" * 5000,
    "author \x00\x07\x1b[31m",
    "search 🦄🔥 emoji",
    "search '; DROP TABLE papers; --",
    'search "a" OR "b" NEAR(c d) title:* ^e',
    "cat:",
    "since:forever",
    "author:",
    "paper not-an-id",
    "unsubscribe 999",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_any_text_gets_an_answer_and_the_store_is_unharmed(store: Engine, text: str) -> None:
    caller = Caller(platform="console", workspace="local", channel="lab", user="me")
    reply = store.handle(text, caller)
    assert reply.text and "Traceback" not in reply.text
    assert ids(store, "author Grohs") == {"2606.40001", "2606.40002", "2606.40003"}


def test_engine_search_raises_usage_error_for_non_queries(store: Engine) -> None:
    with pytest.raises(UsageError):
        store.search("subscribe cat:cs.LG")


@pytest.mark.parametrize(
    "name", ['"Yijun Wang"', '"Y. Wang"', '"Jismy Rasool"', "Wang", '"P. Grohs"', '"Xin-Nian Wang"']
)
def test_author_search_equals_a_scan_with_the_matching_rules(store: Engine, name: str) -> None:
    """Index and plan find exactly what the matching rules accept, over every stored paper:
    initials, surname-first strings ('Wang Yijun') and middle names included."""
    query = parse_author_query(name.strip('"'))
    everything = store.find(SearchSpec(), limit=10_000)
    expected = {p.id for p in everything if any(author_matches(query, a) for a in p.authors)}
    assert expected and ids(store, f"author {name}", limit=10_000) == expected
    if name == '"Yijun Wang"':
        assert {"2606.40008", "2606.40009", "2606.40010"} <= expected and "2606.40011" not in expected


def _title_phrases(engine: Engine) -> list[str]:
    """Phrases from the stored titles: each title's first two and first three words (some with
    stop words inside, which PostgreSQL's phrases step over), lower-cased as users type them."""
    phrases: set[str] = set()
    for paper in engine.find(SearchSpec(), limit=10_000):
        words = re.findall(r"[A-Za-z][A-Za-z-]+", paper.title)
        phrases.update(" ".join(words[:n]).lower() for n in (2, 3) if len(words) >= n)
    return sorted(p for p in phrases if not stop_words_only(p))  # `on the`: no phrase to a query


def test_a_phrase_found_through_word_pairs_is_every_phrase_match(store: Engine) -> None:
    """PostgreSQL finds a phrase's candidates by its pairs of consecutive words (migration 0008),
    not by reading every paper. Over ~400 phrases from the real titles, the search finds exactly
    what a scan testing every stored paper's text finds; the pair index holds every match and,
    for nearly every phrase, nothing else; and the keys agree with PostgreSQL's own `english`
    phrase search on nearly every phrase. SQLite: FTS5 phrases, the same check against a scan
    of FTS5 (its own index, one row at a time)."""
    phrases = _title_phrases(store)
    assert len(phrases) > 300
    postgres = store.db.engine.dialect.name == "postgresql"
    in_math = ids(store, "cat:math", limit=10_000)
    agreeing = compared = paired = tight = 0
    with store.db.engine.connect() as conn:
        stored = conn.execute(sql("SELECT id, title, abstract FROM papers WHERE linked_to IS NULL")).all()
        for n, phrase in enumerate(phrases):
            if postgres:
                expected = {i for i, t, a in stored if lexemes.holds_phrase((t, a), phrase)}
                native = "to_tsvector('english', title) @@ q OR to_tsvector('english', abstract) @@ q"
                scan = (
                    "SELECT id FROM papers, phraseto_tsquery('english', :p) q "
                    f"WHERE linked_to IS NULL AND ({native})"
                )
                if n % 4 == 0:  # PostgreSQL parses every stored text for this: a sample
                    compared += 1
                    agreeing += {r[0] for r in conn.execute(sql(scan), {"p": phrase})} == expected
            else:
                scan = (
                    "SELECT id FROM papers WHERE linked_to IS NULL AND "
                    "EXISTS (SELECT 1 FROM papers_fts WHERE rowid = pk AND papers_fts MATCH :p)"
                )
                quoted = '"' + phrase.replace('"', '""') + '"'
                expected = {r[0] for r in conn.execute(sql(scan), {"p": quoted})}
            assert ids(store, f'search "{phrase}"', limit=10_000) == expected, phrase
            if expected and n % 5 == 0:  # the same phrase within an archive, and beside a word
                assert ids(store, f'search "{phrase}" cat:math', limit=10_000) == expected & in_math, phrase
                title = store.find(SearchSpec(phrases=[phrase]), limit=1)[0].title
                first = max(re.findall(r"[A-Za-z]{4,}", title), key=len)
                assert ids(store, f'search "{phrase}" {first}', limit=10_000) == expected & ids(
                    store, f"search {first}", limit=10_000
                ), phrase
            pairs = lexemes.pair_keys(lexemes.words(phrase))
            if postgres and pairs:  # the pair index holds every match, and hardly anything else
                held = {
                    r[0]
                    for r in conn.execute(
                        sql("SELECT id FROM papers WHERE linked_to IS NULL AND search_pairs @> :q"),
                        {"q": pairs},
                    )
                }
                assert held >= expected, phrase
                paired, tight = paired + 1, tight + (held == expected)
    if postgres:
        assert agreeing >= 0.95 * compared, f"{agreeing} of {compared} agree with to_tsvector"
        assert tight >= 0.95 * paired, f"the pairs alone are the matches for {tight} of {paired}"


def test_postgresql_takes_no_phrase_candidate_holding_its_words_across_a_stop_word(store: Engine) -> None:
    """`"quark gluon"` and `"quark and gluon"` are both in the snapshot: each phrase's pairs
    find the papers holding its own words (side by side, or with one word between), never
    the other's, which the phrase check would only turn away (`"state art"` read the 179,000
    papers saying `state of the art` at a million, 22 s); the answers are the texts' own."""
    if store.db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite finds phrases through FTS5")
    with store.db.engine.connect() as conn:
        stored = conn.execute(sql("SELECT id, title, abstract FROM papers WHERE linked_to IS NULL")).all()
        turned_away = 0
        for phrase, other in (("quark gluon", "quark and gluon"), ("quark and gluon", "quark gluon")):
            pairs = lexemes.pair_keys(lexemes.words(phrase))
            found = set(
                conn.execute(
                    sql("SELECT id FROM papers WHERE search_pairs @> CAST(:pairs AS bigint[])"),
                    {"pairs": pairs},
                ).scalars()
            )
            holding = {i for i, t, a in stored if lexemes.holds_phrase((t, a), phrase)}
            only_other = {i for i, t, a in stored if lexemes.holds_phrase((t, a), other)} - holding
            turned_away += len(only_other)
            assert holding and holding <= found and not only_other & found, phrase
            assert ids(store, f'search "{phrase}"', limit=10_000) == holding
    assert turned_away  # papers holding one of the phrases and not the other


def test_postgresql_estimates_a_phrase_by_its_rarest_pair(
    store: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Any one pair of a phrase bounds its matches; the planner, taking them as independent,
    would expect none for them together. The first pair can be the common one (`real time`
    in "Real-time Causal": 39,397 papers at a million, against 203 with the phrase), so the
    plan is chosen by the pair estimated rarest."""
    if store.db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite finds phrases through FTS5")
    phrase = next(p for p in _title_phrases(store) if len(lexemes.pair_keys(lexemes.words(p))) == 2)
    common, rare = lexemes.pair_keys(lexemes.words(phrase))
    planned, counted = search_module._planned_rows, []

    def planner(session: object, query: object) -> int:
        params = query.compile(dialect=store.db.engine.dialect).params  # type: ignore[attr-defined]
        keys = {k for v in params.values() if isinstance(v, list) for k in v}
        if keys == {common}:
            return 900_000
        if keys == {rare}:
            return 40
        return planned(session, query)  # type: ignore[arg-type]

    def page(*args: object, **kwargs: object) -> object:
        counted.append(min(args[4]))  # type: ignore[call-overload]
        return postgres_page(*args, **kwargs)

    postgres_page = search_module._postgres_page
    monkeypatch.setattr(search_module, "_planned_rows", planner)
    monkeypatch.setattr(search_module, "_postgres_page", page)
    with store.db.engine.connect() as conn:
        stored = conn.execute(sql("SELECT id, title, abstract FROM papers WHERE linked_to IS NULL")).all()
    assert ids(store, f'search "{phrase}"', limit=10_000) == {
        i for i, t, a in stored if lexemes.holds_phrase((t, a), phrase)
    }
    assert counted and counted[0][0] <= 40, counted


def test_each_phrase_counts_by_its_own_rarest_pair(store: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL: what a drive is expected to read counts each phrase by its rarest pair (its
    pairs come together), and two phrases as independent, as two words are. By the rarest pair
    of all, `search Vision-Language "Gaussian Splatting"` (15,256 and 87,582 papers at a
    million, none with both) looked common and walked every paper, 2.4 s."""
    if store.db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's estimate")
    first, second = "neural network training", "Vision-Language"
    first_pairs = lexemes.pair_keys(lexemes.words(first))
    (second_pair,) = lexemes.pair_keys(lexemes.words(second))
    rarest = first_pairs[1]
    counts = {first_pairs[0]: 900, rarest: 40, second_pair: 300}
    planned: list[int] = []

    def planner(_session: Any, query: Any) -> int:
        (pair,) = query.compile().params.values()
        planned.append(pair[0])
        return counts[pair[0]]

    monkeypatch.setattr(search_module, "_planned_rows", planner)
    with store.db.reading() as session:
        pairs = search_module._pg_keys("search_pairs")
        chosen = search_module._rarest_pairs(session, pairs, [first_pairs, [second_pair]])
        found = search_module._postgres_text_filter(session, [first, second], [], [])
    assert chosen == [rarest, second_pair]
    assert planned[:2] == first_pairs  # each pair of a phrase planned once; a phrase of one pair not at all
    assert found.estimate is not None
    estimated = [v for v in found.estimate.compile().params.values() if isinstance(v, list)]
    assert estimated == [chosen], estimated


@pytest.mark.parametrize("says", [True, False])
@pytest.mark.parametrize("rule", ["_rare_as_walked", "_walk_costs_more"])
def test_a_walk_that_found_matches_rare_or_its_page_far_on_drives_instead_of_walking_every_paper(
    store: Engine, monkeypatch: pytest.MonkeyPatch, rule: str, says: bool
) -> None:
    """PostgreSQL: after the newest papers were walked, postings the planner expects common
    (DRIVE_BELOW or more) walked on through every paper. They drive where the walk found the
    candidates rare among the papers it read (`search Language "Gaussian Splatting"`, 6,265
    expected and 176 in all, walked 111,000 papers, 280 ms), or where walking on is expected to
    cost more than reading them (`search "across wide"` read candidates at a common pair's
    rate and none held the phrase, then walked the million, 2.9 s warm and 42 s cold, where
    the drive reads 5,609 postings). Each rule decides alone here, the other says no; the
    answers are the same either way, and each is asked about a walk that read at most the
    papers it passed and found less than a page."""
    if store.db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's walk")
    query = 'search learning "neural networks"'
    expected = [p.id for p in store.search(query, limit=6)]
    assert expected
    driven = _walk_one_paper_then_spy_on_drives(monkeypatch)
    asked: list[tuple[Any, ...]] = []

    def rare_as_walked(_session: Any, _spec: Any, _words: Any, read: int, walked: int, _papers: int) -> bool:
        asked.append((read, walked, 0, 1))
        return says if rule == "_rare_as_walked" else False

    def walk_costs_more(_least: int, walk: Any, page: Any, _papers: int) -> bool:
        asked.append((*walk, *page))
        return says if rule == "_walk_costs_more" else False

    monkeypatch.setattr(search_module, "_rare_as_walked", rare_as_walked)
    monkeypatch.setattr(search_module, "_walk_costs_more", walk_costs_more)
    assert [p.id for p in store.search(query, limit=6)] == expected
    assert bool(driven) == says
    assert asked and all(read <= walked and found < want for read, walked, found, want in asked)


def test_walking_on_costs_by_the_rate_the_walk_found_matches_and_the_drive_by_every_posting(
    store: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With none found the walk goes through every paper left; with some, as far as their rate
    puts the rest of the page. The drive reads every posting: the planner's estimate, or more
    where the walk read candidates at a higher rate, each PG_DRIVEN_PER_WALKED papers' worth."""
    if store.db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's walk")
    monkeypatch.setattr(search_module, "_planned_rows", lambda _session, _query: 10_000)
    monkeypatch.setattr(search_module, "PG_DRIVEN_PER_WALKED", 10)

    def dearer(session: Any, spec: SearchSpec, least: int, walk: Any, page: Any) -> bool:
        return search_module._walk_costs_more(
            least, walk, page, search_module._papers_in_scope(session, spec)
        )

    with store.db.reading() as session:
        spec = SearchSpec()
        assert dearer(session, spec, 899, (0, 1_000), (0, 6))  # 8,990 read against 9,000 walked
        assert not dearer(session, spec, 900, (0, 1_000), (0, 6))
        assert dearer(session, spec, 99, (5, 1_000), (3, 6))  # the page 1,000 papers on: 990
        assert not dearer(session, spec, 100, (5, 1_000), (3, 6))
        assert not dearer(session, spec, 10, (99, 1_000), (0, 6))  # 100 in 1,000: ~1,000 postings
        assert dearer(session, spec, 10, (88, 1_000), (0, 6))  # ~890
        assert not dearer(session, spec, 1, (0, 10_000), (0, 6))  # every paper walked already


def test_a_run_tallies_the_candidates_it_read_before_the_phrases_were_checked(store: Engine) -> None:
    """_run's tally counts every row its statement found, those the phrase check then
    rejected too: what a drive of the same postings would read."""
    if store.db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's pairs only narrow a phrase")
    spec = spec_for(parse('search "neural networks"'), dt.date(2026, 12, 5))
    with store.db.reading() as session:
        filters = search_module._filters(session, spec, [*spec.words, *spec.phrases])
        walk = search_module._query(session, spec, filters, None, newest=10_000)
        candidates = len(session.execute(walk.with_only_columns(search_module.PaperRow.pk)).all())
        tally = search_module._Tally()
        found = search_module._run(session, walk, spec, filters, 10_000, walking=True, tally=tally)
    assert found and tally.read == candidates >= len(found)


def test_matches_are_rare_as_walked_by_their_rate_among_the_papers_walked(
    store: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rate a walk read candidates at, one more counted, across the papers the planner
    expects in the dates. An excluded word is tested by the walk's statement, which then never
    returns the candidates it rejects, where a drive reads them: with one, the candidates among
    the papers walked are counted again without it."""
    if store.db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's walk")
    scopes: list[str] = []

    def planner(_session: Any, query: Any) -> int:  # the papers in the dates: 10,000 (as planned)
        scopes.append(str(query))
        return 10_000

    monkeypatch.setattr(search_module, "_planned_rows", planner)
    monkeypatch.setattr(search_module, "DRIVE_BELOW", 100)

    def rare(session: Any, spec: SearchSpec, words: list[str], read: int, walked: int) -> bool:
        papers = search_module._papers_in_scope(session, spec)  # as _postgres_page asks it
        return search_module._rare_as_walked(session, spec, words, read, walked, papers)

    with store.db.reading() as session:
        assert rare(session, SearchSpec(), [], 0, 101)  # ~99 in all: fewer than 100
        assert not rare(session, SearchSpec(), [], 0, 100)  # ~100
        assert rare(session, SearchSpec(), [], 4, 501)  # 5 in 500: ~99.8
        assert not rare(session, SearchSpec(), [], 4, 500)
        assert rare(session, SearchSpec(since=dt.date(2026, 1, 1)), [], 0, 101)
        assert "sort_date" in scopes[-1]  # the dates' papers
    # The newest 50 papers: how many hold the word (whether or not they hold `model`).
    newest = {p.id for p in store.find(SearchSpec(), limit=50)}
    holding = len(ids(store, "search representation", limit=500) & newest)
    assert holding, "the newest papers hold the word"
    # None read: rare at DRIVE_BELOW 201 (10,000 × 1 < 201 × 50), not once `holding` are counted.
    monkeypatch.setattr(search_module, "DRIVE_BELOW", 201)
    word = SearchSpec(words=("representation",))
    with store.db.reading() as session:
        assert rare(session, word, ["representation"], 0, 50)
        # An excluded phrase is checked on the rows the walk read: they were counted already.
        phrase_less = dataclasses.replace(word, exclude=("shared representation",))
        assert rare(session, phrase_less, ["representation"], 0, 50)
        word_less = dataclasses.replace(word, exclude=("model",))
        assert not rare(session, word_less, ["representation"], 0, 50)


def test_a_windows_last_paper_is_found_once_while_the_store_keeps_its_highest_key(
    store: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """SQLite: each window's last paper is an OFFSET walk of the date index (the 512,000th
    newest: 13 ms warm, 206 cold); it is remembered by the store, the dates, the store's highest
    key and the window's size, so a second query reaching the same windows walks none, and a
    new paper (a new highest key) makes them found again. The answers are the same."""
    if store.db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's windows")
    monkeypatch.setattr(search_module, "WINDOW_FIRST", 1)
    monkeypatch.setattr(search_module, "DRIVE_AT_ONCE", 0)
    monkeypatch.setattr(search_module, "_BOTTOMS", {})
    query = "search representation -zzzunseen"

    def offsets() -> tuple[list[str], list[str]]:
        with _statements() as statements:
            found = [p.id for p in store.search(query, limit=6)]
        bottoms = "SELECT papers.sort_date, papers.pk FROM papers"  # a window's last paper
        return found, [s for s in statements if s.startswith(bottoms) and "OFFSET" in s]

    first, walked = offsets()
    assert first and walked
    again, walked_again = offsets()
    assert again == first and not walked_again
    newer = Item("2606.99999", "A representation of everything", "Philipp Grohs")
    store.ingest([write_feed(tmp_path / "new.xml", [newer], DAY)])
    after, walked_after = offsets()
    assert walked_after and "2606.99999" in after
