"""Real arXiv abstracts as Paper objects, and a fake OpenAI server per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.models import DigestEntry, Paper
from bot.summarize import MemoryBudget
from bot.summarize.openai_llm import LLMSummarizer
from tests import FIXTURES
from tests.corpus import listing_papers
from tests.fakes.openai_server import FakeOpenAI

LISTING = "corpus/daily_arxiv_listing_2026-06-16.jsonl"


def fixtures_root() -> Path:
    """The captured fixtures the tests read (tests/fixtures)."""
    return FIXTURES


def load_papers(limit: int | None = None, ids: list[str] | None = None) -> list[Paper]:
    """Papers from the real daily listing (deduplicated, in file order)."""
    return listing_papers(limit=limit, ids=ids)


def entries_for(papers: list[Paper], tldrs: dict[str, str] | None = None) -> list[DigestEntry]:
    """Numbered digest entries 1..n."""
    return [DigestEntry(number=i, paper=p, tldr=(tldrs or {}).get(p.id, "")) for i, p in enumerate(papers, 1)]


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


class SleepRecorder:
    """Injectable sleep that records waits instead of blocking."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def make_llm(server: FakeOpenAI, **overrides: Any) -> LLMSummarizer:
    """An LLMSummarizer pointed at the fake server, with small timeouts and no real sleeping."""
    args: dict[str, Any] = {
        "api_key": "sk-test",
        "base_url": server.base_url,
        "model": "fake-mini",
        "budget": MemoryBudget(1_000_000),
        "batch_size": 4,
        "timeout": 1.0,
        "max_retries": 2,
        "sleep": SleepRecorder(),
    }
    args.update(overrides)
    return LLMSummarizer(**args)
