"""save_write: a reading-list write retried when the store is busy, the last failure raised as it was."""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
import time
from types import SimpleNamespace
from typing import Any

import pytest

from adapters.discord.views import WRITE_ATTEMPTS, save_write


def _client() -> Any:
    return SimpleNamespace(write_lock=asyncio.Lock())


async def test_busy_store_is_retried_until_the_write_lands() -> None:
    calls: list[float] = []

    def write(paper: str) -> str:
        calls.append(time.monotonic())
        if len(calls) < WRITE_ATTEMPTS:
            raise sqlite3.OperationalError("database is locked")
        return f"saved {paper}"

    assert await save_write(_client(), write, "2401.00001") == "saved 2401.00001"
    assert len(calls) == WRITE_ATTEMPTS
    gaps = [b - a for a, b in itertools.pairwise(calls)]
    assert gaps[0] >= 0.19 and gaps[1] >= 0.39  # 0.2 s, then 0.4 s: the other writer gets to finish


async def test_write_that_keeps_failing_raises_its_own_error() -> None:
    calls = 0

    def write() -> None:
        nonlocal calls
        calls += 1
        raise sqlite3.OperationalError(f"database is locked ({calls})")

    with pytest.raises(sqlite3.OperationalError, match=rf"\({WRITE_ATTEMPTS}\)"):
        await save_write(_client(), write)
    assert calls == WRITE_ATTEMPTS
