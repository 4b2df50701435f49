"""Ingest into the store, on SQLite and PostgreSQL: idempotence, versions, dedup, id forms."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil
import sqlite3
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from bot.engine import Engine
from bot.models import Paper
from bot.store import db as db_module
from bot.store import fulltext
from bot.store import papers as paper_repo
from tests.conftest import FIXTURES, make_engine
from tests.core.test_bulk import assert_indexes_sound, merge_work_left, sqlite_file
from tests.feeds import GROHS, Item, listing_items, write_feed

DAY1 = dt.date(2026, 6, 16)
DAY2 = dt.date(2026, 6, 17)
MULTI = FIXTURES / "arxiv_rss" / "trimmed4_multi_csLG_csAI_csCL_statML_2026-09-24_new_cross_replace.xml"


def test_same_feed_twice_changes_nothing(engine: Engine) -> None:
    first = engine.ingest([str(MULTI)])
    assert first.failed == 0 and first.new == 4
    again = engine.ingest([str(MULTI)])
    assert (again.new, again.updated, again.unchanged) == (0, 0, 4)


def test_replace_is_an_update_and_a_recrossed_paper_is_unchanged(engine: Engine, tmp_path: Path) -> None:
    cross = Item(
        id="2606.11111",
        title="A cross-listed paper",
        creators="Ada Lovelace",
        categories=["math.NA", "cs.LG"],
        announce="cross",
    )
    engine.ingest([write_feed(tmp_path / "d1.xml", [GROHS, cross], DAY1)])
    replaced = dataclasses.replace(GROHS, announce="replace", version=2)
    recrossed = dataclasses.replace(cross, announce="cross")
    report = engine.ingest([write_feed(tmp_path / "d2.xml", [replaced, recrossed], DAY2)])
    assert (report.new, report.updated, report.unchanged) == (0, 1, 1)
    paper = engine.show("2606.16028")
    # The replacement brings v2 and its date; the paper keeps the day (and kind) of its first
    # announcement, so a digest of DAY1 built late still holds it.
    assert paper is not None and paper.version == 2 and paper.updated == DAY2
    assert (paper.announced, paper.announce_type) == (DAY1, "new")
    assert engine.show("2606.11111").announced == DAY1  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "ref",
    [
        "2606.16028",
        "2606.16028v2",
        "arXiv:2606.16028",
        "https://arxiv.org/abs/2606.16028v1",
        "https://arxiv.org/pdf/2606.16028",
        "10.1000/SHARED.2026.16028",
        "https://doi.org/10.1000/shared.2026.16028",
    ],
)
def test_every_id_form_resolves(sqlite_engine: Engine, tmp_path: Path, ref: str) -> None:
    sqlite_engine.ingest([write_feed(tmp_path / "d.xml", [GROHS], DAY1)])
    paper = sqlite_engine.show(ref)
    assert paper is not None and paper.id == "2606.16028"
    as_json = paper.to_json()
    for key in (
        "id",
        "title",
        "authors",
        "abstract",
        "categories",
        "primary_category",
        "published",
        "updated",
        "version",
        "announce_type",
        "doi",
        "journal_ref",
        "url",
        "pdf_url",
        "source",
    ):
        assert key in as_json
    # affiliations with commas stay inside one author; LaTeX accents decoded
    assert paper.authors == ["Philipp Grohs", "Anna Müller", "André Weber"]
    assert paper.primary_category == "cs.LG" and "math.NA" in paper.categories


def test_old_style_id_from_api_response(engine: Engine, tmp_path: Path) -> None:
    body = json.loads(
        (FIXTURES / "arxiv_api" / "arxivpy_id_astro-ph_0601001_s0_m100_3150dca9dc76.json").read_text()
    )["body"]
    path = tmp_path / "astro.xml"
    path.write_text(body, encoding="utf-8")
    assert engine.ingest([str(path)]).new == 1
    for ref in ("astro-ph/0601001", "astro-ph/0601001v1", "https://arxiv.org/abs/astro-ph/0601001"):
        assert engine.show(ref) is not None


def test_kaggle_snapshot_old_style_and_doi(engine: Engine) -> None:
    report = engine.ingest([str(FIXTURES / "corpus" / "kaggle_arxiv_metadata_oai_snapshot_first200.jsonl")])
    assert report.new == 200 and report.failed == 0
    paper = engine.show("10.1103/PhysRevD.76.013009")
    assert paper is not None and paper.id == "0704.0001"
    assert paper.authors[0] == "C. Balázs"


def test_cross_list_in_two_feeds_is_one_paper(engine: Engine) -> None:
    listing = FIXTURES / "corpus" / "daily_arxiv_listing_2026-06-16.jsonl"
    report = engine.ingest([str(listing)])
    rows = [json.loads(line) for line in listing.read_text().splitlines()]
    assert report.new == len({r["id"] for r in rows})
    assert report.new + report.unchanged + report.updated == len({r["id"] for r in rows})


def test_journal_item_with_arxiv_doi_is_linked_not_duplicated(engine: Engine, tmp_path: Path) -> None:
    engine.ingest([write_feed(tmp_path / "d.xml", [GROHS], DAY1)])
    journal = tmp_path / "journal.rss"
    journal.write_text(
        """<?xml version="1.0"?><rss version="2.0" xmlns:prism="http://prismstandard.org/namespaces/basic/2.0/">
<channel><title>SIAM J. Numer. Anal.</title><link>https://epubs.siam.org</link><description>x</description>
<item><title>The Information-Theoretic Benefit of Shared Representations</title>
<link>https://doi.org/10.1000/shared.2026.16028</link><prism:doi>10.1000/shared.2026.16028</prism:doi>
<description>&lt;p&gt;We prove &amp;amp; show.&lt;/p&gt;</description></item></channel></rss>""",
        encoding="utf-8",
    )
    report = engine.ingest([str(journal)])
    assert report.new == 0 and report.failed == 0
    paper = engine.show("10.1000/shared.2026.16028")
    assert paper is not None and paper.id == "2606.16028" and paper.journal == "SIAM J. Numer. Anal."


def test_failing_source_does_not_stop_the_others(engine: Engine, tmp_path: Path) -> None:
    report = engine.ingest([str(tmp_path / "missing.xml"), str(MULTI)])
    assert [s.status for s in report.sources] == ["failed", "ok"]
    assert "no such file" in (report.sources[0].error or "")
    assert report.new == 4


# --- a big day, stored batch by batch as it is parsed (bot.ingest, fulltext.DirectIndex) -----


def _index_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("fts-index-writer")]


def test_a_big_day_is_stored_whole_and_searchable_to_its_last_paper(engine: Engine, tmp_path: Path) -> None:
    items = listing_items(1200)  # three batches of 500, parsed while the one before is indexed
    report = engine.ingest([write_feed(tmp_path / "day.xml", items, DAY2)])
    assert (report.failed, report.new, report.updated, report.unchanged) == (0, 1200, 0, 0)
    last = items[-1]
    surname = last.creators.split(",")[0].split()[-1]
    found = engine.search(f'author {surname} "{" ".join(last.title.split()[:3])}"', limit=50)
    assert last.id in {p.id for p in found}  # its text and author entries were written before the commit
    again = engine.ingest([str(tmp_path / "day.xml")])
    assert (again.new, again.updated, again.unchanged) == (0, 0, 1200)
    assert not _index_threads()


def test_a_big_day_leaves_both_indexes_in_step_with_papers(sqlite_engine: Engine, tmp_path: Path) -> None:
    """The text index reads each batch's new rows back from `papers` by pk: FTS5's own check
    finds every row indexed once, with the stored text — a paper updated by a later batch
    (its entry replaced by trigger) included."""
    sqlite_engine.ingest([write_feed(tmp_path / "day1.xml", [GROHS], DAY1)])
    items = listing_items(1100)
    retitled = dataclasses.replace(items[20], title=items[20].title + " zyxquorvant", version=2)
    report = sqlite_engine.ingest([write_feed(tmp_path / "day2.xml", [*items, retitled], DAY2)])
    assert (report.failed, report.new, report.updated) == (0, 1100, 1)
    assert_indexes_sound(sqlite_engine)
    found = sqlite_engine.search("search zyxquorvant", limit=5)
    assert [p.id for p in found] == [items[20].id]


def test_the_helper_takes_up_the_text_index_before_the_author_keys_are_made(
    sqlite_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DirectIndex.add waits until its helper has the text statement, then makes the author
    keys: otherwise the helper, needing the GIL to start, waits out the interpreter's switch
    interval while this thread runs Python. Here the helper is slow to start (20 ms)."""
    events: list[str] = []
    execute, keys_text = fulltext.DirectIndex._execute, fulltext.author_keys_text

    def slow_start(self: fulltext.DirectIndex, sql: str, param: str, started: threading.Event) -> None:
        time.sleep(0.02)
        events.append("index text" if fulltext.TEXT_INDEX in sql.split("(")[0] else "index authors")
        execute(self, sql, param, started)

    def author_keys(authors: Sequence[str]) -> str:
        events.append("author keys")
        return keys_text(authors)

    monkeypatch.setattr(fulltext.DirectIndex, "_execute", slow_start)
    monkeypatch.setattr(fulltext, "author_keys_text", author_keys)
    items = listing_items(3)
    assert sqlite_engine.ingest([write_feed(tmp_path / "day.xml", items, DAY2)]).new == 3
    assert events[0] == "index text" and events.count("author keys") == 3
    assert events[-1] == "index authors"


def _automerge(engine: Engine) -> list[int]:
    with sqlite3.connect(sqlite_file(engine)) as conn:
        return [
            conn.execute(f"SELECT v FROM {name}_config WHERE k = 'automerge'").fetchone()[0]
            for name in (fulltext.TEXT_INDEX, fulltext.AUTHOR_INDEX)
        ]


def test_index_segments_are_merged_after_the_commit_not_while_the_day_is_written(
    sqlite_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Writing a day only adds segments to the indexes (automerge 0); the commit asks the
    store's upkeep worker to merge them, which leaves no level of 4 segments or more."""
    assert _automerge(sqlite_engine) == [0, 0]
    asked: list[bool] = []
    after_commit = db_module._CommitUpkeep.after_commit

    def held(self: db_module._CommitUpkeep, merge: bool = False) -> None:
        asked.append(merge)  # and no round runs: what the writes left is seen as they left it

    monkeypatch.setattr(db_module._CommitUpkeep, "after_commit", held)
    every = listing_items(3600)
    days = [every[:600], every[600:1200], every[1200:2400], every[2400:3000]]
    for n, items in enumerate(days):
        report = sqlite_engine.ingest([write_feed(tmp_path / f"day{n}.xml", items, DAY2)])
        assert report.new == len(items)
    assert asked == [True] * 4
    assert merge_work_left(sqlite_engine)  # segments of four transactions, merged by nobody
    monkeypatch.setattr(db_module._CommitUpkeep, "after_commit", after_commit)
    items = every[3000:]
    assert sqlite_engine.ingest([write_feed(tmp_path / "day9.xml", items, DAY2)]).new == 600
    sqlite_engine.db.wait_for_upkeep()
    assert not merge_work_left(sqlite_engine)
    assert_indexes_sound(sqlite_engine)
    assert engine_finds(sqlite_engine, items[-1])


def engine_finds(engine: Engine, item: Item) -> bool:
    found = engine.search(f'search "{" ".join(item.title.split()[:4])}"', limit=50)
    return item.id in {p.id for p in found}


def test_an_upkeep_round_that_fails_leaves_the_merge_to_the_next(tmp_path: Path) -> None:
    gone = db_module._CommitUpkeep(tmp_path / "removed.db")
    gone.after_commit(merge=True)
    gone.wait()
    assert not (tmp_path / "removed.db").exists() and gone._merge


def test_a_day_cut_off_midway_keeps_nothing_of_it(engine: Engine, tmp_path: Path) -> None:
    """Its first batches were stored and indexed before the parser met the cut: the
    transaction gives them back, and the whole day stores cleanly afterwards."""
    engine.ingest([write_feed(tmp_path / "day1.xml", [GROHS], DAY1)])
    items = listing_items(1200)
    whole = tmp_path / "day2.xml"
    write_feed(whole, items, DAY2)
    data = whole.read_bytes()
    cut = tmp_path / "cut.xml"
    cut.write_bytes(data[: len(data) * 3 // 4])
    report = engine.ingest([str(cut)])
    assert report.failed == 1 and report.new == 0
    assert "ends early; was the download cut off?" in (report.sources[0].error or "")
    assert engine.show(items[0].id) is None and engine.show(GROHS.id) is not None
    assert not _index_threads()
    report = engine.ingest([str(whole)])
    assert (report.failed, report.new) == (0, 1200)
    assert engine.search(f"author {items[0].creators.split(',')[0]}", limit=50)


def test_a_failing_index_statement_keeps_nothing(
    sqlite_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An error on the indexing thread (here, its statement names no table) fails the source
    and rolls back the rows stored beside it; nothing is left half-indexed."""
    items = listing_items(1200)
    feed = write_feed(tmp_path / "day.xml", items, DAY2)
    monkeypatch.setattr(fulltext, "_INSERT_AUTHORS_BATCH", "INSERT INTO no_such_index(rowid) SELECT 1")
    report = sqlite_engine.ingest([feed])
    assert report.failed == 1 and "no such table: no_such_index" in (report.sources[0].error or "")
    assert sqlite_engine.show(items[0].id) is None and not _index_threads()
    monkeypatch.undo()
    assert sqlite_engine.ingest([feed]).new == 1200


def test_a_paper_listed_twice_batches_apart_is_stored_once(engine: Engine, tmp_path: Path) -> None:
    """Batches are stored one after another: a second listing 600 items later finds the first
    stored, as a later fetch would (unchanged here)."""
    items = listing_items(700)
    report = engine.ingest([write_feed(tmp_path / "day.xml", [*items, items[100]], DAY2)])
    assert (report.new, report.updated, report.unchanged) == (700, 0, 1)
    assert engine.show(items[100].id) is not None


def test_an_older_version_with_an_announcement_but_no_day_is_kept_as_an_update(engine: Engine) -> None:
    """The stored version (3, from a source without announcements) meets an older one that
    says it was `new` but gives no day: its first announcement is taken, the row keeps its
    own sort date. (Reading the sort date failed here once: the stored row lacked it.)"""
    stored = Paper(
        id="2606.01234",
        title="Operator learning",
        authors=["Ada Lovelace"],
        abstract="We learn operators.",
        categories=["cs.LG"],
        version=3,
        published=dt.date(2026, 6, 1),
        source="api",
    )
    older = dataclasses.replace(
        stored, version=2, announce_type="new", categories=["cs.LG"], authors=["Ada Lovelace"]
    )
    with engine.db.session() as session:
        assert paper_repo.upsert_papers(session=session, papers=[stored]).new == 1
    with engine.db.session() as session:
        counts = paper_repo.upsert_papers(session=session, papers=[older])
    assert (counts.new, counts.updated) == (0, 1)
    paper = engine.show("2606.01234")
    assert paper is not None and (paper.version, paper.announce_type) == (3, "new")


def test_a_closed_store_is_whole_in_its_file(tmp_path: Path) -> None:
    """Closing waits for the commit's upkeep (the merges' connection would otherwise be the
    last one open, and the WAL not yet folded in): the file alone, copied, holds the day."""
    path = tmp_path / "store.db"
    engine = make_engine(f"sqlite:///{path}")
    items = listing_items(1200)
    assert engine.ingest([write_feed(tmp_path / "day.xml", items, DAY2)]).new == 1200
    engine.close()
    copy = tmp_path / "copy.db"
    shutil.copy(path, copy)
    with sqlite3.connect(copy) as conn:
        assert conn.execute("SELECT count(*) FROM papers").fetchone()[0] == 1200
