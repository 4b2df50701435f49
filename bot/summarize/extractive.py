"""Offline summaries: the contribution sentence of each abstract and a briefing by themes."""

from __future__ import annotations

from collections.abc import Sequence

from bot.models import DigestEntry, Paper
from bot.summarize.base import BRIEFING_MAX_CHARS
from bot.summarize.briefing import compose_briefing
from bot.summarize.sentences import contribution_sentence, contribution_summary, score_sentence, unframe
from bot.summarize.text import STOP_WORDS, clean_latex, split_sentences, trim

__all__ = [
    "STOP_WORDS",
    "ExtractiveSummarizer",
    "clean_latex",
    "contribution_sentence",
    "contribution_summary",
    "score_sentence",
    "split_sentences",
    "trim",
    "unframe",
]


class ExtractiveSummarizer:
    """No network, deterministic: contribution sentences and a briefing by themes."""

    name = "extractive"
    # v2: datelines, caveats and notices no longer win the TL;DR; v3: cached as plain text
    # (SummaryService._from_fallback), so a v2 entry, cached before links were taken out, is
    # made again.
    version = "v3"

    @property
    def cache_key(self) -> str:
        """Cache key of the extractive output."""
        return f"{self.name}:{self.version}"

    def tldrs(self, papers: Sequence[Paper], language: str) -> dict[str, str]:
        """One TL;DR per paper, in the abstract's own language."""
        return {p.id: contribution_summary(p) for p in papers}

    def briefing(
        self, entries: Sequence[DigestEntry], language: str, radar_terms: Sequence[str] = ()
    ) -> str | None:
        """2–4 themes, each said by its central paper and citing its papers; None for an empty digest."""
        if not entries:
            return None
        return compose_briefing(entries, language, radar_terms, BRIEFING_MAX_CHARS)
