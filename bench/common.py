"""Shared helpers for the benchmarks: timing, medians, a table, fresh engines."""

from __future__ import annotations

import os
import platform
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.config import FileConfig, load_settings
from bot.engine import Engine, build_engine

CACHE = Path(__file__).resolve().parent / ".cache"
CLOSED_PORT_URL = "http://127.0.0.1:9/"


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def median_of(runs: int, fn: Callable[[], Any]) -> float:
    return statistics.median(timed(fn) for _ in range(runs))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def engine_on(url: str, **env: Any) -> Engine:
    """An engine with no LLM key, no config file, and live arXiv lookups that fail at once."""
    overrides: dict[str, Any] = {
        "DATABASE_URL": url,
        "OPENAI_API_KEY": None,
        "ACADEMICHUB_CONFIG": None,
        "ACADEMICHUB_ARXIV_API_URL": CLOSED_PORT_URL,
    }
    overrides.update(env)
    return build_engine(load_settings(**overrides), file_config=FileConfig())


def table(title: str, rows: list[tuple[str, str, str, str]]) -> str:
    """A Markdown table: measure | value | baseline | target."""
    lines = [f"### {title}", "", "| measure | value | baseline (same run) | target |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    return "\n".join(lines)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def bench_seed() -> int:
    """The seed a benchmark draws its inputs with: BENCH_SEED when set (to repeat a run), else
    a fresh one; each benchmark prints it."""
    return int(os.environ.get("BENCH_SEED") or random.randrange(1 << 30))
