"""The engine's outside parties, through their real clients: the arXiv API for the live fallback,
and an OpenAI-compatible server for TL;DRs and briefings."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.config import ChannelConfig
from bot.engine import Engine
from bot.models import Caller
from bot.radar import parse_rule
from tests.conftest import FIXTURES
from tests.fakes.feed_server import FeedServer
from tests.fakes.openai_server import FakeOpenAI
from tests.feeds import Item, write_feed

CALLER = Caller("slack", "T0LAB", "C0PAPERS", "U0BOB")
DAY = dt.date(2026, 6, 16)
LAB = ChannelConfig(platform="console", id="lab", radar=["cat:cs.LG"])


def test_author_with_few_stored_papers_asks_arxiv_after_answering(
    sqlite_url: str, engine_factory: Callable[..., Engine]
) -> None:
    """The store answers at once; the live look-up follows, and what it found is stored."""
    body = (FIXTURES / "arxiv_api" / "legacy2016_au_del_maestro.xml").read_bytes()
    with FeedServer(FIXTURES) as server:
        server.route("/api/query", body)
        engine = engine_factory(sqlite_url, ACADEMICHUB_ARXIV_API_URL=server.url("/api/query"))
        first = engine.handle("author Del Maestro", CALLER)
        assert server.count("/api/query") == 0, "the first answer never waits for arXiv"
        assert "No papers found" in first.text and first.follow_up is not None
        more = engine.follow_up(first.follow_up)
        assert server.count("/api/query") >= 1  # paged by the arxiv client, one request per 3 s
        again = engine.handle("author Del Maestro", CALLER)
    assert more is not None and "Found more on arXiv" in more.text and len(more.papers) == 5
    assert len(again.papers) == 5 and again.follow_up is None, "stored for next time"


def test_offline_live_lookup_fails_once_then_pauses(
    sqlite_url: str, engine_factory: Callable[..., Engine]
) -> None:
    engine = engine_factory(sqlite_url)  # the API URL points at a closed port
    reply = engine.handle("author Nobody", CALLER)
    assert not reply.error and reply.follow_up is not None
    failed = engine.follow_up(reply.follow_up)
    assert failed is not None and "live arXiv look-up failed" in failed.text
    started = time.monotonic()
    second = engine.follow_up(engine.handle("author Somebody Else", CALLER).follow_up)  # type: ignore[arg-type]
    assert second is not None and "not asking again" in second.text
    assert time.monotonic() - started < 1.0, "the breaker answers without trying"


def test_a_silent_arxiv_costs_one_deadline_not_one_per_question() -> None:
    """A server that accepts connections and never answers: the deadline, then the breaker."""
    import socket

    from bot.live import LiveArxiv
    from bot.sources.arxiv_api import ArxivClient, RateLimiter

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/api/query"
        client = ArxivClient(api_url=url, timeout=5, limiter=RateLimiter(0))
        live = LiveArxiv(client, deadline=0.5, cool_off=60)
        started = time.monotonic()
        first = live.authors(("Grohs",))
        rest = [live.authors((f"Name{i}",)) for i in range(20)]
        took = time.monotonic() - started
    assert first.error and "within 0.5 s" in first.error
    assert all(r.error and "not asking again" in r.error for r in rest)
    assert took < 2.0


def six_papers(tmp_path: Path) -> str:
    items = [
        Item(
            id=f"2606.6000{i}",
            title=f"Operator learning study {i}",
            creators="Ada Lovelace",
            abstract=f"We prove bound number {i} for neural operators. It is sharp.",
        )
        for i in range(6)
    ]
    return write_feed(tmp_path / "six.xml", items, DAY)


def llm_engine(engine_factory: Callable[..., Engine], url: str, fake: FakeOpenAI, **env: str) -> Engine:
    return engine_factory(
        url,
        channels=[LAB],
        OPENAI_API_KEY="sk-test",
        OPENAI_BASE_URL=fake.base_url,
        ACADEMICHUB_LLM_BATCH="4",
        ACADEMICHUB_LLM_TIMEOUT="2",
        **env,
    )


def test_a_digest_of_six_costs_three_requests_and_shows_the_models_text(
    db_url: str, engine_factory: Callable[..., Engine], tmp_path: Path
) -> None:
    with FakeOpenAI() as fake:
        engine = llm_engine(engine_factory, db_url, fake)
        engine.ingest([six_papers(tmp_path)])
        [digest] = engine.build_digests(channel="console:lab", day=DAY)
        assert fake.request_count <= 3  # ⌈6 / 4⌉ TL;DR batches + one briefing
        assert [e.tldr for e in digest.entries] == [f"Model TL;DR of {e.paper.id}." for e in digest.entries]
        assert digest.briefing.startswith("Model briefing on")
        tldr_requests = len(fake.requests_of("tldr"))
        engine.build_digests(channel="console:lab", day=DAY)
        assert len(fake.requests_of("tldr")) == tldr_requests  # cached: no new TL;DR request
        engine.channels.subscribe("console:second", parse_rule("cat:cs.LG"))
        count = fake.request_count
        engine.build_digests(channel="console:second", day=DAY)
        assert fake.request_count - count <= 1  # the second channel costs at most its briefing


def test_a_failing_server_still_gives_a_complete_digest_in_time(
    sqlite_url: str, engine_factory: Callable[..., Engine], tmp_path: Path
) -> None:
    with FakeOpenAI(mode="500") as fake:
        engine = llm_engine(engine_factory, sqlite_url, fake)
        engine.ingest([six_papers(tmp_path)])
        start = time.monotonic()
        [digest] = engine.build_digests(channel="console:lab", day=DAY)
        assert time.monotonic() - start < 60
        assert len(digest.entries) == 6 and all(0 < len(e.tldr) <= 280 for e in digest.entries)
        assert 0 < len(digest.briefing) <= 900 and fake.request_count <= 6


def test_a_spent_budget_sends_nothing(
    sqlite_url: str, engine_factory: Callable[..., Engine], tmp_path: Path
) -> None:
    with FakeOpenAI() as fake:
        engine = llm_engine(engine_factory, sqlite_url, fake, ACADEMICHUB_LLM_DAILY_TOKENS="0")
        engine.ingest([six_papers(tmp_path)])
        [digest] = engine.build_digests(channel="console:lab", day=DAY)
        assert fake.request_count == 0 and all(e.tldr for e in digest.entries)


@pytest.mark.parametrize("mode", ["invalid_json", "wrong_ids"])
def test_nonsense_answers_fall_back_to_extractive(
    sqlite_url: str, engine_factory: Callable[..., Engine], tmp_path: Path, mode: str
) -> None:
    with FakeOpenAI(mode=mode) as fake:
        engine = llm_engine(engine_factory, sqlite_url, fake)
        engine.ingest([six_papers(tmp_path)])
        [digest] = engine.build_digests(channel="console:lab", day=DAY)
        assert all("We prove bound number" in e.tldr for e in digest.entries)


def test_arxiv_rss_sources_follow_the_configured_base(
    sqlite_url: str, engine_factory: Callable[..., Engine], tmp_path: Path
) -> None:
    """`arxiv:CATS` and rss.arxiv.org URLs are read from ACADEMICHUB_ARXIV_RSS_URL (a server or a folder)."""
    name = "trimmed3_cs_lg_2026-04-27.xml"
    with FeedServer(FIXTURES) as server:
        engine = engine_factory(sqlite_url, ACADEMICHUB_ARXIV_RSS_URL=server.url("/arxiv_rss/"))
        report = engine.ingest([f"arxiv:{name}", f"https://rss.arxiv.org/rss/{name}"])
        assert server.count(f"/arxiv_rss/{name}") == 2
    assert [s.source for s in report.sources] == [f"arxiv:{name}", f"https://rss.arxiv.org/rss/{name}"]
    assert (report.new, report.unchanged, report.failed) == (3, 3, 0)
    folder = engine_factory(
        f"sqlite:///{tmp_path / 'f.db'}", ACADEMICHUB_ARXIV_RSS_URL=f"{FIXTURES}/arxiv_rss/"
    )
    assert folder.ingest([f"arxiv:{name}"]).new == 3
