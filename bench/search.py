"""Benchmarks: bulk load of 1,000,000 papers, and `/papers` queries over them.

The corpus is generated from the real records in tests/fixtures/corpus (bench/corpus.py,
fixed seed) as an arxiv-metadata-oai-snapshot JSON-lines file, then loaded the way a lab
back-fills: `academichub fetch --source snapshot.jsonl`, in a child process whose wall time
and peak memory are measured. Then 40 queries of each of 14 shapes (surname, full name, word,
phrase, category + word, exclusion, since:, id, a category or archive alone, an author beside
a word or phrase, a word beside a phrase, an author or a category without a word, an author
beside a category, a category without two or three words of one of its papers), drawn at
random from the corpus's records, go through the path a slash command takes — parse, query,
platform-neutral reply
(`engine.handle`) — on SQLite and on PostgreSQL; each shape's p50 / p95 / max is printed.
Beside them, the text queries answered by LIKE scans of the same store (the same query: its
words, phrases, exclusions, categories and date; `search.like_scan`): all 200 on SQLite, 20
on PostgreSQL, where each scan takes seconds.
Before them, as many queries from the next seed warm the caches as a running bot has them;
their times are printed as the cold figure. The seed is drawn fresh each run and printed
(BENCH_SEED or --seed repeats a run).
Run: python -m bench.search [--papers N] [--seed S] [--skip-postgres]
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import random
import re
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from bench.common import CACHE, CLOSED_PORT_URL, bench_seed, engine_on, machine, percentile, table, verdict
from bench.corpus import SNAPSHOT_SEED, all_rows, snapshot_records, synthetic_ids
from bot.commands import spec_for
from bot.engine import Engine
from bot.models import Caller
from bot.query import parse
from bot.stopwords import stop_words_only
from bot.store.search import like_scan

PG_ADMIN = os.environ.get("BENCH_POSTGRES_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PG_DB = os.environ.get("BENCH_POSTGRES_DB", "academichub_bench")
CALLER = Caller(platform="slack", workspace="T0BENCH", channel="C0BENCH", user="U0BENCH")


def snapshot_file(count: int) -> Path:
    """The generated snapshot, written once and reused (it is deterministic)."""
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"snapshot-{count}.jsonl"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8") as out:
            for record in snapshot_records(count):
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
        tmp.rename(path)
    return path


def _tree_rss_kb(pid: int) -> int:
    """Resident memory of a process and all its descendants (the load indexes in a child)."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")))
            for task in Path(f"/proc/{current}/task").iterdir():
                stack += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, StopIteration, ValueError):
            continue  # the process ended between two reads
    return total


def bulk_load(snapshot: Path, url: str) -> tuple[float, float, dict[str, int]]:
    """`academichub fetch --source` in a child process: (seconds, peak MB of its whole process
    tree, sampled every 50 ms, report)."""
    env = {**os.environ, "DATABASE_URL": url, "ACADEMICHUB_ARXIV_API_URL": CLOSED_PORT_URL}
    env.pop("OPENAI_API_KEY", None)
    exe = str(Path(sys.executable).with_name("academichub"))
    subprocess.run([exe, "db", "upgrade"], env=env, check=True, capture_output=True)
    start = time.perf_counter()
    with subprocess.Popen(
        [exe, "fetch", "--source", str(snapshot), "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as child:
        peak_kb = 0
        while child.poll() is None:
            peak_kb = max(peak_kb, _tree_rss_kb(child.pid))
            time.sleep(0.05)
        stdout, stderr = child.communicate()
    seconds = time.perf_counter() - start
    peak_kb = max(peak_kb, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    if child.returncode != 0:
        raise SystemExit(f"bulk load failed: {stderr[-2000:]}")
    return seconds, peak_kb / 1024, json.loads(stdout)


def direct_load_rate(snapshot: Path, count: int = 50_000) -> float:
    """The baseline beside the bulk load, from the same run: papers/s of the first `count`
    records loaded the way a daily fetch stores papers — into a store that already has one,
    so the indexes are written in the loader's own transaction, on one core."""
    head = CACHE / f"snapshot-head-{count}.jsonl"
    first = CACHE / "snapshot-first.jsonl"
    with snapshot.open("rb") as source, head.open("wb") as rest, first.open("wb") as one:
        one.write(source.readline())
        for _ in range(count):
            rest.write(source.readline())
    db = CACHE / "direct-baseline.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    bulk_load(first, f"sqlite:///{db}")
    seconds, _peak, report = bulk_load(head, f"sqlite:///{db}")
    return report["new"] / seconds


# Words a person would not search for alone (PostgreSQL's English stop words drop them anyway).
_STOP_WORDS = (
    "about after again also among based between both does from have into more most only other "
    "over some such than that their them then there these they this those through under using "
    "very what when where which while will with within without"
)
_STOP = frozenset(_STOP_WORDS.split())
SHAPES = (
    "surname",
    "full name",
    "word",
    "phrase",
    "cat + word",
    "exclusion",
    "since",
    "id",
    "category",
    "author + text",
    "word + phrase",
    "list - word",
    "author + cat",
    "cat - words",
)
PER_SHAPE = 40


def _searchable(word: str) -> bool:
    """A word a person would look for alone (the query language drops stop words alone)."""
    return word.lower() not in _STOP and not stop_words_only(word)


def _title_words(title: str) -> list[str]:
    """A title's words as a person copies them into a query: split at spaces, punctuation and
    all (`Perception,`, `(LLMs)`, `Low-Resource`), quotes aside (they are query syntax)."""
    words = (w.strip("\"'") for w in title.split())
    return [
        w
        for w in words
        if w.lstrip("-") and re.sub(r"[^A-Za-z-]", "", w).lower() not in _STOP and not stop_words_only(w)
    ]


def queries(seed: int, papers: int = 1_000_000) -> list[tuple[str, str]]:
    """(shape, query): PER_SHAPE queries of each shape, drawn at random from the corpus's real
    records (a paper, then one of its authors, title words or categories), so common surnames
    and common words come up as often as the corpus holds them. Nothing is picked by hand."""
    rng = random.Random(seed)
    rows = all_rows()
    newest = dt.date(2026, 6, 16)  # bench/corpus.py: days walk back from here, 2,000 papers each
    span = max(1, papers // 2000)

    def row() -> dict[str, Any]:
        return rng.choice(rows)

    def name() -> str:
        while True:
            names = [
                str(a)
                for a in row()["authors"]
                if re.fullmatch(r"[A-Z][\w.'-]* ([A-Z][\w.'-]* )?[A-Z][a-z'-]+", str(a))
            ]
            if names:
                return rng.choice(names)

    def word() -> str:
        while True:
            title = _title_words(str(row()["title"]))
            words = [w.lstrip("-") for w in title if len(re.sub(r"\W", "", w)) >= 4]
            if words:
                return rng.choice(words)

    def phrase() -> str:
        while True:
            words = re.findall(r"[A-Za-z][A-Za-z-]*[A-Za-z]", str(row()["title"]))
            pairs = [(a, b) for a, b in itertools.pairwise(words) if _searchable(a) and _searchable(b)]
            if pairs:
                return " ".join(rng.choice(pairs))

    def category(paper: dict[str, Any] | None = None) -> str:
        """One of a paper's categories (a paper drawn, or the one given), or its archive half
        the time (`cat math`: every math.*)."""
        category = str(rng.choice((paper or row())["categories"]))
        return category.split(".", 1)[0] if rng.random() < 0.5 else category

    def day() -> dt.date:
        """One of the corpus's days."""
        return newest - dt.timedelta(days=rng.randrange(span))

    def author_and_text() -> str:
        """SPEC's combined filters: a surname and a word or phrase (drawn from other papers, so
        the two are as likely to meet as the corpus makes them), with a category or a date
        a third of the time each."""
        parts = [f"author:{name().split()[-1]}", word() if rng.random() < 0.5 else f'"{phrase()}"']
        if rng.random() < 1 / 3:
            parts.append(f"cat:{category()}")
        if rng.random() < 1 / 3:
            parts.append(f"since:{day()}")
        return "search " + " ".join(parts)

    def category_without_its_words() -> str:
        """A paper's category (or its archive) without two or three of the paper's own title
        words: the topics a reader of the category does not want, as likely in it as the
        corpus makes them. Where they reject most of it, few papers pass."""
        while True:
            paper = row()
            words = list(dict.fromkeys(w.lstrip("-") for w in _title_words(str(paper["title"]))))
            words = [w for w in words if len(re.sub(r"\W", "", w)) >= 4]
            if len(words) >= 2:
                within = category(paper)
                excluded = rng.sample(words, min(len(words), rng.choice((2, 3))))
                return f"cat {within} " + " ".join(f"-{w}" for w in excluded)

    ids = [paper_id for paper_id, _day in synthetic_ids(papers, newest, SNAPSHOT_SEED)]
    makers = {
        "surname": lambda: f"author {name().split()[-1]}",
        "full name": lambda: f'author "{name()}"',
        "word": lambda: f"search {word()}",
        "phrase": lambda: f'search "{phrase()}"',
        "cat + word": lambda: f"search cat:{rng.choice(row()['categories'])} {word()}",
        "exclusion": lambda: f"search {word()} -{word()}",
        "since": lambda: f"search {word()} since:{day()}",
        "id": lambda: f"paper {rng.choice(ids)}",
        "category": lambda: f"cat {category()}",
        "author + text": author_and_text,
        # A word and a phrase from two papers: as likely to meet as the corpus makes them,
        # and where they do not, every list must be read to say so.
        "word + phrase": lambda: f'search {word()} "{phrase()}"',
        # A surname and a category of another paper: as likely to meet as the corpus makes them.
        "author + cat": lambda: f"search author:{name().split()[-1]} cat:{category()}",
        # An author's or a category's papers without a word: no word wanted, so the excluded
        # word's postings are all the store has to test them by.
        "list - word": lambda: (
            (f"author {name().split()[-1]}" if rng.random() < 0.5 else f"cat {category()}") + f" -{word()}"
        ),
        "cat - words": category_without_its_words,
    }
    return [(shape, makers[shape]()) for _ in range(PER_SHAPE) for shape in SHAPES]


TEXT_SHAPES = ("word", "phrase", "cat + word", "exclusion", "since")  # what a LIKE scan can look for


def run_queries(engine: Engine, texts: list[tuple[str, str]]) -> list[tuple[str, str, float]]:
    """(shape, query, seconds) of each query, through the path a slash command takes."""
    times = []
    for shape, q in texts:
        start = time.perf_counter()
        reply = engine.handle(q, CALLER)
        times.append((shape, q, time.perf_counter() - start))
        assert not reply.error or "No paper" in reply.text, (q, reply.text)
    return times


Timings = list[tuple[str, str, float]]
Scans = list[tuple[str, float, float]]  # (query, seconds of its LIKE scan, of engine.search alone)


def measure(url: str, seed: int, papers: int, like_count: int) -> tuple[Timings, Timings, Scans]:
    """(the measured queries, as many other queries run first on cold caches, LIKE scans)."""
    engine = engine_on(url)
    engine.arxiv = None  # answers from the store only: the live fallback is network-bound
    # A running bot has its store's pages cached: queries of the same shapes from another seed
    # warm the caches (they are timed too, as the cold figure) before the measured ones run.
    cold = run_queries(engine, queries(seed + 1, papers))
    texts = queries(seed, papers)
    ours = run_queries(engine, texts)
    likes = []
    # Drawn across the text shapes: a stride through the interleaved list took one shape only
    # (every 16th of the 8 shapes then: all surnames, which titles and abstracts seldom hold, so each
    # scan read the whole table), and scanned `since:…` or `-word` as the term.
    scanned = random.Random(seed).sample([q for shape, q in texts if shape in TEXT_SHAPES], like_count)
    for q in scanned:
        start = time.perf_counter()
        spec = spec_for(parse(q), dt.datetime.now(dt.UTC).date())  # the query engine.search runs
        with engine.db.reading() as session:
            if engine.db.dialect == "postgresql":  # the server's default for a scan of every row
                session.execute(text("SET LOCAL jit = on"))
            like_scan(session=session, spec=spec, limit=6)
        scan = time.perf_counter() - start
        start = time.perf_counter()
        engine.search(q, limit=6)  # the store's answer alone, as the scan gives it: no reply, no cursor
        likes.append((q, scan, time.perf_counter() - start))
    engine.close()
    return ours, cold, likes


def fresh_postgres() -> str:
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {PG_DB}"))
        conn.execute(text(f"CREATE DATABASE {PG_DB}"))
    admin.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{PG_DB}"


def _ms(values: list[float]) -> str:
    return " / ".join(
        f"{v * 1000:.1f}" for v in (percentile(values, 50), percentile(values, 95), max(values))
    )


def rows_for(name: str, ours: Timings, cold: Timings, likes: Scans) -> Iterator[tuple[str, str, str, str]]:
    like_times = [t for _q, t, _alone in likes]
    like50, like95 = percentile(like_times, 50), percentile(like_times, 95)
    yield (
        f"{name}: {len(cold)} other queries first, on cold caches, p50 / p95 / max",
        f"{_ms([t for _s, _q, t in cold])} ms",
        "—",
        "(the warm-up; no target)",
    )
    for shape in SHAPES:
        times = [t for s, _q, t in ours if s == shape]
        p95, top = percentile(times, 95), max(times)
        yield (
            f"{name}: {shape} ({len(times)}), p50 / p95 / max",
            f"{_ms(times)} ms",
            f"LIKE scan p50 / p95 {like50 * 1000:.0f} / {like95 * 1000:.0f} ms",
            f"p95 ≤ 50, max ≤ 250 ms {verdict(p95 <= 0.05 and top <= 0.25)}",
        )
    # The same queries both ways, by their total time: a LIKE scan walks the newest papers and
    # stops at the sixth hit, so a common word costs it a few ms and a rare one the whole
    # table (seconds); its median says which kind the sample drew more of.
    by_query = {q: t for _s, q, t in ours}
    total_like, total_ours = sum(like_times), sum(by_query[q] for q, _t, _a in likes)
    ours50 = percentile([by_query[q] for q, _t, _a in likes], 50)
    yield (
        f"{name}: the {len(likes)} LIKE-scanned queries, speed-up over LIKE (total time; p50 / p50)",
        f"{total_like / total_ours:.0f}× ({like50 / ours50:.1f}× by p50)",
        f"1× ({len(likes)} LIKE scans, {total_like:.1f} s in all)",
        f"≥ 20× {verdict(total_like / total_ours >= 20)}",
    )
    # The slash command's path also parses, formats a reply and records the caller's cursor
    # (a write); the scan does none of that. The store's own search, for the same six papers:
    alone = [a for _q, _t, a in likes]
    yield (
        f"{name}: the same queries, `engine.search` alone (the store's answer, as the scan's)",
        f"{total_like / sum(alone):.0f}× ({like50 / percentile(alone, 50):.1f}× by p50)",
        f"engine.search p50 / max {percentile(alone, 50) * 1000:.1f} / {max(alone) * 1000:.1f} ms",
        "(the same comparison without the reply)",
    )


def slowest(name: str, ours: Timings, count: int = 5) -> str:
    worst = sorted(ours, key=lambda r: -r[2])[:count]
    return f"{name}, slowest: " + "; ".join(f"`{q}` {t * 1000:.0f} ms" for _s, q, t in worst)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--papers", type=int, default=1_000_000)
    parser.add_argument(
        "--seed",
        type=int,
        default=bench_seed(),
        help="the measured mix (default: BENCH_SEED, or drawn fresh); seed + 1 warms the caches",
    )
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument(
        "--like-scans",
        type=int,
        help="text queries also answered by a LIKE scan (default: all 200 on SQLite, 20 on PostgreSQL)",
    )
    parser.add_argument(
        "--reuse", action="store_true", help="query the stores a previous run loaded (no load figures)"
    )
    args = parser.parse_args()
    db = CACHE / f"search-{args.papers}.db"
    rows: list[tuple[str, str, str, str]] = []
    notes: list[str] = []
    if not args.skip_sqlite:
        rows += [] if args.reuse else load_sqlite(db, args.papers)
        # Every text query: the ratio of totals follows the few rare words that make a LIKE
        # scan read the whole table, and 20 of 200 drew anywhere from none to several (4× to
        # 59× between seeds; all 200 of two of those seeds: 23× and 25×), ~40 s more.
        scans = args.like_scans or PER_SHAPE * len(TEXT_SHAPES)
        ours, cold, likes = measure(f"sqlite:///{db}", args.seed, args.papers, scans)
        rows += list(rows_for("SQLite", ours, cold, likes))
        notes += [slowest("SQLite", ours), slowest("SQLite, warm-up (cold caches)", cold, 3)]
    if not args.skip_postgres:
        url = PG_ADMIN.rsplit("/", 1)[0] + f"/{PG_DB}"
        if not args.reuse:
            url = fresh_postgres()
            rows += load_postgres(snapshot_file(args.papers), url, rows[0][1] if rows else "not loaded")
        # PostgreSQL's LIKE scans take seconds each (168-518× ours at 20): 20 decide it.
        pg_ours, pg_cold, pg_likes = measure(url, args.seed, args.papers, args.like_scans or 20)
        rows += list(rows_for("PostgreSQL", pg_ours, pg_cold, pg_likes))
        notes += [slowest("PostgreSQL", pg_ours), slowest("PostgreSQL, warm-up (cold caches)", pg_cold, 3)]
    print(f"machine: {machine()}; corpus: {args.papers:,} papers generated from the real fixture records")
    print(
        f"query mix: {PER_SHAPE} of each of {len(SHAPES)} shapes drawn at random "
        f"(BENCH_SEED={args.seed}; BENCH_SEED=… or --seed repeats it)"
    )
    print(table("search and bulk load", rows))
    print("\n".join(notes))
    return 0 if all("MISS" not in r[3] for r in rows) else 1


def load_sqlite(db: Path, papers: int) -> list[tuple[str, str, str, str]]:
    """Load the corpus into a fresh SQLite file: the load's rate and memory, and the baseline."""
    snapshot = snapshot_file(papers)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    seconds, peak_mb, report = bulk_load(snapshot, f"sqlite:///{db}")
    rate = report["new"] / seconds
    direct = direct_load_rate(snapshot, min(50_000, papers - 1))
    return [
        (
            f"bulk load {report['new']:,} papers into SQLite (fetch --source snapshot.jsonl)",
            f"{rate:,.0f} papers/s ({seconds:.0f} s)",
            f"{direct:,.0f}/s indexing in the loader, one core (first {min(50_000, papers - 1):,})",
            f"≥ 10,000/s {verdict(rate >= 10_000)}",
        ),
        (
            "bulk load peak memory (RSS of the loading process and its indexing child, summed)",
            f"{peak_mb:.0f} MB",
            "—",
            f"≤ 500 MB {verdict(peak_mb <= 500)}",
        ),
    ]


def old_columns_rate(url: str, count: int = 20_000) -> float:
    """The baseline beside the PostgreSQL load, from the same run: papers/s at which the server
    computes, for `count` of the loaded papers, the two generated search columns the store had
    before migration 0008 (a weighted tsvector, and the tsvector again for the word pairs) —
    what bounded every load then, before any row was written."""
    engine = create_engine(url)
    # Summed, so the server cannot leave the columns uncomputed (it drops unused ones).
    old = (
        "SELECT sum(length(setweight(to_tsvector('english', title), 'A') || "
        "setweight(to_tsvector('english', abstract), 'B') || to_tsvector('simple', category_terms)) "
        "+ length(to_tsvector('english', title) || to_tsvector('english', abstract))) "
        "FROM (SELECT title, abstract, category_terms FROM papers LIMIT :n) AS t"
    )
    with engine.connect() as conn:
        start = time.perf_counter()
        conn.execute(text(old), {"n": count}).scalar_one()
        seconds = time.perf_counter() - start
    engine.dispose()
    return count / seconds


def load_postgres(snapshot: Path, url: str, sqlite_rate: str) -> list[tuple[str, str, str, str]]:
    """Load the corpus into a fresh PostgreSQL database: the load's rate and memory, beside the
    rate the old generated search columns alone allowed (old_columns_rate)."""
    seconds, peak_mb, report = bulk_load(snapshot, url)
    rate = report["new"] / seconds
    old = old_columns_rate(url)
    return [
        (
            f"bulk load {report['new']:,} papers into PostgreSQL (binary COPY, set-based insert)",
            f"{rate:,.0f} papers/s ({seconds:.0f} s)",
            f"{old:,.0f}/s: the old generated columns alone (SQLite in this run: {sqlite_rate})",
            f"≥ 10,000/s {verdict(rate >= 10_000)}",
        ),
        (
            "PostgreSQL bulk load peak memory (RSS of the loading process; the server's not counted)",
            f"{peak_mb:.0f} MB",
            "—",
            f"≤ 500 MB {verdict(peak_mb <= 500)}",
        ),
    ]


if __name__ == "__main__":
    sys.exit(main())
