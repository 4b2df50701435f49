"""SummaryService against the fake OpenAI server: request counts, caching, failures, budget."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence

import pytest

from bot.config import Settings
from bot.models import Paper
from bot.summarize import (
    BRIEFING_MAX_CHARS,
    TLDR_MAX_CHARS,
    ExtractiveSummarizer,
    MemoryBudget,
    MemoryCache,
    SummaryService,
    build_summary_service,
)
from bot.summarize import service as service_module
from bot.summarize.openai_llm import LLMSummarizer
from bot.summarize.service import MADE_IN_PLACE
from tests.fakes.openai_server import FakeOpenAI, data_items
from tests.summarize.conftest import SleepRecorder, entries_for, load_papers, make_llm


def service(llm: LLMSummarizer | None, cache: MemoryCache | None = None) -> SummaryService:
    return SummaryService(llm, ExtractiveSummarizer(), cache or MemoryCache())


def build_digest(svc: SummaryService, papers: list, language: str = "en") -> tuple[dict[str, str], str]:
    """What the engine does per channel: TL;DRs, then the briefing over the numbered entries."""
    tldrs = svc.tldrs_for(papers, language)
    return tldrs, svc.briefing_for(entries_for(papers, tldrs), language)


def assert_extractive(tldrs: dict[str, str], papers: list) -> None:
    expected = ExtractiveSummarizer().tldrs(papers, "en")
    assert tldrs == expected


def test_six_papers_cost_at_most_three_requests(fake_openai: FakeOpenAI) -> None:
    papers = load_papers(6)
    tldrs, briefing = build_digest(service(make_llm(fake_openai)), papers)
    assert fake_openai.request_count == 3  # ⌈6/4⌉ TL;DR batches + 1 briefing
    assert len(fake_openai.requests_of("tldr")) == 2
    assert tldrs == {p.id: f"Model TL;DR of {p.id}." for p in papers}
    assert briefing == "Model briefing on [1] [2] [3]."


def test_rebuild_and_second_channel_reuse_cached_tldrs(fake_openai: FakeOpenAI) -> None:
    cache = MemoryCache()
    svc = service(make_llm(fake_openai), cache)
    papers = load_papers(6)
    build_digest(svc, papers)
    assert len(fake_openai.requests_of("tldr")) == 2
    build_digest(svc, papers)  # the same digest rebuilt
    assert len(fake_openai.requests_of("tldr")) == 2
    before = fake_openai.request_count
    tldrs, _ = build_digest(svc, [papers[4], papers[1], papers[2]])  # another channel, same papers
    assert fake_openai.request_count - before <= 1
    assert tldrs[papers[4].id] == f"Model TL;DR of {papers[4].id}."


def test_only_uncached_papers_are_sent(fake_openai: FakeOpenAI) -> None:
    svc = service(make_llm(fake_openai))
    papers = load_papers(8)
    svc.tldrs_for(papers[:3], "en")
    svc.tldrs_for(papers, "en")
    sent = [item["id"] for body in fake_openai.requests_of("tldr") for item in data_items(body)]
    assert sorted(sent) == sorted(p.id for p in papers)  # each paper once
    svc.tldrs_for(papers, "zh")  # another language is another summary
    assert len(fake_openai.requests_of("tldr")) == 1 + 2 + 2


@pytest.mark.parametrize("mode", ["500", "invalid_json", "wrong_ids", "long_tldr", "hang"])
def test_failing_server_gives_extractive_results_in_bounded_time(mode: str) -> None:
    papers = load_papers(6)
    with FakeOpenAI(mode, hang_seconds=3.0) as server:
        sleep = SleepRecorder()
        started = time.monotonic()
        tldrs, briefing = build_digest(service(make_llm(server, timeout=0.5, sleep=sleep)), papers)
        elapsed = time.monotonic() - started
    assert elapsed < 10
    assert_extractive(tldrs, papers)
    if mode in ("wrong_ids", "long_tldr"):  # only the TL;DR answers were bad
        assert briefing == "Model briefing on [1] [2] [3]."
    else:
        assert briefing == ExtractiveSummarizer().briefing(entries_for(papers, tldrs), "en")
    if mode in ("500", "hang"):
        # one batch tried 1 + max_retries times, then the breaker keeps the rest (and the briefing) local
        assert server.request_count == 3
        assert sleep.waits == [0.5, 1.0]
    else:
        assert server.request_count == 3  # answers arrived; each batch and the briefing asked once


def test_hanging_server_with_default_budgets_finishes_within_a_minute() -> None:
    papers = load_papers(6)
    with FakeOpenAI("hang", hang_seconds=30.0) as server:
        llm = make_llm(server, timeout=30.0, tldr_deadline=2.0, briefing_deadline=1.0)
        started = time.monotonic()
        tldrs, briefing = build_digest(service(llm), papers)
        assert time.monotonic() - started < 5
    assert_extractive(tldrs, papers)
    assert briefing


def test_rate_limit_honours_retry_after_capped() -> None:
    papers = load_papers(4)
    with FakeOpenAI("429", retry_after="3600") as server:
        server.fail_times = 1
        sleep = SleepRecorder()
        tldrs = service(make_llm(server, sleep=sleep)).tldrs_for(papers, "en")
    assert sleep.waits == [10.0]  # an hour asked, capped at 10 s
    assert server.request_count == 2
    assert tldrs == {p.id: f"Model TL;DR of {p.id}." for p in papers}


def test_rate_limit_with_short_retry_after() -> None:
    with FakeOpenAI("429", retry_after="2") as server:
        server.fail_times = 2
        sleep = SleepRecorder()
        tldrs = make_llm(server, sleep=sleep).tldrs(load_papers(2), "en")
    assert sleep.waits == [2.0, 2.0] and len(tldrs) == 2


def test_spent_budget_sends_nothing(fake_openai: FakeOpenAI) -> None:
    budget = MemoryBudget(1000)
    budget.add(1000)
    papers = load_papers(6)
    tldrs, briefing = build_digest(service(make_llm(fake_openai, budget=budget)), papers)
    assert fake_openai.request_count == 0
    assert_extractive(tldrs, papers)
    assert briefing


def test_budget_counts_usage_and_stops_between_batches(fake_openai: FakeOpenAI) -> None:
    budget = MemoryBudget(10)  # the first answer alone costs more than this
    tldrs = service(make_llm(fake_openai, budget=budget)).tldrs_for(load_papers(8), "en")
    assert fake_openai.request_count == 1
    assert budget.used_today() == fake_openai.tokens > 10
    assert sum(t.startswith("Model TL;DR") for t in tldrs.values()) == 4


def test_no_key_means_extractive_everywhere() -> None:
    settings = Settings(_env_file=None, OPENAI_API_KEY=None)
    svc = build_summary_service(settings, MemoryCache(), MemoryBudget(settings.llm_daily_tokens))
    assert svc.primary is None
    papers = load_papers(25)
    tldrs, briefing = build_digest(svc, papers)
    assert all(0 < len(tldrs[p.id].strip()) <= TLDR_MAX_CHARS for p in papers)
    assert 0 < len(briefing) <= BRIEFING_MAX_CHARS
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", briefing)}
    assert cited and cited <= set(range(1, 26))


def test_settings_build_the_llm_summarizer(fake_openai: FakeOpenAI) -> None:
    settings = Settings(
        _env_file=None,
        OPENAI_API_KEY="sk-test",
        OPENAI_BASE_URL=fake_openai.base_url,
        ACADEMICHUB_LLM_MODEL="fake-mini",
        ACADEMICHUB_LLM_BATCH=4,
    )
    svc = build_summary_service(settings, MemoryCache(), MemoryBudget(settings.llm_daily_tokens))
    assert isinstance(svc.primary, LLMSummarizer)
    assert svc.primary.cache_key == "llm:fake-mini:tldr_v1"
    svc.tldrs_for(load_papers(5), "en")
    assert fake_openai.request_count == 2
    assert fake_openai.requests[0]["model"] == "fake-mini"


def test_extractive_fallbacks_are_not_cached_under_the_llm_key() -> None:
    cache = MemoryCache()
    papers = load_papers(4)
    with FakeOpenAI("500") as server:
        service(make_llm(server), cache).tldrs_for(papers, "en")
    assert {key for (_, key, _) in cache.items} == {"extractive:v3"}
    with FakeOpenAI() as healthy:  # the next healthy run asks the LLM again
        tldrs = service(make_llm(healthy), cache).tldrs_for(papers, "en")
    assert tldrs == {p.id: f"Model TL;DR of {p.id}." for p in papers}


def test_radar_terms_keep_the_extractive_themes_off_the_radar() -> None:
    from tests.summarize.test_themes import operator_and_splatting_day

    entries = entries_for(operator_and_splatting_day())
    svc = service(None)
    plain = svc.briefing_for(entries, "en")
    assert "Gaussian splatting:" in plain
    steered = svc.briefing_for(entries, "en", radar_terms=["Gaussian splatting"])
    assert steered == ExtractiveSummarizer().briefing(entries, "en", ["Gaussian splatting"])
    assert "Gaussian splatting:" not in steered and len(steered) <= BRIEFING_MAX_CHARS


def test_radar_terms_leave_the_llm_briefing_alone(fake_openai: FakeOpenAI) -> None:
    papers = load_papers(6)
    svc = service(make_llm(fake_openai))
    briefing = svc.briefing_for(entries_for(papers), "en", radar_terms=["cs.LG", "neural operator"])
    assert briefing == "Model briefing on [1] [2] [3]."
    assert len(fake_openai.requests_of("briefing")) == 1


class _CountingCache(MemoryCache):
    """A MemoryCache that counts its reads."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def get(self, ids: Sequence[str], key: str, language: str) -> dict[str, str]:
        self.reads += 1
        return super().get(ids, key, language)


class _CountingSummarizer(ExtractiveSummarizer):
    def __init__(self) -> None:
        self.made: list[str] = []

    def tldrs(self, papers: Sequence[Paper], language: str) -> dict[str, str]:
        self.made += [p.id for p in papers]
        return super().tldrs(papers, language)


def test_a_quick_answer_makes_a_few_extractive_tldrs_in_place_once() -> None:
    """A search's few TL;DRs: no read or write of the cache, the texts the cache would hold,
    each made once by the process however often it is shown."""
    papers = load_papers(12)
    cache, extractive = _CountingCache(), _CountingSummarizer()
    svc = SummaryService(None, extractive, cache)
    first = svc.cached_or_extractive(papers[:5], "en")
    again = svc.cached_or_extractive(papers[3:8], "en")
    assert (cache.reads, cache.items) == (0, {})
    assert extractive.made == [p.id for p in papers[:8]]
    cached = service(None).tldrs_for(papers[:8], "en")  # the cached path's texts
    assert first | again == cached
    many = svc.cached_or_extractive(papers, "en")  # more than MADE_IN_PLACE: through the cache
    assert len(papers) > MADE_IN_PLACE and cache.reads == 1
    assert many == service(None).tldrs_for(papers, "en")
    assert {pid for (pid, _, _) in cache.items} == {p.id for p in papers}


def test_a_quick_answer_reads_cached_model_tldrs_first(fake_openai: FakeOpenAI) -> None:
    papers = load_papers(4)
    cache = _CountingCache()
    service(make_llm(fake_openai), cache).tldrs_for(papers[:2], "en")
    quick = service(make_llm(fake_openai), cache).cached_or_extractive(papers, "en")
    assert [quick[p.id] for p in papers[:2]] == [f"Model TL;DR of {p.id}." for p in papers[:2]]
    assert_extractive({p.id: quick[p.id] for p in papers[2:]}, papers[2:])
    assert fake_openai.request_count == 1  # the quick answer asked for nothing


def test_the_memo_of_tldrs_made_in_place_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past its bound the memo is emptied and filled again; the answers stay whole."""
    monkeypatch.setattr(service_module, "_MADE_LIMIT", 6)
    papers = load_papers(12)
    extractive = _CountingSummarizer()
    svc = SummaryService(None, extractive, MemoryCache())
    expected = service(None).tldrs_for(papers, "en")
    for batch in (papers[:5], papers[5:10], papers[:5], papers[10:]):
        assert svc.cached_or_extractive(batch, "en") == {p.id: expected[p.id] for p in batch}
        assert len(svc._made) <= 6
    assert len(extractive.made) == 5 + 5 + 5 + 2  # the first five were made again after a clear
