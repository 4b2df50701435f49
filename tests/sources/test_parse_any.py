"""parse_any recognises the kind from the content and only ever raises FeedError."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.sources import FeedError, parse_any
from tests.fakes.feed_server import fixtures_root

TRICKY = sorted(fixtures_root().glob("tricky/*"))
NOT_FEEDS = sorted(
    [
        *fixtures_root().glob("arxiv_oai/*"),
        # Crossref works are a source of their own now (tests/sources/test_scholarly_apis.py).
        *(p for p in fixtures_root().glob("journals/*.json") if not p.name.startswith("crossref_")),
        *fixtures_root().glob("corpus/oai_*"),
    ]
)


@pytest.mark.parametrize("path", TRICKY, ids=lambda p: p.name)
def test_tricky_files_parse_or_raise_feed_error(path: Path) -> None:
    try:
        feed = parse_any(path.read_bytes(), str(path))
    except FeedError as err:
        message = str(err)
        assert message and "\n" not in message and "Traceback" not in message
        if path.suffix == ".json":
            return
    else:
        assert path.suffix != ".json", "nock recordings are not feeds"
        assert feed.papers


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("feedparser_illformed_aaa_illformed.xml", "malformed at line"),
        ("feedparser_illformed_rss_empty_document.xml", "no root element"),
        ("feedparser_illformed_rss_incomplete_cdata.xml", "malformed"),
        ("feedparser_illformed_undeclared_namespace.xml", "malformed"),
        ("hepcrawl_oai_getrecord_12_spliced_records_collaborations.xml", "OAI-PMH"),
        ("nock_oai_arxiv_malformed_error_response.json", "not a feed"),
    ],
)
def test_tricky_reasons(fixtures: Path, name: str, reason: str) -> None:
    with pytest.raises(FeedError, match=reason):
        parse_any((fixtures / "tricky" / name).read_bytes(), name)


@pytest.mark.parametrize("path", NOT_FEEDS, ids=lambda p: p.name)
def test_other_documents_raise_feed_error(path: Path) -> None:
    with pytest.raises(FeedError):
        parse_any(path.read_bytes(), str(path))


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "the file is empty"),
        (b"  \n\t", "the file is empty"),
        (b"hello", "neither XML nor JSON"),
        (b"<html><body>Service down</body></html>", "neither RSS nor Atom"),
        (b"<rss version='2.0'><channel><item><title>x</title></channel></rss>", "malformed at line 1"),
        (b'{"a": 1}\n', "no arXiv records"),
    ],
)
def test_garbage(data: bytes, reason: str) -> None:
    with pytest.raises(FeedError, match=reason):
        parse_any(data, "garbage")


def test_the_name_does_not_matter(fixtures: Path) -> None:
    data = (fixtures / "arxiv_rss/trimmed3_cs_ai_2026-04-27.xml").read_bytes()
    assert parse_any(data, "feed.json").kind == "arxiv_rss"
    assert parse_any(b"\xef\xbb\xbf" + data, "bom.xml").kind == "arxiv_rss"
