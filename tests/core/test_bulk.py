"""The bulk JSON-lines path: a back-fill into an empty store, a re-load, and a partial overlap."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select

from bot.engine import Engine
from bot.models import SourceResult
from bot.store.tables import PaperAuthorPart, PaperCategory, PaperRow
from tests.conftest import FIXTURES

SNAPSHOT = FIXTURES / "corpus" / "kaggle_arxiv_metadata_oai_snapshot_first200.jsonl"


def load(engine: Engine, path: Path) -> SourceResult:
    report = engine.ingest([str(path)])
    (result,) = report.sources
    assert result.status == "ok", result.error
    return result


def unique_ids(path: Path) -> int:
    return len(
        {json.loads(line)["id"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}
    )


def test_fresh_load_fills_every_index_and_a_reload_is_unchanged(engine: Engine) -> None:
    total = unique_ids(SNAPSHOT)
    first = load(engine, SNAPSHOT)
    assert (first.new, first.updated, first.unchanged) == (total, 0, 0)
    with engine.db.reading() as session:
        assert session.execute(select(func.count()).select_from(PaperRow)).scalar_one() == total
        assert session.execute(select(func.count()).select_from(PaperAuthorPart)).scalar_one() > total
        assert session.execute(select(func.count()).select_from(PaperCategory)).scalar_one() >= total
    assert "0704.0001" in {p.id for p in engine.search("search cat:hep-ph calculation", limit=50)}
    assert engine.search("author Balázs", limit=5)  # the author index was written
    again = load(engine, SNAPSHOT)
    assert (again.new, again.updated, again.unchanged) == (0, 0, total)


def test_load_into_a_store_that_has_some_of_the_ids(engine: Engine, tmp_path: Path) -> None:
    lines = SNAPSHOT.read_text(encoding="utf-8").splitlines()
    head = tmp_path / "head.jsonl"
    head.write_text("\n".join(lines[:50]) + "\n", encoding="utf-8")
    known = load(engine, head).new
    rest = load(engine, SNAPSHOT)
    assert rest.new == unique_ids(SNAPSHOT) - known and rest.unchanged == known and rest.updated == 0
    # Keys numbered by the bulk path follow on from the existing rows: no id is stored twice.
    with engine.db.reading() as session:
        count, distinct = session.execute(select(func.count(), func.count(PaperRow.id.distinct()))).one()
    assert count == distinct == unique_ids(SNAPSHOT)


def test_category_and_word_search_is_one_full_text_query(engine: Engine) -> None:
    load(engine, SNAPSHOT)
    hits = engine.search("search cat:hep-ph calculation", limit=50)
    assert hits and all(any(c == "hep-ph" for c in p.categories) for p in hits)
    archive = engine.search("search cat:math the", limit=50)
    assert all(any(c == "math" or c.startswith("math.") for c in p.categories) for p in archive)
