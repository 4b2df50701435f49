"""Journal feeds through feedparser: DOIs, authors, abstracts, encodings, arXiv aggregators."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from bot.sources import parse_any
from bot.sources.journal_rss import parse_journal, plain_text, split_journal_authors
from tests.fakes.feed_server import fixtures_root

JOURNALS = fixtures_root() / "journals"
FEED_FILES = sorted(p for p in JOURNALS.glob("*") if p.suffix in {".xml", ".rss", ".rdf"})


@pytest.mark.parametrize("path", FEED_FILES, ids=lambda p: p.name)
def test_every_journal_feed_parses(path: Path) -> None:
    feed = parse_any(path.read_bytes(), str(path))
    assert feed.kind == "journal" and not feed.is_arxiv_feed and feed.title
    assert feed.papers
    for paper in feed.papers:
        assert paper.title and paper.doi and paper.id == paper.doi
        assert paper.journal and paper.published and paper.url
        assert not re.search(r"</?[A-Za-z]", paper.abstract) and "&amp;" not in paper.abstract


@pytest.mark.parametrize(
    ("name", "first_doi"),
    [
        ("mdpi_fluids_rss1_prism_1item.rss", "10.3390/fluids9060120"),  # prism:doi and "doi: 10.3390/…"
        ("science_current_issue_rss1_excerpt_2items.rss", "10.1126/science.abj4606"),  # info:doi/ first
        ("biorxiv_genomics_rss1_single_item.xml", "10.1101/2023.12.16.571984"),  # doi:…
        ("wiley_journal_of_vegetation_science_rss1_prism.xml", "10.1111/jvs.12120"),
    ],
)
def test_doi_extraction(name: str, first_doi: str) -> None:
    assert parse_journal((JOURNALS / name).read_bytes(), name).papers[0].doi == first_doi


def test_doi_from_dc_identifier_alone() -> None:
    data = (JOURNALS / "mdpi_fluids_rss1_prism_1item.rss").read_bytes()
    data = data.replace(b"<prism:doi>10.3390/fluids9060120</prism:doi>", b"")
    assert parse_journal(data, "mdpi").papers[0].doi == "10.3390/fluids9060120"


def test_doi_from_doi_org_link() -> None:
    data = b"""<rss version="2.0"><channel><title>J</title><item><title>T</title>
    <link>https://doi.org/10.1000/ABC.123</link><description>&lt;p&gt;Hi &amp;amp; bye&lt;/p&gt;</description>
    </item></channel></rss>"""
    (paper,) = parse_journal(data, "j").papers
    assert (paper.id, paper.doi, paper.abstract) == ("10.1000/abc.123", "10.1000/abc.123", "Hi & bye")


def test_biorxiv_authors() -> None:
    (paper,) = parse_journal((JOURNALS / "biorxiv_genomics_rss1_single_item.xml").read_bytes(), "b").papers
    assert paper.authors[:4] == ["N. Lapalu", "A. Simon", "A. Lu", "P.-L. Plaumann"]
    assert paper.authors[-1] == "R. J. O'Connell" and len(paper.authors) == 10
    assert paper.journal == "bioRxiv" and paper.published == dt.date(2023, 12, 16)
    assert paper.title.startswith("Complete genome") and paper.abstract.startswith("Colletotrichum")


def test_mdpi_one_creator_per_author_and_placeholder_content() -> None:
    (paper,) = parse_journal((JOURNALS / "mdpi_fluids_rss1_prism_1item.rss").read_bytes(), "m").papers
    assert paper.authors == ["Jaan H. Pu", "Manish Pandey", "Prashanth Reddy Hanmaiahgari"]
    assert paper.abstract.startswith("Within river systems")  # content:encoded is just "Abstract"
    assert paper.journal == "Fluids"


def test_science_empty_creator_and_journal() -> None:
    papers = parse_journal(
        (JOURNALS / "science_current_issue_rss1_excerpt_2items.rss").read_bytes(), "s"
    ).papers
    assert papers[0].authors == ["A. Fuentes"] and papers[1].authors == []
    assert papers[1].title == "News at a glance" and papers[1].journal == "Science"


def test_wiley_prefers_full_html_abstract() -> None:
    paper = parse_journal(
        (JOURNALS / "wiley_journal_of_vegetation_science_rss1_prism.xml").read_bytes(), "w"
    ).papers[0]
    assert paper.authors == ["J. Tormo", "B. Moreira", "J.G. Pausas"]
    assert paper.abstract.startswith("Question In many plant species") and len(paper.abstract) > 500


def test_windows_1252_feed(fixtures: Path) -> None:
    feed = parse_any((fixtures / "tricky/windows1252_encoded_rss2_stortinget.rss").read_bytes(), "no")
    (paper,) = feed.papers
    assert "spørsmål" in paper.title and "på kort sikt" in paper.abstract
    assert paper.published == dt.date(2024, 3, 13)


def test_arxiv_aggregator_items_become_arxiv_papers(fixtures: Path) -> None:
    path = fixtures / "tricky/lionelsy_aggregated_arxiv_digest_rss2_797items_latex_cjk.rss"
    feed = parse_any(path.read_bytes(), "lionelsy")
    assert feed.kind == "journal" and len(feed.papers) == 797
    first = feed.papers[0]
    assert (first.id, first.version, first.url) == ("2501.17631", 1, "https://arxiv.org/abs/2501.17631")
    assert r"$\mathrm{sin}2β$" in first.title
    assert any(p.authors[:2] == ["Àlex Solé", "Albert Mosella-Montoro"] for p in feed.papers)
    versions = {(p.id, p.version) for p in feed.papers if p.id == "2501.17631"}
    assert len(versions) == 2  # v1 and v2 of the same paper


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Fuentes, A.", ["A. Fuentes"]),
        ("LAPALU, N., Dallery, J.-F.", ["N. Lapalu", "J.-F. Dallery"]),
        ("J. Tormo, B. Moreira", ["J. Tormo", "B. Moreira"]),
        ("Lu, A., Wang, Li", ["Lu", "A.", "Wang", "Li"]),  # not all initials: a plain list
    ],
)
def test_split_journal_authors(text: str, expected: list[str]) -> None:
    assert split_journal_authors(text) == expected


def test_plain_text_keeps_math_comparisons() -> None:
    assert plain_text("<p>for $z &lt; 1.4$ and <i>x</i> &gt; 2</p>") == "for $z < 1.4$ and x > 2"
