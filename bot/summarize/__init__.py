"""Paper TL;DRs and the digest's cross-field briefing (SPEC §7).

The LLM summarizer lives in bot.summarize.openai_llm and is imported only when a key is set:
the openai package alone takes a second to import, which every CLI call would pay.
"""

from bot.summarize.base import (
    BRIEFING_MAX_CHARS,
    TLDR_MAX_CHARS,
    MemoryBudget,
    MemoryCache,
    Summarizer,
    TldrCache,
    TokenBudget,
)
from bot.summarize.extractive import ExtractiveSummarizer
from bot.summarize.service import SummaryService, build_summary_service

__all__ = [
    "BRIEFING_MAX_CHARS",
    "TLDR_MAX_CHARS",
    "ExtractiveSummarizer",
    "MemoryBudget",
    "MemoryCache",
    "Summarizer",
    "SummaryService",
    "TldrCache",
    "TokenBudget",
    "build_summary_service",
]
