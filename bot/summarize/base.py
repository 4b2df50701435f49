"""The seams of summarising: the Summarizer protocol, the TL;DR cache and the token budget."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol, runtime_checkable

from bot.models import DigestEntry, Paper

TLDR_MAX_CHARS = 280
BRIEFING_MAX_CHARS = 900


@runtime_checkable
class Summarizer(Protocol):
    """Writes per-paper TL;DRs and a digest's cross-field briefing."""

    name: str

    @property
    def cache_key(self) -> str:
        """What the output depends on, e.g. `extractive:v1` or `llm:{model}:tldr_v1`."""
        ...

    def tldrs(self, papers: Sequence[Paper], language: str) -> dict[str, str]:
        """Paper id -> TL;DR; ids it failed on may be missing."""
        ...

    def briefing(self, entries: Sequence[DigestEntry], language: str) -> str | None:
        """The digest's briefing, or None when it could not write one."""
        ...


class TldrCache(Protocol):
    """TL;DRs stored per (paper id, summarizer cache key, language); the engine backs it with the DB."""

    def get(self, ids: Sequence[str], key: str, language: str) -> dict[str, str]:
        """The cached TL;DRs among `ids`."""
        ...

    def put(self, items: Mapping[str, str], key: str, language: str) -> None:
        """Store (or overwrite) TL;DRs."""
        ...


class TokenBudget(Protocol):
    """The daily LLM token allowance (SPEC §2 ACADEMICHUB_LLM_DAILY_TOKENS)."""

    limit: int

    def used_today(self) -> int:
        """Tokens spent so far today."""
        ...

    def add(self, tokens: int) -> None:
        """Record tokens just spent."""
        ...


class MemoryCache:
    """A dict-backed TldrCache for tests and the offline demo."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str, str], str] = {}

    def get(self, ids: Sequence[str], key: str, language: str) -> dict[str, str]:
        """The cached TL;DRs among `ids`."""
        found = ((pid, self.items.get((pid, key, language))) for pid in ids)
        return {pid: text for pid, text in found if text is not None}

    def put(self, items: Mapping[str, str], key: str, language: str) -> None:
        """Store (or overwrite) TL;DRs."""
        for pid, text in items.items():
            self.items[(pid, key, language)] = text


class MemoryBudget:
    """An in-memory TokenBudget that starts afresh each UTC day."""

    def __init__(self, limit: int, today: Callable[[], dt.date] | None = None) -> None:
        self.limit = limit
        self._today = today or (lambda: dt.datetime.now(dt.UTC).date())
        self._day = self._today()
        self._used = 0

    def used_today(self) -> int:
        """Tokens spent so far today."""
        self._roll()
        return self._used

    def add(self, tokens: int) -> None:
        """Record tokens just spent."""
        self._roll()
        self._used += max(0, tokens)

    def _roll(self) -> None:
        today = self._today()
        if today != self._day:
            self._day, self._used = today, 0
