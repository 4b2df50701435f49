"""bench.search's baseline, `search.like_scan`: the same text query answered by LIKE scans."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text as sql

from bot.commands import spec_for
from bot.engine import Engine
from bot.query import parse
from bot.store import search as search_module
from tests.feeds import listing_items, write_feed


@pytest.mark.parametrize(
    "query",
    [
        "search model",
        'search "neural network"',
        "search learning -graph cat:cs",
        "search data cat:cs.LG since:2026-06-10",
    ],
)
def test_it_answers_the_same_query_by_scanning(engine: Engine, tmp_path: Path, query: str) -> None:
    """bench.search's baseline: the newest papers holding every word and phrase (substrings
    of title or abstract), no excluded word, in the categories, since the date — checked
    against the same rule applied to every stored paper in Python."""
    days = [dt.date(2026, 6, 8), dt.date(2026, 6, 12), dt.date(2026, 6, 16)]
    items = listing_items(600)
    for n, day in enumerate(days):
        engine.ingest([write_feed(tmp_path / f"d{n}.xml", items[n * 200 : (n + 1) * 200], day)])
    spec = spec_for(parse(query), dt.date(2026, 6, 20))
    with engine.db.reading() as session:
        found = search_module.like_scan(session=session, spec=spec, limit=6)
        rows = session.execute(sql("SELECT pk, id, title, abstract, sort_date FROM papers")).all()
    papers = {p.id: p for p in (engine.show(r.id) for r in rows) if p is not None}

    def holds(title: str, abstract: str, term: str) -> bool:
        return term.lower() in title.lower() or term.lower() in abstract.lower()

    def wanted(row: Any) -> bool:
        paper = papers[row.id]
        in_category = not spec.categories or any(
            c == want or c.startswith(want + ".") for c in paper.categories for want in spec.categories
        )
        return (
            all(holds(row.title, row.abstract, t) for t in (*spec.words, *spec.phrases))
            and not any(holds(row.title, row.abstract, t) for t in spec.exclude)
            and in_category
            and (spec.since is None or str(row.sort_date) >= spec.since.isoformat())
        )

    expected = sorted((r for r in rows if wanted(r)), key=lambda r: (str(r.sort_date), r.pk), reverse=True)
    assert found == [r.id for r in expected[:6]] and len(found) >= 2
