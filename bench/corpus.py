"""Real-record corpora for the benchmarks and the demo, built from tests/fixtures/corpus.

Nothing here invents text: every title, author list and abstract is a real arXiv record
from the daily listings; larger corpora re-use them with deterministic new ids and dates.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections import Counter
from collections.abc import Iterator
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]


def fixtures_dir() -> Path:
    """The real captured records the tests read too (tests/fixtures)."""
    return ROOT / "tests" / "fixtures"


def listing_files() -> list[Path]:
    return sorted((fixtures_dir() / "corpus").glob("daily_arxiv_listing_*.jsonl"))


def listing_rows(path: Path) -> list[dict[str, Any]]:
    """Unique records of one daily listing (cross-lists appear once per category there)."""
    seen: dict[str, dict[str, Any]] = {}
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            seen.setdefault(str(row["id"]), row)
    return list(seen.values())


def all_rows() -> list[dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    for path in listing_files():
        for row in listing_rows(path):
            rows.setdefault(str(row["id"]), row)
    return list(rows.values())


def _target_categories(rows: list[dict[str, Any]]) -> set[str]:
    """The categories the listing was scraped for: those that are often a primary category."""
    primaries = Counter(str(r["categories"][0]) for r in rows if r.get("categories"))
    return {cat for cat, n in primaries.items() if n >= max(5, len(rows) // 50)}


def _item(row: dict[str, Any], arxiv_id: str, day: dt.datetime, announce: str) -> str:
    cats = [str(c) for c in row.get("categories") or []]
    authors = ", ".join(str(a) for a in row.get("authors") or [])
    abstract = " ".join(str(row.get("summary") or "").split())
    return (
        "    <item>\n"
        f"      <title>{escape(' '.join(str(row['title']).split()))}</title>\n"
        f"      <link>https://arxiv.org/abs/{arxiv_id}</link>\n"
        f"      <description>arXiv:{arxiv_id}v1 Announce Type: {announce} \n"
        f"Abstract: {escape(abstract)}</description>\n"
        f'      <guid isPermaLink="false">oai:arXiv.org:{arxiv_id}v1</guid>\n'
        + "".join(f"      <category>{escape(c)}</category>\n" for c in cats)
        + f"      <pubDate>{format_datetime(day)}</pubDate>\n"
        f"      <arxiv:announce_type>{announce}</arxiv:announce_type>\n"
        "      <dc:rights>http://arxiv.org/licenses/nonexclusive-distrib/1.0/</dc:rights>\n"
        f"      <dc:creator>{escape(authors)}</dc:creator>\n"
        "    </item>\n"
    )


def arxiv_rss_day(rows: list[dict[str, Any]], day: dt.date, ids: list[str] | None = None) -> bytes:
    """One rss.arxiv.org-format day (RSS 2.0, arxiv/dc namespaces) holding these records."""
    eastern = dt.timezone(dt.timedelta(hours=-4))
    stamp = dt.datetime(day.year, day.month, day.day, tzinfo=eastern)
    targets = _target_categories(rows)
    items = []
    for i, row in enumerate(rows):
        cats = row.get("categories") or [""]
        announce = "new" if str(cats[0]) in targets else "cross"
        items.append(_item(row, ids[i] if ids else str(row["id"]), stamp, announce))
    head = (
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        '<rss xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:atom="http://www.w3.org/2005/Atom" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'version="2.0">\n  <channel>\n'
        "    <title>cs updates on arXiv.org</title>\n    <link>http://rss.arxiv.org/rss/cs</link>\n"
        "    <description>cs updates on the arXiv.org e-print archive.</description>\n"
        f"    <pubDate>{format_datetime(stamp)}</pubDate>\n"
        "    <skipDays>\n      <day>Saturday</day>\n      <day>Sunday</day>\n    </skipDays>\n"
    )
    return (head + "".join(items) + "  </channel>\n</rss>\n").encode("utf-8")


def synthetic_ids(count: int, start: dt.date, seed: int = 7) -> Iterator[tuple[str, dt.date]]:
    """Deterministic new-style ids YYMM.NNNNN, with announcement days walking back from `start`."""
    rng = random.Random(seed)
    day = start
    number = 0
    per_day = 2000
    for i in range(count):
        if i and i % per_day == 0:
            day -= dt.timedelta(days=1)
            number = 0
        number += 1 + (rng.random() < 0.01)
        yield f"{day:%y%m}.{(day.day * 3000 + number) % 100000:05d}", day


def big_day(
    size: int = 2000, day: dt.date = dt.date(2026, 6, 16), seed: int | None = None, first_number: int = 20000
) -> bytes:
    """A full arXiv day of `size` real records (three listings' worth, ids made unique from
    `first_number` on): the first `size` records, or with `seed` a random draw of them."""
    rows = all_rows()
    rows = random.Random(seed).sample(rows, size) if seed is not None else rows[:size]
    ids = [f"{day:%y%m}.{first_number + i:05d}" for i in range(len(rows))]
    return arxiv_rss_day(rows, day, ids)


if __name__ == "__main__":  # build the demo's bundled day
    path = next(p for p in listing_files() if "2026-06-16" in p.name)
    import gzip

    data = arxiv_rss_day(listing_rows(path), dt.date(2026, 6, 16))
    out = ROOT / "bot" / "data" / "arxiv_cs_2026-06-16.rss.gz"
    out.write_bytes(gzip.compress(data, mtime=0))
    print(f"wrote {out} ({len(data)} bytes before gzip)")


def _kaggle_date(day: dt.date) -> str:
    return format_datetime(dt.datetime(day.year, day.month, day.day, 17, 0, tzinfo=dt.UTC), usegmt=True)


SNAPSHOT_SEED = 20260616


def snapshot_records(count: int, seed: int = SNAPSHOT_SEED) -> Iterator[dict[str, Any]]:
    """`count` records in the Kaggle arxiv-metadata-oai-snapshot shape, built from the real listing
    records: real titles, abstracts and author lists, with deterministic new ids and dates walking
    back 2,000 papers per announcement day (so a million papers span a few years)."""
    rows = all_rows()
    rng = random.Random(seed)
    for i, (arxiv_id, day) in enumerate(synthetic_ids(count, dt.date(2026, 6, 16), seed)):
        row = rows[(i * 7919 + rng.randrange(len(rows))) % len(rows)]
        cats = [str(c) for c in row.get("categories") or []]
        yield {
            "id": arxiv_id,
            "authors": ", ".join(str(a) for a in row.get("authors") or []),
            "title": row["title"],
            "comments": row.get("comment"),
            "journal-ref": None,
            "doi": None,
            "categories": " ".join(cats),
            "abstract": row.get("summary") or "",
            "versions": [{"version": "v1", "created": _kaggle_date(day)}],
            "update_date": day.isoformat(),
        }
