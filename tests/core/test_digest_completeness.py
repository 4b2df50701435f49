"""Every radar match reaches the channel, once: the overflow through `more`, journal items by
arrival, replacements that keep their day, preprint ↔ journal pairs, papers dated by the paper."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.config import ChannelConfig
from bot.engine import Engine
from bot.models import Caller
from tests.fakes.poster import PlatformState, RecordingPoster
from tests.feeds import GROHS, Item, JournalItem, write_feed, write_journal_feed

DAY1 = dt.date(2026, 6, 16)
DAY2 = dt.date(2026, 6, 17)
KEY = "console:lab"
LAB = ChannelConfig(platform="console", id="lab", name="ml-papers", radar=["cat:cs.LG"])
ALICE = Caller("console", "local", "lab", "alice")
BOB = Caller("console", "local", "lab", "bob")


def many(n: int, start: int = 30001) -> list[Item]:
    return [
        Item(id=f"2606.{start + i}", title=f"Learning paper number {i}", creators=f"Author{i} Lastname{i}")
        for i in range(n)
    ]


def posting_engine(
    engine_factory: Callable[..., Engine], url: str, *, cap: int = 5, radar: list[str] | None = None
) -> tuple[Engine, PlatformState]:
    channel = dataclasses.replace(LAB, radar=radar or LAB.radar)
    engine = engine_factory(url, channels=[channel], ACADEMICHUB_DIGEST_MAX=cap)
    state = PlatformState()
    engine.digests.register_poster("console", lambda info: RecordingPoster(state))
    return engine, state


def walk_more(engine: Engine, caller: Caller) -> tuple[list[int], list[str], str]:
    """`/papers more` until it says it is done: the numbers and ids it showed, and its last text."""
    numbers: list[int] = []
    ids: list[str] = []
    for _ in range(50):
        reply = engine.handle("more", caller)
        if not reply.papers:
            return numbers, ids, reply.text
        numbers += list(range(reply.first_number, reply.first_number + len(reply.papers)))
        ids += [p.id for p in reply.papers]
    raise AssertionError("`more` never ended")


def test_overflow_is_walked_to_its_end_per_user(
    db_url: str, engine_factory: Callable[..., Engine], tmp_path: Path
) -> None:
    engine, state = posting_engine(engine_factory, db_url, cap=5)
    engine.ingest([write_feed(tmp_path / "d1.xml", many(17), DAY1)])
    [digest] = engine.digests.post_all(channel=KEY, day=DAY1)
    assert (len(digest.entries), digest.total) == (5, 17)
    assert len(state.entries()) == 5, "the thread holds the cap"

    numbers, ids, last = walk_more(engine, ALICE)
    assert numbers == list(range(6, 18)), "numbering goes on from the thread"
    thread = [e.paper.id for e in digest.entries]
    assert len(set(ids)) == 12 and not set(ids) & set(thread), "every other match, once"
    assert "all 17 papers" in last

    # Bob's walk is his own; a query in between wins over the digest, then the digest is
    # not restarted (the last thing asked for wins).
    first = engine.handle("more", BOB)
    assert first.first_number == 6
    engine.handle("search learning paper", BOB)
    after_query = engine.handle("more", BOB)
    assert after_query.text.startswith("Results 6–10"), after_query.text

    # The Show more button always continues the digest, whatever was asked in between.
    assert digest.id is not None
    button = engine.more_of_digest(BOB, digest.id)
    assert button.first_number == 6


def test_the_next_digest_skips_what_the_overflow_holds(
    db_url: str, engine_factory: Callable[..., Engine], tmp_path: Path
) -> None:
    engine, _ = posting_engine(engine_factory, db_url, cap=3)
    engine.ingest([write_feed(tmp_path / "d1.xml", many(8), DAY1)])
    [first] = engine.digests.post_all(channel=KEY, day=DAY1)
    engine.ingest([write_feed(tmp_path / "d2.xml", many(8) + many(2, start=40001), DAY2)])
    [second] = engine.digests.post_all(channel=KEY, day=DAY2)
    assert {e.paper.id for e in [*second.entries, *second.more]} == {"2606.40001", "2606.40002"}
    assert first.total == 8


def test_today_lists_every_match_and_more_continues_it(
    db_url: str, engine_factory: Callable[..., Engine], tmp_path: Path
) -> None:
    engine, _ = posting_engine(engine_factory, db_url, cap=5)
    engine.ingest([write_feed(tmp_path / "d1.xml", many(12), DAY1)])
    engine.digests.post_all(channel=KEY, day=DAY1)
    engine.commands.clock = lambda: dt.datetime(2026, 6, 16, 12, 0, tzinfo=dt.UTC)
    seen: list[str] = []
    reply = engine.handle("today", ALICE)
    while reply.papers:
        seen += [p.id for p in reply.papers]
        reply = engine.handle("more", ALICE)
    assert len(seen) == len(set(seen)) == 12


def test_a_late_journal_item_goes_into_the_next_digest(
    db_url: str, engine_factory: Callable[..., Engine], tmp_path: Path
) -> None:
    """Dated the 15th, fetched after the 16th's digest: posted on the 17th, once."""
    engine, _ = posting_engine(engine_factory, db_url, radar=["cat:cs.LG", "keyword:turbulence"])
    engine.ingest([write_feed(tmp_path / "d1.xml", [GROHS], DAY1)])
    [day1] = engine.digests.post_all(channel=KEY, day=DAY1)
    assert [e.paper.id for e in day1.entries] == ["2606.16028"]
    late = JournalItem(
        doi="10.1137/26m1000001",
        title="Wall-bounded turbulence at high Reynolds numbers",
        creators=["Ludwig Prandtl"],
        published=dt.date(2026, 6, 15),
    )
    engine.ingest([write_journal_feed(tmp_path / "toc.xml", [late])])
    engine.ingest([write_feed(tmp_path / "d2.xml", [], DAY2)])
    [day2] = engine.digests.post_all(channel=KEY, day=DAY2)
    assert [e.paper.id for e in day2.entries] == ["10.1137/26m1000001"]
    assert day2.entries[0].paper.published == dt.date(2026, 6, 15), "shown with its publication date"
    [day3] = engine.digests.post_all(channel=KEY, day=dt.date(2026, 6, 18))
    assert not day3.entries, "never eligible twice"


def test_a_day1_digest_built_after_day2_still_holds_the_replaced_paper(
    db_url: str, engine_factory: Callable[..., Engine], tmp_path: Path
) -> None:
    """A new channel catching up, or the scheduler posting a missed day late: same papers."""
    engine, _ = posting_engine(engine_factory, db_url)
    engine.ingest([write_feed(tmp_path / "d1.xml", [GROHS], DAY1)])
    replaced = dataclasses.replace(GROHS, announce="replace", version=2)
    fresh = Item(id="2606.40001", title="A paper of the second day", creators="Ada Lovelace")
    engine.ingest([write_feed(tmp_path / "d2.xml", [replaced, fresh], DAY2)])
    [late] = engine.digests.build_all(channel=KEY, day=DAY1)
    assert [e.paper.id for e in late.entries] == ["2606.16028"]
    assert late.entries[0].paper.version == 2, "shown as it is now"
    [day2] = engine.digests.build_all(channel=KEY, day=DAY2)
    assert [e.paper.id for e in day2.entries] == ["2606.40001"]
    shown = engine.show("2606.16028")
    assert shown is not None and (shown.announced, shown.updated) == (DAY1, DAY2)


PREPRINT = Item(
    id="2606.50001",
    title="Convergence rates for deep operator networks",
    creators="Philipp Grohs, Lukas Herrmann",
    categories=["math.NA"],
)
PUBLISHED = JournalItem(
    doi="10.1137/26M5000001",
    title="Convergence Rates for Deep {Operator} Networks.",  # case, TeX braces, punctuation differ
    creators=["P. Grohs", "L. Herrmann"],
    published=dt.date(2026, 9, 1),
)


@pytest.mark.parametrize("preprint_first", [True, False], ids=["preprint-first", "journal-first"])
def test_preprint_and_journal_version_are_one_paper(
    db_url: str, engine_factory: Callable[..., Engine], tmp_path: Path, preprint_first: bool
) -> None:
    engine, state = posting_engine(engine_factory, db_url, radar=["cat:math.NA", 'author:"Philipp Grohs"'])
    preprint_feed = write_feed(tmp_path / "d1.xml", [PREPRINT], DAY1)
    journal = write_journal_feed(tmp_path / "toc.xml", [PUBLISHED])
    first, second = (preprint_feed, journal) if preprint_first else (journal, preprint_feed)
    engine.ingest([first])
    engine.digests.post_all(channel=KEY, day=DAY1)
    engine.ingest([second])
    engine.digests.post_all(channel=KEY, day=DAY2)

    paper = engine.show("2606.50001")
    assert paper is not None and paper.doi == "10.1137/26m5000001"
    assert paper.journal == "SIAM J. Numer. Anal."
    by_doi = engine.show("10.1137/26M5000001")
    assert by_doi is not None and by_doi.id == "2606.50001"
    assert len(state.entries()) == 1, "the pair is posted once"


def test_savers_of_the_preprint_hear_once_that_it_was_published(
    db_url: str, engine_factory: Callable[..., Engine], tmp_path: Path
) -> None:
    engine, _ = posting_engine(engine_factory, db_url, radar=["cat:math.NA"])
    engine.ingest([write_feed(tmp_path / "d1.xml", [PREPRINT], DAY1)])
    assert engine.save(ALICE, "2606.50001", True)
    engine.ingest([write_journal_feed(tmp_path / "toc.xml", [PUBLISHED])])
    sent: list[str] = []
    assert engine.library.send_version_notices(lambda n: sent.append(n.text)) == 1
    assert sent and "now published in SIAM J. Numer. Anal." in sent[0]
    assert engine.library.send_version_notices(lambda n: sent.append(n.text)) == 0, "once"


def test_the_same_title_by_other_people_is_another_paper(
    db_url: str, engine_factory: Callable[..., Engine], tmp_path: Path
) -> None:
    engine, _ = posting_engine(engine_factory, db_url)
    engine.ingest([write_feed(tmp_path / "d1.xml", [PREPRINT], DAY1)])
    other = dataclasses.replace(PUBLISHED, doi="10.1000/other.1", creators=["Anna Grohs", "Lukas Herrmann"])
    stranger = dataclasses.replace(PUBLISHED, doi="10.1000/other.2", creators=["Jane Doe"])
    report = engine.ingest([write_journal_feed(tmp_path / "toc.xml", [other, stranger])])
    assert report.new == 2
    paper = engine.show("2606.50001")
    assert paper is not None and paper.doi is None and paper.journal is None
    assert (
        engine.show("10.1000/other.1") is not None and engine.show("10.1000/other.1").id == "10.1000/other.1"
    )  # type: ignore[union-attr]


def test_exports_date_papers_by_the_paper(engine: Engine, tmp_path: Path) -> None:
    new_style = Item(
        id="2205.06398", title="A paper from May 2022", creators="Ada Lovelace", announce="replace"
    )
    old_style = Item(
        id="math/0601001", title="A paper from January 2006", creators="Carl Gauss", announce="replace"
    )
    engine.ingest([write_feed(tmp_path / "d.xml", [new_style, old_style], DAY1)])
    engine.save(ALICE, "2205.06398", True)
    engine.save(ALICE, "math/0601001", True)
    bib = engine.library.export("local", "alice", "bibtex").content.decode()
    fields = re.findall(r"(year|month)\s*=\s*\{?(\w+)", bib)
    assert sorted(fields) == sorted([("year", "2022"), ("month", "may"), ("year", "2006"), ("month", "jan")])
    assert "2026" not in bib


def test_search_speaks_paper_ids(sqlite_engine: Engine, tmp_path: Path) -> None:
    sqlite_engine.ingest([write_feed(tmp_path / "d.xml", [GROHS], DAY1)])
    assert [p.id for p in sqlite_engine.search("paper 2606.16028v1")] == ["2606.16028"]
    assert sqlite_engine.search("paper 2606.99999") == []
