"""Pure digest assembly: which papers a channel gets for a day, in which order, numbered."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from bot.models import Digest, DigestEntry, Paper

HINT = "React 🔖 to save a paper · /papers more"


@dataclass(frozen=True, slots=True)
class Ranked:
    """A matched paper with what orders it: radar strength, then lab interest, then recency."""

    paper: Paper
    radar_score: float
    interest: float
    matched_authors: tuple[str, ...]


def _newest_key(paper: Paper) -> int:
    day = paper.announced or paper.published or paper.updated
    return day.toordinal() if day else 0


def rank(
    papers: Iterable[Paper],
    matches: Mapping[str, tuple[float, Sequence[str]]],
    interest: Mapping[str, float],
    exclude: Iterable[str] = (),
) -> list[Ranked]:
    """The matched papers not excluded (already posted), best first."""
    skip = set(exclude)
    ranked = [
        Ranked(p, matches[p.id][0], interest.get(p.id, 0.0), tuple(matches[p.id][1]))
        for p in papers
        if p.id in matches and p.id not in skip
    ]
    # Within a day, a higher arXiv id was submitted later: newest first throughout.
    ranked.sort(key=lambda r: r.paper.id, reverse=True)
    ranked.sort(key=lambda r: (-r.radar_score, -r.interest, -_newest_key(r.paper)))
    return ranked


def assemble(channel: str, day: dt.date, ranked: Sequence[Ranked], cap: int) -> Digest:
    """Number the first `cap` ranked papers; the rest stay behind `/papers more`."""
    entries = [
        DigestEntry(
            number=i,
            paper=r.paper,
            matched_authors=list(r.matched_authors),
            score=r.radar_score + r.interest,
        )
        for i, r in enumerate(ranked[:cap], start=1)
    ]
    return Digest(channel=channel, date=day, entries=entries, total=len(ranked))


def parent_title(digest: Digest) -> str:
    """`📚 AcademicHub · Tue 16 Jun 2026 · 12 new papers for #ml-papers`."""
    count = digest.total or len(digest.entries)
    noun = "paper" if count == 1 else "papers"
    where = digest.channel_name or digest.channel
    if not where.startswith("#") and digest.channel_name:
        where = f"#{where}"
    return f"📚 AcademicHub · {digest.date:%a %d %b %Y} · {count} new {noun} for {where}"


def source_line(paper: Paper) -> str:
    """`arXiv cs.LG · 2026-06-16 · new` (or cross-list / replaced / journal forms)."""
    day = paper.announced or paper.published or paper.updated
    when = day.isoformat() if day else "undated"
    if not paper.is_arxiv:
        parts = [paper.journal or "journal", when]
        if paper.doi:
            parts.append(f"DOI {paper.doi}")
        return " · ".join(parts)
    cat = paper.primary_category or (paper.categories[0] if paper.categories else "")
    lead = cat
    if paper.announce_type in ("cross", "replace-cross"):
        # A cross-list is shown under the category it was cross-listed to.
        lead = next((c for c in paper.categories if c != cat), cat)
    kind = {
        "new": "new",
        "cross": f"cross-list from {cat}",
        "replace": f"replaced, v{paper.version or '?'}",
        "replace-cross": f"replaced cross-list, v{paper.version or '?'}",
    }.get(paper.announce_type or "", paper.announce_type or "")
    text = f"arXiv {lead} · {when}"
    if kind:
        text += f" · {kind}"
    if paper.journal:
        text += f" · {paper.journal}"
    return text


def author_line(paper: Paper, matched: Iterable[str] = (), limit: int = 8) -> list[tuple[str, bool]]:
    """The first `limit` authors as (name, radar-matched) pairs; `et al.` is the caller's to add."""
    hits = set(matched)
    return [(name, name in hits) for name in paper.authors[:limit]]
