"""fetch() against a hostile local server: endless, trickling, huge and gzip-bomb bodies."""

from __future__ import annotations

import gzip
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.engine import Engine
from bot.sources.http import FetchLimitExceeded, fetch
from tests.fakes.hostile_server import HostileServer

MB = 1_000_000


@pytest.fixture(scope="module")
def hostile() -> Iterator[HostileServer]:
    with HostileServer(trickle_interval=1.0) as server:
        yield server


def _peak_during(call: object) -> tuple[BaseException, int]:
    """The exception `call` raised and the most Python memory it held at once."""
    tracemalloc.start()
    try:
        with pytest.raises(FetchLimitExceeded) as caught:
            call()  # type: ignore[operator]
        return caught.value, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_endless_body_stops_at_the_cap(hostile: HostileServer) -> None:
    url = hostile.url("endless")
    started = time.monotonic()
    err, peak = _peak_during(lambda: fetch(url, timeout=5, max_bytes=5 * MB))
    assert str(err) == (
        f"{url}: the feed is larger than 5 MB once decompressed (ACADEMICHUB_MAX_FEED_MB); stopped reading it"
    )
    assert "\n" not in str(err) and time.monotonic() - started < 5
    assert peak < 8 * MB


def test_huge_body_at_the_default_cap_keeps_memory_flat(hostile: HostileServer) -> None:
    url = hostile.url("huge")  # 200 MB with an honest Content-Length
    started = time.monotonic()
    err, peak = _peak_during(lambda: fetch(url, timeout=5))
    assert "larger than 100 MB once decompressed (ACADEMICHUB_MAX_FEED_MB)" in str(err)
    assert time.monotonic() - started < 30
    assert peak < 110 * MB  # the cap and one chunk, not the body


def test_a_body_whose_content_length_is_over_the_cap_is_not_read(hostile: HostileServer) -> None:
    url = hostile.url("huge")  # 200 MB, and its Content-Length says so
    before = hostile.sent["/huge"]
    with pytest.raises(FetchLimitExceeded) as caught:
        fetch(url, timeout=5, max_bytes=50 * MB)
    assert str(caught.value) == (
        f"{url}: the feed is larger than 50 MB once decompressed (ACADEMICHUB_MAX_FEED_MB); "
        "its Content-Length says 200 MB, so it was not read"
    )
    time.sleep(0.5)  # the server writes on until it sees the connection closed
    assert hostile.sent["/huge"] - before < 20 * MB  # what the sockets held, not the body


@pytest.mark.parametrize("path", ["bomb", "bomb.gz"])
def test_gzip_bomb_is_never_expanded_whole(hostile: HostileServer, path: str) -> None:
    url = hostile.url(path)  # about 1 MiB that inflates to 1 GiB; with and without Content-Encoding
    err, peak = _peak_during(lambda: fetch(url, timeout=5, max_bytes=20 * MB))
    assert str(err).startswith(f"{url}: the feed is larger than 20 MB once decompressed")
    assert peak < 26 * MB


def test_trickle_is_cut_off_by_the_whole_fetch_deadline(hostile: HostileServer) -> None:
    url = hostile.url("trickle")  # one byte a second: the 5 s read timeout alone never fires
    started = time.monotonic()
    with pytest.raises(FetchLimitExceeded) as caught:
        fetch(url, timeout=5, deadline=2.5)
    took = time.monotonic() - started
    assert str(caught.value) == (
        f"{url}: gave up after 2.5 s, the limit for a whole fetch (ACADEMICHUB_FETCH_DEADLINE); "
        "the server sends too slowly"
    )
    assert 2.5 <= took < 4.5  # overshoot at most one trickle interval


def test_retry_waits_count_against_the_deadline(hostile: HostileServer) -> None:
    from tests.fakes.feed_server import FeedServer

    with FeedServer() as server:
        server.fail("feed.xml", 503, retry_after="30")
        waits: list[float] = []
        with pytest.raises(Exception, match="HTTP 503 from"):
            fetch(server.url("feed.xml"), timeout=5, deadline=10, sleep=waits.append)
    assert len(waits) == 2 and all(w <= 10 for w in waits)


def test_ingest_reports_the_limit_in_one_line_and_goes_on(
    hostile: HostileServer, sqlite_url: str, engine_factory: Callable[..., Engine], fixtures: Path
) -> None:
    engine = engine_factory(sqlite_url, ACADEMICHUB_MAX_FEED_MB=2, ACADEMICHUB_FETCH_DEADLINE=60)
    good = fixtures / "arxiv_rss/trimmed3_cs_lg_2026-04-27.xml"
    report = engine.ingest([hostile.url("endless"), hostile.url("bomb"), str(good)])
    endless, bomb, fine = report.sources
    assert endless.status == bomb.status == "failed" and fine.status != "failed" and fine.new > 0
    assert endless.error == (
        f"{hostile.url('endless')}: the feed is larger than 2 MB once decompressed "
        "(ACADEMICHUB_MAX_FEED_MB); stopped reading it"
    )
    assert bomb.error is not None and "larger than 2 MB once decompressed" in bomb.error


def test_a_served_gz_file_is_read_under_the_cap(
    sqlite_url: str, engine_factory: Callable[..., Engine], fixtures: Path
) -> None:
    from tests.fakes.feed_server import FeedServer

    raw = (fixtures / "arxiv_rss/trimmed3_cs_lg_2026-04-27.xml").read_bytes()
    with FeedServer() as server:
        server.route("day.xml.gz", gzip.compress(raw), content_type="application/gzip")
        assert fetch(server.url("day.xml.gz"), timeout=5).data == raw
        engine = engine_factory(sqlite_url)
        (result,) = engine.ingest([server.url("day.xml.gz")]).sources
    assert result.status != "failed" and result.new > 0
