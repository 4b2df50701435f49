"""arXiv JSON lines: streaming, both record shapes, bad lines counted and skipped."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest

from bot.sources import JsonlStats, iter_jsonl_papers, parse_any
from bot.sources.jsonl import paper_from_record
from tests.fakes.feed_server import fixtures_root

CORPUS = fixtures_root() / "corpus"
LISTINGS = sorted(CORPUS.glob("daily_arxiv_listing_*.jsonl"))
ROWS = {
    "2026-03-17": 771,
    "2026-04-14": 828,
    "2026-04-21": 846,
    "2026-05-19": 826,
    "2026-05-26": 797,
    "2026-06-02": 935,
    "2026-06-09": 745,
    "2026-06-16": 705,
}


@pytest.mark.parametrize("path", LISTINGS, ids=lambda p: p.name)
def test_daily_listing_streams_every_row(path: Path) -> None:
    stats = JsonlStats()
    with path.open("rb") as stream:
        papers = list(iter_jsonl_papers(stream, str(path), stats))
    assert len(papers) == ROWS[path.stem.rsplit("_", 1)[1]] == stats.papers
    assert stats.bad == 0 and stats.lines == len(papers)
    for paper in papers:
        assert paper.title and paper.authors and paper.abstract and paper.categories
        assert paper.primary_category == paper.categories[0]
        assert paper.url == f"https://arxiv.org/abs/{paper.id}"


def test_the_574_author_paper(fixtures: Path) -> None:
    with (fixtures / "corpus/daily_arxiv_listing_2026-06-16.jsonl").open("rb") as stream:
        paper = next(p for p in iter_jsonl_papers(stream, "s") if p.id == "2606.15007")
    # 574 entries as scraped; the lone ":" after the "NVIDIA" team name is not a person.
    assert len(paper.authors) == 573 and paper.authors[:2] == ["NVIDIA", "Aaron Blakeman"]


def test_kaggle_snapshot(fixtures: Path) -> None:
    with (fixtures / "corpus/kaggle_arxiv_metadata_oai_snapshot_first200.jsonl").open("rb") as stream:
        papers = list(iter_jsonl_papers(stream, "kaggle"))
    assert len(papers) == 200 and sum(1 for p in papers if p.doi) == 117
    first = papers[0]
    assert first.id == "0704.0001" and first.version == 2
    assert first.authors == ["C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C.-P. Yuan"]
    assert (
        first.title == "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies"
    )
    assert first.abstract.startswith("A fully differential calculation") and "\n" not in first.abstract
    assert (first.published, first.updated) == (dt.date(2007, 4, 2), dt.date(2007, 7, 24))
    assert first.doi == "10.1103/physrevd.76.013009" and first.journal_ref == "Phys.Rev.D76:013009,2007"
    assert first.categories == ["hep-ph"] and first.comment == "37 pages, 15 figures; published version"
    assert papers[1].authors == ["Ileana Streinu", "Louis Theran"]
    assert "$(k,\\ell)$" in papers[1].abstract  # math untouched


def test_bad_lines_are_counted_and_skipped() -> None:
    good = (
        b'{"id": "2606.00001", "categories": ["cs.LG"], "authors": ["A B"], "title": "T", "summary": "S"}\n'
    )
    lines = [
        good,
        b"{not json\n",
        b"\n",
        b"[1, 2]\n",
        b'{"id": "nope", "title": "x", "categories": []}\n',
        good,
    ]
    reported: list[int] = []
    stats = JsonlStats()
    papers = list(
        iter_jsonl_papers(io.BytesIO(b"".join(lines)), "s", stats, on_bad=lambda n, r: reported.append(n))
    )
    assert len(papers) == 2 and stats.bad == 3 and reported == [2, 4, 5]
    assert stats.errors[0].startswith("line 2:") and "not an arXiv id" in stats.errors[2]


def test_streaming_is_lazy() -> None:
    # A stream that fails after the first line: the first paper must come out before that.
    class Exploding(io.BytesIO):
        def __iter__(self):  # type: ignore[no-untyped-def]
            yield b'{"id": "2606.00001", "categories": [], "authors": [], "title": "T"}\n'
            raise RuntimeError("read past the first line")

    iterator = iter_jsonl_papers(Exploding(), "s")
    assert next(iterator).id == "2606.00001"


def test_parse_any_recognises_jsonl(fixtures: Path) -> None:
    feed = parse_any(
        (fixtures / "corpus/kaggle_arxiv_metadata_oai_snapshot_first200.jsonl").read_bytes(), "k"
    )
    assert feed.kind == "jsonl" and len(feed.papers) == 200


def test_old_style_ids() -> None:
    paper = paper_from_record(
        {"id": "math/0601001", "title": "T", "authors": "A", "categories": "math.NA"}, "s"
    )
    assert paper.id == "math/0601001" and paper.version is None and paper.categories == ["math.NA"]
