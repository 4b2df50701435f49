"""TL;DRs and briefings for the engine: cache first, the LLM for what is missing, extractive for the rest."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from bot.config import Settings
from bot.models import DigestEntry, Paper
from bot.summarize.base import Summarizer, TldrCache, TokenBudget
from bot.summarize.extractive import ExtractiveSummarizer
from bot.summarize.sanitize import clean_briefing, clean_tldr, plain_text

log = logging.getLogger(__name__)

# A quick answer's extractive TL;DRs for this many papers or fewer are made in place (~0.35 ms
# a paper) and remembered by the process: a read and a write of the cache cost ~0.55 ms, and
# a search would take the store's write lock only to cache them. More (a digest's preview of
# hundreds) go through the cache.
MADE_IN_PLACE = 8
_MADE_LIMIT = 4096  # remembered TL;DRs (the memo is emptied when it holds more)


class SummaryService:
    """Summarises each paper once per (summarizer key, language), however many channels post it.

    LLM TL;DRs are cached under the LLM's key (model + prompt version). Papers the LLM could not
    summarise get an extractive TL;DR cached under the extractive key only, so a later run with a
    healthy server and budget still asks the LLM for them; a re-run never asks again for a paper
    whose LLM TL;DR is cached.
    """

    def __init__(self, primary: Summarizer | None, fallback: ExtractiveSummarizer, cache: TldrCache) -> None:
        self.primary = primary
        self.fallback = fallback
        self.cache = cache
        self._made: dict[tuple[str, str, str, str], str] = {}  # (language, id, title, abstract)

    def tldrs_for(self, papers: Sequence[Paper], language: str) -> dict[str, str]:
        """A non-empty plain-text TL;DR for every paper (by id)."""
        unique = list({p.id: p for p in papers}.values())
        out: dict[str, str] = {}
        if self.primary is not None:
            out.update(_model_tldrs(self._from_primary(self.primary, unique, language)))
        missing = [p for p in unique if p.id not in out]
        if missing:
            out.update(self._from_fallback(missing, language))
        return out

    def cached_or_extractive(self, papers: Sequence[Paper], language: str) -> dict[str, str]:
        """TL;DRs for a quick answer (`/papers search`): cached model text, else extractive; no
        requests. A few papers' extractive TL;DRs are made in place (MADE_IN_PLACE)."""
        unique = list({p.id: p for p in papers}.values())
        out: dict[str, str] = {}
        if self.primary is not None:
            out.update(_model_tldrs(self.cache.get([p.id for p in unique], self.primary.cache_key, language)))
        missing = [p for p in unique if p.id not in out]
        if len(missing) <= MADE_IN_PLACE:
            out.update(self._in_place(missing, language))
        else:
            out.update(self._from_fallback(missing, language))
        return out

    def briefing_for(
        self,
        entries: Sequence[DigestEntry],
        language: str,
        *,
        radar_terms: Sequence[str] = (),
        use_model: bool = True,
    ) -> str:
        """The digest's briefing: the primary's when valid, else extractive ("" for an empty digest).

        `radar_terms` are the values of the channel's radar rules ("cs.LG", "Philipp Grohs",
        "neural operator"): the extractive themes are never named by them. The LLM is not told.
        Without `use_model` the briefing is extractive: no request, no tokens (a page view).
        """
        if not entries:
            return ""
        if self.primary is not None and use_model:
            try:
                text = self.primary.briefing(entries, language)
            except Exception:  # a summary is never worth failing a digest over
                log.exception("briefing by %s failed", self.primary.name)
                text = None
            clean = clean_briefing(text) if text else None
            if clean:
                return clean
            if text:
                log.warning("briefing by %s was mostly links; using the extractive one", self.primary.name)
        return plain_text(self.fallback.briefing(entries, language, radar_terms) or "", newlines=True)

    def _from_primary(self, primary: Summarizer, papers: list[Paper], language: str) -> dict[str, str]:
        key = primary.cache_key
        found = self.cache.get([p.id for p in papers], key, language)
        todo = [p for p in papers if p.id not in found]
        if not todo:
            return found
        try:
            fresh = primary.tldrs(todo, language)
        except Exception:  # a summary is never worth failing a digest over
            log.exception("TL;DRs by %s failed", primary.name)
            fresh = {}
        wanted = {p.id for p in todo}
        fresh = {pid: text for pid, text in fresh.items() if pid in wanted and text.strip()}
        if fresh:
            self.cache.put(fresh, key, language)
        return {**found, **fresh}

    def _from_fallback(self, papers: list[Paper], language: str) -> dict[str, str]:
        """Extractive TL;DRs, cached as the plain text they are shown as: made plain once, not
        on every digest build that reads them (~1,700 texts a build, 50-70 ms)."""
        key = self.fallback.cache_key
        found = self.cache.get([p.id for p in papers], key, language)
        todo = [p for p in papers if p.id not in found]
        fresh = _plain(self.fallback.tldrs(todo, language)) if todo else {}
        if fresh:
            self.cache.put(fresh, key, language)
        return {**found, **fresh}

    def _in_place(self, papers: list[Paper], language: str) -> dict[str, str]:
        """Extractive TL;DRs made here (or remembered from an earlier answer), not cached. (The
        answer never reads the memo back: another thread may empty it meanwhile.)"""
        made, out, todo = self._made, {}, []
        for p in papers:
            text = made.get((language, p.id, p.title, p.abstract))
            if text is None:
                todo.append(p)
            else:
                out[p.id] = text
        if todo:
            fresh = _plain(self.fallback.tldrs(todo, language))
            if len(made) + len(todo) > _MADE_LIMIT:
                made.clear()
            for p in todo:
                made[(language, p.id, p.title, p.abstract)] = fresh[p.id]
            out.update(fresh)
        return out


def _model_tldrs(texts: dict[str, str]) -> dict[str, str]:
    """Model TL;DRs as plain text; one that was mostly link is left out (extractive takes its place).

    Applied on the way out, not into the cache: a TL;DR cached before this check is cleaned too."""
    out = {pid: clean for pid, text in texts.items() if (clean := clean_tldr(text))}
    if len(out) < len(texts):
        log.info("%d model TL;DRs were mostly links; using extractive ones", len(texts) - len(out))
    return out


def _plain(texts: dict[str, str]) -> dict[str, str]:
    """Extractive TL;DRs quote abstracts, which anyone can write: their links go too."""
    return {pid: plain_text(text) or "(the abstract holds only links)" for pid, text in texts.items()}


def build_summary_service(settings: Settings, cache: TldrCache, budget: TokenBudget) -> SummaryService:
    """The service for these settings: LLM first when OPENAI_API_KEY is set, extractive otherwise."""
    primary: Summarizer | None = None
    if settings.openai_api_key is not None and settings.openai_api_key.get_secret_value().strip():
        from bot.summarize.openai_llm import LLMSummarizer  # only with a key: openai is slow to import

        primary = LLMSummarizer(
            api_key=settings.openai_api_key.get_secret_value(),
            base_url=settings.openai_base_url,
            model=settings.llm_model,
            budget=budget,
            batch_size=settings.llm_batch_size,
            timeout=settings.llm_timeout,
            max_retries=settings.llm_max_retries,
        )
    return SummaryService(primary, ExtractiveSummarizer(), cache)
