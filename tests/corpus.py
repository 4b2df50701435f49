"""Real papers from tests/fixtures/corpus, read with the real parser (bot.sources), for tests."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

from bot.models import Paper
from bot.sources.jsonl import paper_from_record
from tests import FIXTURES

CORPUS = FIXTURES / "corpus"
LISTING_DAYS = sorted(p.stem.rsplit("_", 1)[1] for p in CORPUS.glob("daily_arxiv_listing_*.jsonl"))


def listing_papers(
    day: str = "2026-06-16", *, limit: int | None = None, ids: list[str] | None = None, **fields: Any
) -> list[Paper]:
    """One daily listing's unique papers in file order, dated by the listing (`announced`,
    `published`); `fields` override any Paper field (e.g. announce_type="new")."""
    date = dt.date.fromisoformat(day)
    seen: dict[str, Paper] = {}
    path = CORPUS / f"daily_arxiv_listing_{day}.jsonl"
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            if row["id"] in seen or (ids is not None and row["id"] not in ids):
                continue
            paper = paper_from_record(row, str(path))
            seen[paper.id] = dataclasses.replace(paper, announced=date, published=date, **fields)
            if limit is not None and len(seen) >= limit:
                break
    return list(seen.values())


def snapshot_papers() -> list[Paper]:
    """The 200 Kaggle arxiv-metadata-oai-snapshot records (DOIs, journal refs, TeX accents)."""
    path = CORPUS / "kaggle_arxiv_metadata_oai_snapshot_first200.jsonl"
    with path.open(encoding="utf-8") as lines:
        return [paper_from_record(json.loads(line), str(path)) for line in lines]
