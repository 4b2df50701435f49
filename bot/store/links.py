"""One paper, two homes: a journal item and its preprint (arXiv, bioRxiv) become one paper.

bot.identity decides sameness (DOI, a preprint id the source names, or equal normalised titles
with agreeing authors); this module finds the candidates through indexes and writes the link:
the preprint carries the journal's DOI and name, and the journal item is not listed on its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from bot.identity import is_preprint_id, is_version_of, title_hash
from bot.ids import is_canonical_arxiv_id
from bot.models import Paper, StoreCounts
from bot.store.tables import PaperRow

_CHUNK = 500
_COLUMNS = (
    PaperRow.pk,
    PaperRow.id,
    PaperRow.title,
    PaperRow.authors,
    PaperRow.doi,
    PaperRow.journal,
    PaperRow.source,
    PaperRow.preprint_id,
)


def _is_preprint(paper: Paper) -> bool:
    return is_preprint_id(paper.id, paper.is_arxiv)


def _row_is_preprint(row: Any) -> bool:
    return is_preprint_id(row.id, is_canonical_arxiv_id(row.id))


def _chunks(values: Sequence[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield list(values[start : start + _CHUNK])


def _rows(session: Session, *conditions: Any) -> list[Any]:
    return list(session.execute(select(*_COLUMNS).where(PaperRow.linked_to.is_(None), *conditions)).all())


def _candidates(
    session: Session, dois: list[str], ids: list[str], hashes: list[int], journal: bool
) -> list[Any]:
    """Unlinked rows that may be the other home of one of the papers: by DOI, id or title hash."""
    found: dict[int, Any] = {}
    for values, column in ((dois, "doi"), (ids, "id"), (hashes, "title_hash")):
        for chunk in _chunks(values):
            conditions: list[Any] = [getattr(PaperRow, column).in_(chunk)]
            if column == "doi" and journal:
                conditions = [or_(PaperRow.doi.in_(chunk), PaperRow.id.in_(chunk))]
            if journal:  # journal items are the ones stored with an arrival time
                conditions.append(PaperRow.arrived_at.is_not(None))
            for row in _rows(session, *conditions):
                found[row.pk] = row
    return list(found.values())


class _Preprints:
    """Preprints (Papers or rows) looked up by id, DOI and title hash: few pairs to test."""

    def __init__(self, preprints: Iterable[Any]) -> None:
        self.by_id: dict[str, Any] = {}
        self.by_doi: dict[str, Any] = {}
        self.by_hash: dict[int, list[Any]] = {}
        for p in preprints:
            self.by_id[p.id] = p
            if p.doi:
                self.by_doi.setdefault(p.doi, p)
            if (h := title_hash(p.title)) is not None:
                self.by_hash.setdefault(h, []).append(p)

    def of(self, item: Any) -> Any | None:
        """The preprint this journal item is a version of, if any."""
        near = [self.by_id.get(item.preprint_id or ""), self.by_doi.get(item.doi or "")]
        near += self.by_hash.get(title_hash(item.title) or 0, [])
        return next((p for p in near if p is not None and is_version_of(item, p)), None)


def _take_journal(session: Session, preprint: Any, item: Any) -> bool:
    """The preprint carries the item's DOI and journal name; True when that changed it."""
    journal = item.journal or item.source
    values: dict[str, Any] = {}
    if not preprint.doi and item.doi:
        values["doi"] = item.doi
    if not preprint.journal and journal:
        values["journal"] = journal
    if values:
        session.execute(update(PaperRow).where(PaperRow.pk == preprint.pk).values(**values))
    return bool(values)


def link_arriving_journal_items(session: Session, papers: dict[str, Paper], counts: StoreCounts) -> None:
    """Journal items of a batch that are versions of a stored preprint are not stored on their
    own: the preprint takes their DOI and journal (an update), or already has them (unchanged)."""
    items = [p for p in papers.values() if not _is_preprint(p)]
    if not items:
        return
    dois = sorted({p.doi for p in items if p.doi})
    ids = sorted({p.preprint_id for p in items if p.preprint_id})
    hashes = sorted({h for p in items if (h := title_hash(p.title)) is not None})
    rows = [r for r in _candidates(session, dois, ids, hashes, journal=False) if _row_is_preprint(r)]
    if not rows:
        return
    preprints = _Preprints(rows)
    for item in items:
        match = preprints.of(item)
        if match is None:
            continue
        papers.pop(item.id, None)
        if _take_journal(session, match, item):
            counts.updated += 1
        else:
            counts.unchanged += 1


def link_arriving_preprints(session: Session, papers: Iterable[Paper]) -> None:
    """Journal items stored before their preprint arrived now point at it (and are no longer
    listed); the preprint takes their DOI and journal."""
    preprints = [p for p in papers if _is_preprint(p)]
    if not preprints:
        return
    # Ordered by arrived_at so that the partial index ix_papers_arrived answers it: unordered,
    # PostgreSQL took IS NOT NULL for 99.5 % of rows (no statistics yet during a load) and
    # scanned the table for the one row, every batch: at a million papers, most of the load.
    has_journal_items = session.execute(
        select(PaperRow.pk)
        .where(PaperRow.arrived_at.is_not(None), PaperRow.linked_to.is_(None))
        .order_by(PaperRow.arrived_at)
        .limit(1)
    ).first()
    if has_journal_items is None:  # a back-fill into a store of preprints only: nothing to look for
        return
    dois = sorted({p.doi for p in preprints if p.doi})
    ids = sorted({p.id for p in preprints})
    hashes = sorted({h for p in preprints if (h := title_hash(p.title)) is not None})
    items = [r for r in _candidates(session, dois, ids, hashes, journal=True) if not _row_is_preprint(r)]
    if not items:
        return
    index = _Preprints(preprints)
    pairs = [(item, p) for item in items if (p := index.of(item)) is not None]
    if not pairs:
        return
    stored = {r.id: r for r in _rows(session, PaperRow.id.in_(sorted({p.id for _, p in pairs})))}
    for item, preprint in pairs:
        if preprint.id in stored:
            session.execute(update(PaperRow).where(PaperRow.pk == item.pk).values(linked_to=preprint.id))
            _take_journal(session, stored[preprint.id], item)
