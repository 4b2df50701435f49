"""One search setting two ways, each drawn query run under both, in random order.

A plan change measured by two bench runs compares the caches of two moments as much as the
plans: on a machine that keeps little of the store cached, the same 320 queries ran at p95
57 ms on one pass and 96 on the next. Here each query runs once with each value of a
`bot.store.search` constant, which first drawn at random, on one store in one process; the
"first run" figures count only the run that came first (no help from the other's cache).
The queries are bench.search's shapes, drawn from the corpus with the seeds given (fresh
ones by default, printed). The store is the one `python -m bench.search` loaded.

Run: python -m bench.paired AUTHORS_DRIVE_BELOW 1000 300 --shapes "full name,surname"
     [--store sqlite|postgres] [--papers N] [--seeds 11,12,…]
"""

from __future__ import annotations

import argparse
import random
import time

from bench.common import CACHE, bench_seed, engine_on, machine, percentile
from bench.search import CALLER, PG_ADMIN, PG_DB, SHAPES, queries
from bot.store import search as search_module


def _figures(times: list[float]) -> str:
    p50, p95 = percentile(times, 50) * 1000, percentile(times, 95) * 1000
    return f"p50 / p95 / max {p50:.1f} / {p95:.1f} / {max(times) * 1000:.1f} ms (n={len(times)})"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("name", help="a constant of bot.store.search, e.g. AUTHORS_DRIVE_BELOW")
    parser.add_argument("a", type=int)
    parser.add_argument("b", type=int)
    parser.add_argument("--shapes", default="author + text", help=f"comma-separated, of: {', '.join(SHAPES)}")
    parser.add_argument("--store", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--papers", type=int, default=1_000_000)
    parser.add_argument("--seeds", help="comma-separated (default: 8 drawn from BENCH_SEED or fresh)")
    parser.add_argument("--slowest", type=int, default=0, help="list the N queries slowest either way")
    args = parser.parse_args()
    if not isinstance(getattr(search_module, args.name, None), int):
        parser.error(f"{args.name} is not an integer setting of bot.store.search")
    shapes = [s.strip() for s in args.shapes.split(",")]
    if unknown := [s for s in shapes if s not in SHAPES]:
        parser.error(f"unknown shapes: {', '.join(unknown)}")
    first = bench_seed()
    seeds = [int(s) for s in args.seeds.split(",")] if args.seeds else [first + i for i in range(8)]
    if args.store == "sqlite":
        db = CACHE / f"search-{args.papers}.db"
        if not db.exists():
            parser.error(f"no store at {db}: run `python -m bench.search --papers {args.papers}` first")
        url = f"sqlite:///{db}"
    else:
        url = PG_ADMIN.rsplit("/", 1)[0] + f"/{PG_DB}"
    engine = engine_on(url)
    engine.arxiv = None  # the store's answer only
    order = random.Random(seeds[0])
    for _shape, q in queries(seeds[0] - 1, args.papers):  # a running bot's caches, warmed
        engine.handle(q, CALLER)
    settings = (args.a, args.b)  # by position: the same value twice times a query twice
    both: tuple[list[float], list[float]] = ([], [])
    first_runs: tuple[list[float], list[float]] = ([], [])
    asked: list[str] = []
    try:
        for seed in seeds:
            for shape, q in queries(seed, args.papers):
                if shape not in shapes:
                    continue
                sides = [0, 1]
                order.shuffle(sides)
                for side in sides:
                    setattr(search_module, args.name, settings[side])
                    start = time.perf_counter()
                    engine.handle(q, CALLER)
                    both[side].append(time.perf_counter() - start)
                first_runs[sides[0]].append(both[sides[0]][-1])
                asked.append(q)
    finally:
        engine.close()
    print(f"machine: {machine()}; store: {args.store}, {args.papers:,} papers")
    print(f"shapes: {', '.join(shapes)}; seeds: {','.join(map(str, seeds))}")
    for side, value in enumerate(settings):
        line = f"{args.name} = {value}: {_figures(both[side])}"
        if first_runs[side]:
            line += f"; first runs only: {_figures(first_runs[side])}"
        print(line)
    pairs = sorted(zip(both[0], both[1], asked, strict=True), key=lambda t: -max(t[0], t[1]))
    for a, b, q in pairs[: args.slowest]:
        print(f"  {a * 1000:7.1f} / {b * 1000:7.1f} ms  {q}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
