"""A real engine on a temporary SQLite file, the Slack stand-in, and the app on a real HTTP port."""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from adapters.slack.app import create_app, create_web_app
from adapters.slack.platform import SlackPlatform
from adapters.slack.poster import SlackPoster
from bot.config import FileConfig, load_settings
from bot.engine import Engine, build_engine
from tests.fakes.slack_api import FakeSlack
from tests.slack.helpers import SECRET, signed_headers

DEMO_DAY = Path(__file__).resolve().parents[2] / "bot" / "data" / "arxiv_cs_2026-06-16.rss.gz"


def make_engine(db: Path, api_url: str, **env: Any) -> Engine:
    values: dict[str, Any] = {
        "DATABASE_URL": f"sqlite:///{db}",
        "OPENAI_API_KEY": None,
        "ACADEMICHUB_CONFIG": None,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": api_url,
        "ACADEMICHUB_ARXIV_API_URL": "http://127.0.0.1:9/",
    }
    settings = load_settings(**(values | env))
    engine = build_engine(settings, file_config=FileConfig())
    # Answers must come from the store: no live arXiv look-ups (and no 3 s arXiv pacing) in tests.
    engine.arxiv = None
    return engine


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding the bundled demo day (2026-06-16), built once and copied per test."""
    path = tmp_path_factory.mktemp("template") / "demo.db"
    engine = make_engine(path, "http://127.0.0.1:9/api/")
    engine.ingest([str(DEMO_DAY)])
    engine.close()
    return path


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        fake.state.channel_names["C0PAPERS"] = "ml-papers"
        yield fake


@pytest.fixture
def engine(demo_db: Path, tmp_path: Path, slack: FakeSlack) -> Iterator[Engine]:
    db = tmp_path / "t.db"
    shutil.copy(demo_db, db)
    engine = make_engine(db, slack.url)
    engine.digests.register_poster("slack", lambda info: poster_for(engine, info.key))
    yield engine
    engine.close()


def poster_for(engine: Engine, key: str) -> SlackPoster:
    """The platform's own poster, unpaced (Slack's 1 message/s is a production concern)."""
    poster = SlackPlatform().poster(engine, _Key(key))
    poster.pace = 0
    return poster


@dataclass(frozen=True)
class _Key:
    key: str


@dataclass
class Running:
    """The app on a real loopback port, and a client that posts signed bodies to it."""

    server: TestServer
    session: aiohttp.ClientSession
    slack: FakeSlack
    signed: set[tuple[str, int]] = field(default_factory=set)

    @property
    def url(self) -> str:
        return str(self.server.make_url("/slack/events"))

    async def post(
        self, body: str, content_type: str, *, headers: dict[str, str] | None = None, at: float | None = None
    ) -> tuple[int, str, float]:
        """POST a signed body; returns (status, body, seconds until the ack arrived).

        Slack signs each delivery afresh, retries included: a body sent again is signed at a
        second it was not signed at before, since the same body, second and signature would be
        a replay (refused)."""
        if at is None:
            at = float(int(time.time()))
            while (body, int(at)) in self.signed:
                at -= 1
        self.signed.add((body, int(at)))
        sent = {**signed_headers(body, content_type, at=at), **(headers or {})}
        started = time.perf_counter()
        async with self.session.post(self.url, data=body.encode(), headers=sent) as resp:
            text = await resp.text()
        return resp.status, text, time.perf_counter() - started

    async def responses(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Wait (without blocking the app's event loop) until response_url got `count` posts."""
        return await asyncio.to_thread(self.slack.wait_responses, count, timeout)

    async def command(self, body: str) -> tuple[int, str, float]:
        return await self.post(body, "application/x-www-form-urlencoded")

    async def command_at(self, body: str, at: float) -> tuple[int, str, float]:
        """A form body signed at `at`: a second request with the same body and second would be a replay."""
        return await self.post(body, "application/x-www-form-urlencoded", at=at)

    async def event(self, body: str, headers: dict[str, str] | None = None) -> tuple[int, str, float]:
        return await self.post(body, "application/json", headers=headers)


@pytest.fixture
async def running(engine: Engine, slack: FakeSlack) -> AsyncIterator[Running]:
    app = create_app(engine)  # its AsyncWebClient talks to the stand-in through SLACK_API_URL
    server = TestServer(create_web_app(engine, app), host="127.0.0.1")
    async with server, aiohttp.ClientSession() as session:
        yield Running(server, session, slack)
