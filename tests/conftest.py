"""Shared fixtures: the real fixture files, fresh databases (SQLite always, PostgreSQL when
TEST_DATABASE_URL is set), and a real Engine on them."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from bot.config import ChannelConfig, FileConfig, load_settings
from bot.engine import Engine, build_engine
from tests import FIXTURES as TEST_FIXTURES

REPO = Path(__file__).resolve().parents[1]
FIXTURES = TEST_FIXTURES
DEMO_DAY_FEED = REPO / "bot" / "data" / "arxiv_cs_2026-06-16.rss.gz"
CLOSED_PORT_URL = "http://127.0.0.1:9/"  # nothing listens: live lookups fail fast, offline


def postgres_url() -> str | None:
    """TEST_DATABASE_URL when it points at a reachable PostgreSQL; CI must have one."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but TEST_DATABASE_URL is not set: the PostgreSQL tests must run in CI")
        return None
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def reset_postgres(url: str) -> None:
    """A fresh, empty public schema (each test starts from nothing)."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The database URL of a fresh store, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    url = postgres_url()
    if url is None:
        pytest.skip(
            "PostgreSQL tests skipped: set TEST_DATABASE_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)"
        )
    try:
        reset_postgres(url)
    except Exception as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL at TEST_DATABASE_URL is unreachable in CI: {exc}")
        pytest.skip(f"PostgreSQL tests skipped: TEST_DATABASE_URL unreachable ({exc})")
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'test.db'}"


def make_engine(url: str, channels: list[ChannelConfig] | None = None, **env: Any) -> Engine:
    """A real Engine on `url`: no LLM key, no config file, live arXiv lookups fail fast."""
    overrides: dict[str, Any] = {
        "DATABASE_URL": url,
        "OPENAI_API_KEY": None,
        "ACADEMICHUB_CONFIG": None,
        "ACADEMICHUB_ARXIV_API_URL": CLOSED_PORT_URL,
        "ACADEMICHUB_HTTP_TIMEOUT": 5,
    }
    overrides.update(env)
    return build_engine(load_settings(**overrides), file_config=FileConfig(channels=channels or []))


@pytest.fixture
def engine_factory() -> Iterator[Callable[..., Engine]]:
    """Build engines that are closed after the test."""
    made: list[Engine] = []

    def factory(url: str, channels: list[ChannelConfig] | None = None, **env: Any) -> Engine:
        engine = make_engine(url, channels, **env)
        made.append(engine)
        return engine

    yield factory
    for engine in made:
        engine.close()


@pytest.fixture
def engine(db_url: str, engine_factory: Callable[..., Engine]) -> Engine:
    """A fresh engine on SQLite and on PostgreSQL."""
    return engine_factory(db_url)


@pytest.fixture
def sqlite_engine(sqlite_url: str, engine_factory: Callable[..., Engine]) -> Engine:
    return engine_factory(sqlite_url)
