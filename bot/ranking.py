"""Pure digest ranking: which matched papers a channel gets for a day, in which order, numbered."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from bot.models import Digest, DigestEntry, Paper
from bot.radar import RadarMatch


@dataclass(frozen=True, slots=True)
class Ranked:
    """A matched paper with what orders it: radar strength, then lab interest, then recency."""

    paper: Paper
    match: RadarMatch
    interest: float


def _newest_key(paper: Paper) -> int:
    day = paper.announced or paper.published or paper.updated
    return day.toordinal() if day else 0


def rank(
    papers: Iterable[Paper],
    matches: Mapping[str, RadarMatch],
    interest: Mapping[str, float],
    exclude: Iterable[str] = (),
) -> list[Ranked]:
    """The matched papers not excluded (already in one of the channel's digests), best first."""
    skip = set(exclude)
    ranked = [
        Ranked(p, matches[p.id], interest.get(p.id, 0.0))
        for p in papers
        if p.id in matches and p.id not in skip
    ]
    # Within a day, a higher arXiv id was submitted later: newest first throughout.
    ranked.sort(key=lambda r: r.paper.id, reverse=True)
    ranked.sort(key=lambda r: (-r.match.score, -r.interest, -_newest_key(r.paper)))
    return ranked


def assemble(channel: str, day: dt.date, ranked: Sequence[Ranked], cap: int) -> Digest:
    """Number every ranked paper: the first `cap` form the thread, the rest `more` (Show more)."""
    # Positional: a channel can match hundreds of papers, 100 channels tens of thousands.
    entries = [
        DigestEntry(i, r.paper, "", list(r.match.matched_authors), r.match.score + r.interest)
        for i, r in enumerate(ranked, start=1)
    ]
    return Digest(channel=channel, date=day, entries=entries[:cap], more=entries[cap:], total=len(ranked))
