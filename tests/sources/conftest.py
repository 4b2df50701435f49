"""Fixtures for the sources tests: the real captured feeds and a local feed server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.feed_server import FeedServer, fixtures_root


@pytest.fixture(scope="session")
def fixtures() -> Path:
    root = fixtures_root()
    if not root.is_dir():
        pytest.fail(f"fixtures not found at {root}: the tests need tests/fixtures")
    return root


@pytest.fixture
def feed_server(fixtures: Path) -> Iterator[FeedServer]:
    with FeedServer(fixtures) as server:
        yield server
