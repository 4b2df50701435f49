"""The live arXiv look-up behind `/papers author …` and `/papers paper ID`.

It never holds an answer hostage: the command answers from the store at once and the look-up
runs after it, as a follow-up, within a short deadline. After a failure the API is left alone
for a few minutes (a circuit breaker), so a dead API costs one timeout, not one per question;
answers are cached, so fifty people asking for the same author make one request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass

from bot.models import Paper
from bot.sources import FeedError
from bot.sources.arxiv_api import ArxivClient

log = logging.getLogger(__name__)

DEADLINE_SECONDS = 10.0
COOL_OFF_SECONDS = 300.0
CACHE_SECONDS = 900.0


@dataclass(frozen=True, slots=True)
class LiveAnswer:
    """What a look-up brought: papers, or the one-line reason it brought none."""

    papers: list[Paper]
    error: str | None = None


class LiveArxiv:
    """The arXiv API with a deadline, a circuit breaker and a small answer cache."""

    def __init__(
        self,
        client: ArxivClient | None,
        *,
        deadline: float = DEADLINE_SECONDS,
        cool_off: float = COOL_OFF_SECONDS,
        cache_for: float = CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.deadline = deadline
        self.cool_off = cool_off
        self.cache_for = cache_for
        self._clock = clock
        self._lock = threading.Lock()
        self._open_until = 0.0
        self._cache: dict[str, tuple[float, LiveAnswer]] = {}
        # Requests outlive a missed deadline (their own timeout ends them); a few threads suffice
        # because the breaker stops new ones after a failure.
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="arxiv-live")
        # One look-up at a time: arXiv takes one request per 3 s anyway, and while the first
        # of many is finding out that the API is dead, the others wait for its verdict
        # instead of each spending a deadline of their own.
        self._turn = threading.Semaphore(1)

    @property
    def enabled(self) -> bool:
        return self.client is not None

    def paused(self) -> bool:
        """True while the breaker is open after a failure."""
        with self._lock:
            return self._clock() < self._open_until

    def authors(self, names: tuple[str, ...], max_results: int = 25) -> LiveAnswer:
        """Papers by all of these authors on arXiv."""
        query = " AND ".join(f'au:"{name}"' for name in names)
        return self._ask(f"search:{query}", lambda c: c.search(query, max_results=max_results))

    def paper(self, arxiv_id: str) -> LiveAnswer:
        """One paper by its arXiv id."""
        return self._ask(f"id:{arxiv_id}", lambda c: c.by_ids([arxiv_id]))

    def _ask(self, key: str, call: Callable[[ArxivClient], list[Paper]]) -> LiveAnswer:
        client = self.client
        if client is None:
            return LiveAnswer([], "the live arXiv look-up is off in this process")
        if not self._turn.acquire(timeout=self.deadline):
            return LiveAnswer([], "arXiv is busy with other look-ups; ask again in a minute")
        try:
            return self._ask_in_turn(key, call, client)
        finally:
            self._turn.release()

    def _ask_in_turn(
        self, key: str, call: Callable[[ArxivClient], list[Paper]], client: ArxivClient
    ) -> LiveAnswer:
        now = self._clock()
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None and now - cached[0] < self.cache_for:
                return cached[1]
            if now < self._open_until:
                wait = int(self._open_until - now) + 1
                return LiveAnswer([], f"arXiv did not answer a moment ago; not asking again for {wait} s")
        future = self._pool.submit(call, client)
        try:
            answer = LiveAnswer(future.result(timeout=self.deadline))
        except FutureTimeout:
            answer = self._trip(f"arXiv did not answer within {self.deadline:g} s")
        except FeedError as exc:
            answer = self._trip(str(exc))
        else:
            with self._lock:
                self._cache[key] = (self._clock(), answer)
        return answer

    def _trip(self, reason: str) -> LiveAnswer:
        log.warning("live arXiv look-up failed (%s); pausing it for %g s", reason, self.cool_off)
        with self._lock:
            self._open_until = self._clock() + self.cool_off
        return LiveAnswer([], reason)
