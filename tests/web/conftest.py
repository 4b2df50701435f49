"""The lab page on a real engine: the bundled arXiv day plus hostile items, two workspaces, and the
aiohttp app on a real loopback port (aiohttp's TestServer), signed in through a real link."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer

from adapters.web.app import create_lab_app
from bot.config import ChannelConfig
from bot.engine import Engine
from bot.signin import Member, SignIn
from tests.conftest import DEMO_DAY_FEED, make_engine
from tests.feeds import Item, write_feed

SECRET = "a-test-secret-key-that-is-long-enough"
PUBLIC_URL = "http://lab.example.org"
NOW = dt.datetime(2026, 6, 16, 15, 0, tzinfo=dt.UTC)  # a Tuesday with a listing
CHANNEL = "slack:T0LAB/C0PAPERS"
ZH_CHANNEL = "slack:T0LAB/C0ZH"
OTHER = "slack:T0OTHER/C0ELSE"
BOB = Member("slack", "T0LAB", "U0BOB")
MALLORY = Member("slack", "T0OTHER", "U0MAL")

HOSTILE = [
    Item(
        id="2606.00011",
        title="<script>alert('title')</script> Attention & $\\alpha$-nets for $x<y$",
        creators="Eve <b>Bold</b> Adversary, Trudy & Co",
        abstract="We close </details><script>alert('abstract')</script> and show $\\sum_i a_i < b$ & more.",
        categories=["cs.LG"],
    ),
]
CHANNELS = [
    ChannelConfig("slack", "T0LAB/C0PAPERS", radar=["cat:cs.LG", 'author:"Zhigang Tu"'], name="ml-papers"),
    ChannelConfig("slack", "T0LAB/C0ZH", radar=["cat:cs.CV"], name="视觉", language="zh"),
    ChannelConfig("slack", "T0OTHER/C0ELSE", radar=["cat:cs.RO"], name="secret-robots"),
]


@pytest.fixture(scope="session")
def lab_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with the bundled 2026-06-16 day and the hostile items, built once, copied per test."""
    folder = tmp_path_factory.mktemp("lab")
    path = folder / "lab.db"
    engine = make_engine(f"sqlite:///{path}")
    hostile = write_feed(folder / "hostile.xml", HOSTILE, dt.date(2026, 6, 16))
    engine.ingest([str(DEMO_DAY_FEED), hostile])
    engine.close()
    return path


def lab_engine(url: str) -> Engine:
    engine = make_engine(url, CHANNELS, ACADEMICHUB_SECRET_KEY=SECRET, ACADEMICHUB_PUBLIC_URL=PUBLIC_URL)
    engine.arxiv = None  # answers from the store only
    engine.commands.clock = lambda: NOW
    return engine


@pytest.fixture
def engine(lab_db: Path, tmp_path: Path) -> Any:
    db = tmp_path / "t.db"
    shutil.copy(lab_db, db)
    engine = lab_engine(f"sqlite:///{db}")
    yield engine
    engine.close()


@pytest.fixture
def signin() -> SignIn:
    return SignIn(SECRET, clock=lambda: NOW.timestamp())


@pytest.fixture
async def client(engine: Engine, signin: SignIn) -> AsyncIterator[TestClient[Any, Any]]:
    app = create_lab_app(engine, signin, clock=lambda: NOW)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


async def sign_in(client: TestClient[Any, Any], signin: SignIn, member: Member = BOB) -> None:
    """Follow a real sign-in link, as a member would from chat."""
    response = await client.get(f"/login?token={signin.link_token(member)}", allow_redirects=False)
    assert response.status == 303, await response.text()


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


async def page(client: TestClient[Any, Any], url: str = "/") -> tuple[ClientResponse, str]:
    response = await client.get(url)
    return response, await response.text()
