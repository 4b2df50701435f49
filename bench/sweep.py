"""Queries composed at random, on the stores `bench.search` loaded: where its fixed shapes find
no slow plan, a sweep of mixed ones may.

Each query is one to four clauses drawn from the corpus's real records — a surname, a full
name, a word of a title or an abstract, a phrase of two or three words cut from one, a category
or its archive, two of them, an excluded word or phrase, `since:` a date or a span, `keyword:` —
under `search`, `author NAME` or `cat CAT`; after one in seven, `/papers more` once or three
times. Every query goes through `engine.handle`, as a slash command does; the slowest are run
again, so a first run on cold pages shows beside the same query warm. No target of its own
(SPEC §10's are bench.search's): it prints the distribution and the slowest, for
docs/performance.md and bench/RESULTS.md.

    python -m bench.sweep --store sqlite|postgres [--seed S] [--count N] [--papers N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import re
import sys
import time
from collections.abc import Callable
from typing import Any

from bench.common import CACHE, bench_seed, engine_on, machine, percentile
from bench.corpus import all_rows
from bench.search import CALLER, PG_ADMIN, PG_DB, _searchable

NEWEST = dt.date(2026, 6, 16)  # bench/corpus.py: days walk back from here
_WORD = re.compile(r"[A-Za-z][A-Za-z-]*[A-Za-z]")
_NAME = re.compile(r"[A-Z][\w.'-]* ([A-Z][\w.'-]* )?[A-Z][a-z'-]+")


class Composer:
    """Queries drawn from the corpus's records with one random generator (a seed repeats them)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.rows = all_rows()
        self.clauses: list[Callable[[], str]] = [
            lambda: f"author:{self.name().split()[-1]}",
            lambda: f'author:"{self.name()}"',
            self.word,
            self.word,
            lambda: f'"{self.phrase(2)}"',
            lambda: f'"{self.phrase(3)}"',
            lambda: f"cat:{self.category()}",
            lambda: f"cat:{self.category()},{self.category()}",
            lambda: f"-{self.word()}",
            lambda: f'-"{self.phrase(2)}"',
            self.since,
            lambda: f'keyword:"{self.phrase(2)}"',
        ]

    def row(self) -> dict[str, Any]:
        return self.rng.choice(self.rows)

    def text(self) -> str:
        return str(self.row()[self.rng.choice(("title", "summary", "summary"))])

    def name(self) -> str:
        while True:
            names = [str(a) for a in self.row()["authors"] if _NAME.fullmatch(str(a))]
            if names:
                return self.rng.choice(names)

    def word(self) -> str:
        while True:
            words = [w for w in _WORD.findall(self.text()) if _searchable(w)]
            if words:
                return self.rng.choice(words)

    def phrase(self, n: int) -> str:
        """n consecutive words of a title or an abstract, stop words inside kept, none at its ends."""
        while True:
            words = _WORD.findall(self.text())
            grams = [
                words[i : i + n]
                for i in range(len(words) - n + 1)
                if _searchable(words[i]) and _searchable(words[i + n - 1])
            ]
            if grams:
                return " ".join(self.rng.choice(grams))

    def category(self) -> str:
        category = str(self.rng.choice(self.row()["categories"]))
        return category.split(".", 1)[0] if self.rng.random() < 0.4 else category

    def since(self) -> str:
        if self.rng.random() < 0.3:
            return f"since:{self.rng.choice((7, 30, 90, 365))}d"
        return f"since:{NEWEST - dt.timedelta(days=self.rng.randrange(500))}"

    def query(self) -> str:
        parts = [self.rng.choice(self.clauses)() for _ in range(self.rng.choice((1, 2, 2, 3, 3, 4)))]
        if all(p.startswith(("-", "since:")) for p in parts):
            parts.append(self.word())  # something to look for
        head = self.rng.random()
        if head < 0.2:
            name = self.name()
            who = name.split()[-1] if self.rng.random() < 0.6 else f'"{name}"'
            return " ".join([f"author {who}", *parts[1:]])
        if head < 0.4:
            return " ".join([f"cat {self.category()}", *parts[1:]])
        return " ".join(["search", *parts])

    def queries(self, count: int) -> list[tuple[str, str]]:
        """(the query, what it continues: the query a `more` pages on, else "")."""
        out: list[tuple[str, str]] = []
        for _ in range(count):
            q = self.query()
            out.append((q, ""))
            if self.rng.random() < 1 / 7:
                out += [("more", q)] * self.rng.choice((1, 1, 3))
        return out


def main() -> int:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--store", choices=("sqlite", "postgres"), required=True)
    parser.add_argument("--seed", type=int, default=bench_seed())
    parser.add_argument("--count", type=int, default=400, help="composed queries (each `more` comes on top)")
    parser.add_argument("--papers", type=int, default=1_000_000, help="the store bench.search loaded")
    parser.add_argument("--slowest", type=int, default=12)
    args = parser.parse_args()
    if args.store == "sqlite":
        db = CACHE / f"search-{args.papers}.db"
        if not db.exists():
            load = f"python -m bench.search --papers {args.papers}"
            print(f"no store at {db}: run `{load}` first", file=sys.stderr)
            return 2
        url = f"sqlite:///{db}"
    else:
        url = PG_ADMIN.rsplit("/", 1)[0] + f"/{PG_DB}"
    engine = engine_on(url)
    engine.arxiv = None  # answers from the store only
    timed: list[tuple[float, str, str]] = []
    for q, after in Composer(args.seed).queries(args.count):
        start = time.perf_counter()
        reply = engine.handle(q, CALLER)
        timed.append((time.perf_counter() - start, q, after))
        if reply.error and "No paper" not in reply.text and "more" not in reply.text.lower():
            print(f"refused: {q!r}: {reply.text[:160]}")
    seconds = [t for t, _q, _a in timed]
    print(f"machine: {machine()}; {args.store}, {args.papers:,} papers; seed {args.seed}")
    print(
        f"{len(timed)} queries: p50 / p95 / p99 / max "
        + " / ".join(f"{percentile(seconds, q) * 1000:.1f}" for q in (50, 95, 99))
        + f" / {max(seconds) * 1000:.1f} ms"
    )
    print("slowest (ms, then again):")
    for first, q, after in sorted(timed, reverse=True)[: args.slowest]:
        if after:  # the page a `more` showed, from the query it continues
            engine.handle(after, CALLER)
        start = time.perf_counter()
        engine.handle(q, CALLER)
        again = time.perf_counter() - start
        print(f"  {first * 1000:8.1f} {again * 1000:8.1f}  {q}" + (f"  (after {after})" if after else ""))
    engine.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
