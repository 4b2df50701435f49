"""fetch() against a real local server, files and file:// URLs."""

from __future__ import annotations

import gzip
import time
from pathlib import Path

import pytest

from bot.sources import FeedError, SourceUnavailable, parse_any
from bot.sources.http import USER_AGENT, fetch, retry_after_seconds
from tests.fakes.feed_server import FeedServer

FEED = "arxiv_rss/trimmed3_cs_lg_2026-04-27.xml"


def test_200_with_validators_then_304(feed_server: FeedServer, fixtures: Path) -> None:
    first = fetch(feed_server.url(FEED), timeout=5)
    assert first.status == 200 and first.data == (fixtures / FEED).read_bytes()
    assert first.etag and first.last_modified and first.content_type == "application/xml"
    assert feed_server.requests[0].headers["User-Agent"] == USER_AGENT
    again = fetch(feed_server.url(FEED), timeout=5, etag=first.etag, last_modified=first.last_modified)
    assert again.status == 304 and again.data is None
    assert feed_server.requests[1].headers["If-None-Match"] == first.etag
    since = fetch(feed_server.url(FEED), timeout=5, last_modified=first.last_modified)
    assert since.status == 304
    changed = fetch(feed_server.url(FEED), timeout=5, etag='"something-else"')
    assert changed.status == 200 and changed.data


def test_503_with_retry_after_then_success(feed_server: FeedServer) -> None:
    feed_server.fail(FEED, 503, times=2, retry_after="4")
    waits: list[float] = []
    result = fetch(feed_server.url(FEED), timeout=5, sleep=waits.append)
    assert result.status == 200 and result.data
    assert waits == [4.0, 4.0] and feed_server.count(FEED) == 3


def test_retry_after_is_capped_and_retries_run_out(feed_server: FeedServer) -> None:
    feed_server.fail(FEED, 429, retry_after="3600")
    waits: list[float] = []
    with pytest.raises(SourceUnavailable, match="HTTP 429 from"):
        fetch(feed_server.url(FEED), timeout=5, retries=2, max_wait=30, sleep=waits.append)
    assert waits == [30, 30] and feed_server.count(FEED) == 3


def test_404_is_a_feed_error(feed_server: FeedServer) -> None:
    url = feed_server.url("arxiv_rss/nope.xml")
    with pytest.raises(FeedError, match=f"HTTP 404 from {url}"):
        fetch(url, timeout=5)
    feed_server.fail(FEED, 404)
    with pytest.raises(FeedError, match="HTTP 404"):
        fetch(feed_server.url(FEED), timeout=5, sleep=lambda s: pytest.fail("404 is not retried"))


def test_timeout(feed_server: FeedServer) -> None:
    feed_server.slow(FEED, 2.0)
    started = time.monotonic()
    with pytest.raises(SourceUnavailable, match=r"timed out after 0\.3 s"):
        fetch(feed_server.url(FEED), timeout=0.3)
    assert time.monotonic() - started < 1.5


def test_truncated_body(feed_server: FeedServer) -> None:
    feed_server.truncate(FEED)
    with pytest.raises(SourceUnavailable, match="closed before the whole feed arrived"):
        fetch(feed_server.url(FEED), timeout=5)


def test_connection_refused() -> None:
    with pytest.raises(SourceUnavailable, match=r"connection refused by 127\.0\.0\.1"):
        fetch("http://127.0.0.1:9/feed.xml", timeout=2)


def test_gzip_body_is_decoded(feed_server: FeedServer, fixtures: Path) -> None:
    raw = (fixtures / FEED).read_bytes()
    feed_server.route("gz.xml", gzip.compress(raw), headers={"Content-Encoding": "gzip"})
    assert fetch(feed_server.url("gz.xml"), timeout=5).data == raw
    feed_server.route("liar.xml", raw, headers={"Content-Encoding": "gzip"})  # claims gzip, sends plain
    assert fetch(feed_server.url("liar.xml"), timeout=5).data == raw


def test_files_and_file_urls(fixtures: Path) -> None:
    path = fixtures / FEED
    assert fetch(str(path), timeout=1).data == path.read_bytes()
    assert fetch(path.as_uri(), timeout=1).data == path.read_bytes()
    assert parse_any(fetch(path.as_uri(), timeout=1).data or b"", path.as_uri()).kind == "arxiv_rss"


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "gone.xml"
    with pytest.raises(FeedError, match=f"no such file: {missing}"):
        fetch(str(missing), timeout=1)
    with pytest.raises(FeedError, match="no such file"):
        fetch(missing.as_uri(), timeout=1)
    with pytest.raises(FeedError, match="unsupported URL scheme ftp"):
        fetch("ftp://example.org/feed.xml", timeout=1)


def test_retry_after_forms() -> None:
    assert retry_after_seconds("120") == 120.0
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past: go now
