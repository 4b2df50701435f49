"""The words every platform shows for a digest: its title, the hint under it, source and author lines."""

from __future__ import annotations

from collections.abc import Iterable

from bot.models import Digest, Paper

HINT = "React 🔖 to save a paper · /papers more"


def parent_title(digest: Digest) -> str:
    """`📚 AcademicHub · Tue 16 Jun 2026 · 12 new papers for #ml-papers`; for a person's direct
    message `📚 4 papers on your radar · Tue 16 Jun 2026`."""
    count = digest.total or len(digest.entries)
    noun = "paper" if count == 1 else "papers"
    if digest.person:
        return f"📚 {count} {noun} on your radar · {digest.date:%a %d %b %Y}"
    where = digest.channel_name or digest.channel
    if not where.startswith("#") and digest.channel_name:
        where = f"#{where}"
    return f"📚 AcademicHub · {digest.date:%a %d %b %Y} · {count} new {noun} for {where}"


def thread_note(digest: Digest) -> str:
    """The line under the briefing: how to save, and — when more matched than the thread
    holds — how many, and how to see the rest."""
    if not digest.more:
        return HINT
    return (
        f"{digest.total} papers match; {len(digest.entries)} here · Show more (or /papers more) "
        f"for the other {len(digest.more)} · React 🔖 to save a paper"
    )


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
