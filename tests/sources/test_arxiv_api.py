"""The arXiv API: the pure Atom parser over real responses, and the live client against a local server."""

from __future__ import annotations

import datetime as dt
import itertools
import time
from pathlib import Path

import pytest

from bot.sources import FeedError, SourceUnavailable, parse_any
from bot.sources.arxiv_api import ArxivClient, RateLimiter, parse_api_atom
from tests.fakes.feed_server import FeedServer, fixtures_root, recorded_body

API = fixtures_root() / "arxiv_api"
XML_FILES = sorted(API.glob("*.xml"))
RECORDINGS = sorted(API.glob("arxivpy_*.json"))
EMPTY = {"arxivpy_id_0000.0000_s0_m100_8b51d9633a68.json", "arxivpy_id_0808.05394_s0_m100_7b0c7d0a7cdd.json"}
ERROR = "arxivpy_id_abc_s0_m100_b79c8dcf6bc3.json"


def _body(path: Path) -> bytes:
    return recorded_body(path) if path.suffix == ".json" else path.read_bytes()


@pytest.mark.parametrize("path", XML_FILES + RECORDINGS, ids=lambda p: p.name)
def test_every_response_parses(path: Path) -> None:
    if path.name == ERROR:
        with pytest.raises(FeedError, match="incorrect id format for abc"):
            parse_api_atom(_body(path), "api")
        return
    papers = parse_api_atom(_body(path), "api")
    assert parse_any(_body(path), "api").kind == "arxiv_api"
    if path.name in EMPTY:
        assert papers == []
        return
    assert papers
    for paper in papers:
        assert paper.title and paper.authors and paper.abstract and paper.categories
        assert paper.primary_category in paper.categories or paper.primary_category
        assert paper.published and paper.updated and paper.published <= paper.updated
        assert paper.version and paper.version >= 1
        assert "\n" not in paper.title and "  " not in paper.abstract


def test_legacy_entry_fields(fixtures: Path) -> None:
    (paper,) = parse_api_atom((fixtures / "arxiv_api/legacy2016_id_list_1111.2011v2.xml").read_bytes(), "s")
    assert (paper.id, paper.version) == ("1111.2011", 2)
    assert paper.title == (
        "Quantum Criticality for Extended Nodes on a Bethe Lattice in the Large Connectivity Limit"
    )
    assert paper.authors == ["James M. Murray", "Adrian Del Maestro", "Zlatko Tesanovic"]
    assert paper.doi == "10.1103/physrevb.85.115117"
    assert paper.comment == "8 pages, 3 figures. Published version"
    assert paper.journal_ref and paper.journal_ref.startswith("Phys. Rev. B")
    assert (paper.published, paper.updated) == (dt.date(2011, 11, 8), dt.date(2012, 4, 2))


def test_old_style_id_and_non_ascii_names() -> None:
    (old,) = parse_api_atom(_body(API / "arxivpy_id_astro-ph_0601001_s0_m100_3150dca9dc76.json"), "s")
    assert old.id == "astro-ph/0601001" and old.url == "https://arxiv.org/abs/astro-ph/0601001"
    papers = parse_api_atom(_body(API / "arxivpy_q_testing_s0_m10_bc5a6c384fe9.json"), "s")
    names = {a for p in papers for a in p.authors}
    assert "Aurora Ramírez" in names and "José Raúl Romero" in names
    assert (
        sum(
            1
            for p in parse_api_atom(_body(API / "arxivpy_q_testing_s0_m100_cfe7536492ca.json"), "s")
            if p.doi
        )
        == 32
    )


def test_latex_accents_in_api_names_are_decoded() -> None:
    data = b"""<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/abs/2101.00001v3</id>
    <title>T</title><summary>S</summary><published>2021-01-01T00:00:00Z</published>
    <updated>2021-02-01T00:00:00Z</updated><author><name>Andr\\'e G\\"uhring</name></author></entry></feed>"""
    (paper,) = parse_api_atom(data, "s")
    assert paper.authors == ["André Gühring"] and paper.version == 3


# --- the live client, pointed at a local server -------------------------------------------------


def _client(server: FeedServer, limiter: RateLimiter) -> ArxivClient:
    return ArxivClient(server.url("api/query"), timeout=5.0, user_agent="AcademicHub-test", limiter=limiter)


def test_client_search_and_user_agent(feed_server: FeedServer) -> None:
    feed_server.route("api/query", _body(API / "arxivpy_q_testing_s0_m10_bc5a6c384fe9.json"))
    papers = _client(feed_server, RateLimiter(0.0)).search("testing", max_results=10)
    assert len(papers) == 10 and papers[0].id == "2202.12139"
    (request,) = feed_server.requests
    assert request.headers["User-Agent"] == "AcademicHub-test"
    assert "search_query=testing" in request.query and "max_results=10" in request.query


def test_client_by_ids(feed_server: FeedServer) -> None:
    feed_server.route("api/query", _body(API / "arxivpy_id_2104.12255v1_s0_m100_6ae69987ffe1.json"))
    (paper,) = _client(feed_server, RateLimiter(0.0)).by_ids(["2104.12255v1"])
    assert (paper.id, paper.version, paper.title) == ("2104.12255", 1, "0")
    assert "id_list=2104.12255v1" in feed_server.requests[0].query


def test_rate_limit_is_shared_by_all_clients(feed_server: FeedServer) -> None:
    feed_server.route("api/query", _body(API / "arxivpy_id_1605.08386_s0_m100_199195aa31ad.json"))
    limiter = RateLimiter(0.3)
    first, second = _client(feed_server, limiter), _client(feed_server, limiter)
    for client in (first, second, first):
        client.by_ids(["1605.08386"])
    times = [r.at for r in feed_server.requests]
    assert len(times) == 3
    assert all(b - a >= 0.28 for a, b in itertools.pairwise(times))


def test_client_retries_503_honouring_retry_after(feed_server: FeedServer) -> None:
    feed_server.route("api/query", _body(API / "arxivpy_id_1605.08386_s0_m100_199195aa31ad.json"))
    feed_server.fail("api/query", 503, times=2, retry_after="7")
    waits: list[float] = []
    client = ArxivClient(feed_server.url("api/query"), 5.0, "t", limiter=RateLimiter(0.0), sleep=waits.append)
    assert [p.id for p in client.by_ids(["1605.08386"])] == ["1605.08386"]
    assert waits == [7.0, 7.0] and feed_server.count("api/query") == 3


def test_client_gives_up_after_retries(feed_server: FeedServer) -> None:
    feed_server.fail("api/query", 429)
    client = ArxivClient(
        feed_server.url("api/query"), 5.0, "t", limiter=RateLimiter(0.0), max_retries=2, sleep=lambda s: None
    )
    with pytest.raises(SourceUnavailable, match="busy"):
        client.search("x", 5)
    assert feed_server.count("api/query") == 3


def test_client_reports_api_error_feed(feed_server: FeedServer) -> None:
    feed_server.route("api/query", _body(API / ERROR), status=400)
    with pytest.raises(FeedError, match="incorrect id format for abc"):
        _client(feed_server, RateLimiter(0.0)).by_ids(["abc"])


def test_client_unreachable_server() -> None:
    client = ArxivClient("http://127.0.0.1:9/api/query", 2.0, "t", limiter=RateLimiter(0.0))
    started = time.monotonic()
    with pytest.raises(SourceUnavailable, match="unreachable"):
        client.search("x", 1)
    assert time.monotonic() - started < 2.5


def test_client_timeout(feed_server: FeedServer) -> None:
    feed_server.slow("api/query", 1.5)
    client = ArxivClient(feed_server.url("api/query"), 0.3, "t", limiter=RateLimiter(0.0))
    with pytest.raises(SourceUnavailable, match=r"timed out after 0\.3 s"):
        client.search("x", 1)
