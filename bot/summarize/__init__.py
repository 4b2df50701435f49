"""Paper TL;DRs and the digest's cross-field briefing (SPEC §7)."""

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
from bot.summarize.openai_llm import LLMSummarizer
from bot.summarize.service import SummaryService, build_summary_service

__all__ = [
    "BRIEFING_MAX_CHARS",
    "TLDR_MAX_CHARS",
    "ExtractiveSummarizer",
    "LLMSummarizer",
    "MemoryBudget",
    "MemoryCache",
    "Summarizer",
    "SummaryService",
    "TldrCache",
    "TokenBudget",
    "build_summary_service",
]
