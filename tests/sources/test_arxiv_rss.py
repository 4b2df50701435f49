"""The dedicated rss.arxiv.org parser, over the real captures."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import feedparser
import pytest

from bot.models import Paper
from bot.sources import FeedError, arxiv_rss, parse_any
from bot.sources.arxiv_rss import ArxivFeedReader, eastern_date, parse_arxiv_rss, split_authors
from tests.fakes.feed_server import fixtures_root
from tests.feeds import arxiv_feed, listing_items

RSS_FILES = sorted((fixtures_root() / "arxiv_rss").glob("*.xml"))
MULTI = "arxiv_rss/trimmed4_multi_csLG_csAI_csCL_statML_2026-09-24_new_cross_replace.xml"
ATOM = "arxiv_rss/atom_trimmed7_cs_AI_2025-08-20_new_cross.xml"


@pytest.mark.parametrize("path", RSS_FILES, ids=lambda p: p.name)
def test_every_capture_parses_to_sane_papers(path: Path) -> None:
    feed = parse_any(path.read_bytes(), str(path))
    assert feed.kind == "arxiv_rss" and feed.is_arxiv_feed
    assert feed.papers and feed.feed_date is not None and feed.title
    for paper in feed.papers:
        assert paper.title and paper.authors and paper.categories
        assert paper.primary_category == paper.categories[0]
        assert paper.version is not None and "v" not in paper.id
        assert paper.announce_type in {"new", "cross", "replace", "replace-cross"}
        assert not paper.abstract.startswith("arXiv:") and "Announce Type" not in paper.abstract
        assert "  " not in paper.abstract and "\n" not in paper.abstract
        assert paper.url == f"https://arxiv.org/abs/{paper.id}"
        assert paper.pdf_url == f"https://arxiv.org/pdf/{paper.id}"
        assert paper.announced == feed.feed_date and paper.source == str(path)


def test_multi_category_feed_items(fixtures: Path) -> None:
    feed = parse_arxiv_rss((fixtures / MULTI).read_bytes(), "multi")
    by_id = {p.id: p for p in feed.papers}
    assert feed.feed_date == dt.date(2026, 9, 24)
    new = by_id["2609.26811"]
    assert (new.version, new.announce_type, new.published) == (1, "new", dt.date(2026, 9, 24))
    assert new.abstract.startswith("Local learning trains each layer")
    cross = by_id["2205.06398"]
    assert (cross.version, cross.announce_type, cross.published) == (2, "cross", None)
    assert cross.categories == ["stat.ME", "stat.AP", "stat.ML"] and cross.primary_category == "stat.ME"
    assert cross.doi == "10.1093/bioinformatics/btac431"
    assert cross.authors == ["Pritam Dey", "Zhengwu Zhang", "David B. Dunson"]
    replace = by_id["2009.13987"]
    assert (replace.version, replace.announce_type, replace.updated) == (3, "replace", dt.date(2026, 9, 24))


def test_atom_variant(fixtures: Path) -> None:
    feed = parse_arxiv_rss((fixtures / ATOM).read_bytes(), "atom")
    assert feed.feed_date == dt.date(2025, 8, 20)  # 04:00 UTC is midnight in New York
    types = [p.announce_type for p in feed.papers]
    assert types.count("cross") == 5 and types.count("new") == 2
    alphax = next(p for p in feed.papers if p.id == "2508.13429")
    assert alphax.authors == ["Paulo André Lima de Castro"]
    assert alphax.categories == ["q-fin.CP", "cs.AI"]


def test_double_space_and_one_word_author(fixtures: Path) -> None:
    feed = parse_any((fixtures / "arxiv_rss/trimmed3_cs_cl_2026-04-27.xml").read_bytes(), "cl")
    authors = [a for p in feed.papers for a in p.authors]
    assert "Ratna Kandala" in authors and "Deepti" in authors
    assert all("  " not in a and a == a.strip() for a in authors)


def _feed(items: str, *, announce: str = "new") -> bytes:
    return f"""<?xml version='1.0' encoding='UTF-8'?>
<rss xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:dc="http://purl.org/dc/elements/1.1/" version="2.0">
<channel><title>math.NA updates on arXiv.org</title><link>http://rss.arxiv.org/rss/math.NA</link>
<pubDate>Mon, 28 Sep 2026 00:00:00 -0400</pubDate>{items}</channel></rss>""".encode()


def _item(arxiv_id: str, announce: str, creator: str, extra: str = "") -> str:
    return f"""<item><title>T {arxiv_id}</title><link>https://arxiv.org/abs/{arxiv_id}</link>
<description>arXiv:{arxiv_id}v2 Announce Type: {announce}\x20
Abstract: Body   of
 the abstract.</description><guid isPermaLink="false">oai:arXiv.org:{arxiv_id}v2</guid>
<category>math.NA</category><category>cs.NA</category>
<arxiv:announce_type>{announce}</arxiv:announce_type><dc:creator>{creator}</dc:creator>{extra}</item>"""


def test_all_four_announce_types_and_extras() -> None:
    items = "".join(
        _item(f"2609.0000{i}", kind, "A B")
        for i, kind in enumerate(["new", "cross", "replace", "replace-cross"], 1)
    )
    items += _item(
        "2609.00005",
        "replace-cross",
        "A B",
        "<arxiv:DOI>https://doi.org/10.1137/24M1234567</arxiv:DOI>"
        "<arxiv:journal_reference>SIAM J. Numer. Anal. 62 (2024)</arxiv:journal_reference>",
    )
    feed = parse_arxiv_rss(_feed(items), "synthetic")
    kinds = [p.announce_type for p in feed.papers]
    assert kinds == ["new", "cross", "replace", "replace-cross", "replace-cross"]
    last = feed.papers[-1]
    assert last.doi == "10.1137/24m1234567" and last.journal_ref == "SIAM J. Numer. Anal. 62 (2024)"
    assert last.abstract == "Body of the abstract." and last.version == 2
    assert feed.feed_date == dt.date(2026, 9, 28)


@pytest.mark.parametrize(
    ("creator", "expected"),
    [
        (
            "Philipp Grohs (University of Vienna, Faculty of Mathematics), Lukas Liehr (Vienna, Austria)",
            ["Philipp Grohs", "Lukas Liehr"],
        ),
        ("A One (X, Y (Z, W)), B Two", ["A One", "B Two"]),
        ("Ann Lee, Bob Kay and Cy Dee", ["Ann Lee", "Bob Kay", "Cy Dee"]),
        ("Ann Lee, Bob Kay, and Cy Dee", ["Ann Lee", "Bob Kay", "Cy Dee"]),
        ("Ann Lee and Bob Kay", ["Ann Lee", "Bob Kay"]),
        (r"Philipp Grohs, Andr\'e G{\"u}hring", ["Philipp Grohs", "André Gühring"]),
        ("Ratna Kandala,  Deepti", ["Ratna Kandala", "Deepti"]),
        ("Alexander Anderson", ["Alexander Anderson"]),
        ("", []),
    ],
)
def test_split_authors(creator: str, expected: list[str]) -> None:
    assert split_authors(creator) == expected


def test_affiliation_commas_in_a_feed() -> None:
    creator = "Philipp Grohs (University of Vienna, Austria), Andr\\'e G\\\"uhring (ETH, Zurich)"
    paper = parse_arxiv_rss(_feed(_item("2609.00001", "new", creator)), "s").papers[0]
    assert paper.authors == ["Philipp Grohs", "André Gühring"]


def test_eastern_date() -> None:
    assert eastern_date("Thu, 24 Sep 2026 00:00:00 -0400") == dt.date(2026, 9, 24)
    assert eastern_date("2025-08-20T04:00:19.866337+00:00") == dt.date(2025, 8, 20)
    assert eastern_date("2025-08-20T03:59:00Z") == dt.date(2025, 8, 19)
    assert eastern_date("garbage") is None and eastern_date(None) is None


def test_empty_weekend_feed_is_recognised() -> None:
    feed = parse_any(_feed(""), "saturday")
    assert feed.kind == "arxiv_rss" and feed.is_arxiv_feed and feed.papers == []


def test_malformed_arxiv_feed_raises_feed_error() -> None:
    data = _feed(_item("2609.00001", "new", "A B"))[:-40]
    with pytest.raises(FeedError, match="malformed at line"):
        parse_arxiv_rss(data, "broken")


# --- read as it is taken (ArxivFeedReader): what bot.ingest stores batch by batch ------------

DAY = dt.date(2026, 6, 16)


def _day_of(count: int) -> bytes:
    return arxiv_feed(listing_items(count), DAY).encode()


@pytest.mark.parametrize("path", [*RSS_FILES, None], ids=lambda p: p.name if p else "1200_real_items")
def test_batches_cut_anywhere_are_the_whole_feed(monkeypatch: pytest.MonkeyPatch, path: Path | None) -> None:
    """Slices of 101 bytes end inside tags, text and multi-byte characters; batches of 7 end
    anywhere: the papers, their order and the channel's title and date are those of one read."""
    data = path.read_bytes() if path else _day_of(1200)
    whole = parse_arxiv_rss(data, "feed")
    monkeypatch.setattr(arxiv_rss, "_SLICE", 101)
    reader = ArxivFeedReader(data, "feed")
    batches = list(reader.batches(size=7))
    assert all(len(b) == 7 for b in batches[:-1]) and 0 < len(batches[-1]) <= 7
    assert [p for b in batches for p in b] == whole.papers
    assert (reader.feed_date, reader.title) == (whole.feed_date, whole.title)
    assert len(whole.papers) == (1200 if path is None else len(feedparser.parse(data).entries))


def test_a_date_after_the_items_still_dates_every_paper() -> None:
    """No arXiv feed puts its pubDate after its items; if one did, the reader reads it all
    first rather than date the papers by whatever it had seen so far."""
    text = arxiv_feed(listing_items(30), DAY)
    pub_date = next(line for line in text.splitlines(keepends=True) if line.strip().startswith("<pubDate>"))
    moved = text.replace(pub_date, "", 1).replace("  </channel>", pub_date + "  </channel>")
    assert moved.index("<pubDate>") > moved.index("<item>")  # the channel's own date is last
    reader = ArxivFeedReader(moved.encode(), "late")
    papers = [p for b in reader.batches(size=4) for p in b]
    assert reader.feed_date == DAY and len(papers) == 30
    assert {p.announced for p in papers} == {DAY}


def test_a_feed_cut_off_gives_its_first_batches_then_says_so() -> None:
    """Parsed as it is taken: a download cut off three quarters in yields the batches before
    the cut, then the same clear error as reading it whole."""
    data = _day_of(1200)
    cut = data[: len(data) * 3 // 4]
    reader = ArxivFeedReader(cut, "cut")
    taken: list[list[Paper]] = []
    with pytest.raises(FeedError, match="ends early; was the download cut off"):
        for batch in reader.batches(size=100):
            taken.append(batch)
    assert 7 <= len(taken) <= 9 and all(len(b) == 100 for b in taken)
    with pytest.raises(FeedError, match="ends early; was the download cut off"):
        parse_any(cut, "cut")
