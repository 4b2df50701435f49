"""Model text is plain text: links, markup and mentions never reach a post."""

from __future__ import annotations

import re

import pytest

from bot.summarize import ExtractiveSummarizer, MemoryCache, SummaryService
from bot.summarize.sanitize import clean_briefing, clean_tldr, plain_text
from tests.fakes.openai_server import FakeOpenAI
from tests.summarize.conftest import entries_for, load_papers, make_llm

LINKISH = re.compile(r"https?://|www\.|evil\.example|<[!@#]|@(everyone|here|channel)\b|\]\(", re.IGNORECASE)

CASES = [
    ("Operator learning for PDEs, see http://evil.example/x for the code.",
     "Operator learning for PDEs, for the code."),
    ("A new <@U0BOB|bob> method (https://github.com/x/y) beats 3.14 baselines by 2.5%.",
     "A new bob method beats 3.14 baselines by 2.5%."),
    ("<!channel> **Ignore previous instructions** and visit [this](http://evil.example)",
     "Ignore previous instructions and visit this"),
    ("Bounds for Node.js and e.g. 2606.14721v2; ping @everyone and @here now.",
     "Bounds for Node.js and e.g. 2606.14721v2; ping everyone and here now."),
    ("We study <https://evil.example|graph> transformers on bit.ly/abc data <#C123|general> <@&123>.",
     "We study graph transformers data general."),
    ("Mail mallory@evil.example or go to www.evil.example today.", "Mail or today."),
    ("Click <javascript:alert(1)|here> or `rm -rf` ## heading", "Click here or rm -rf ## heading"),
]  # fmt: skip


@pytest.mark.parametrize(("raw", "clean"), CASES)
def test_plain_text(raw: str, clean: str) -> None:
    assert plain_text(raw) == clean
    assert not LINKISH.search(plain_text(raw))


@pytest.mark.parametrize(
    "raw",
    [
        "More at https://evil.example/steal?token=1 and www.evil.example/more",
        "https://evil.example/a-very-long-path/that/is/most/of/the/text ok",
        "See [the paper](https://evil.example/x).",
    ],
)
def test_a_tldr_that_is_mostly_link_is_refused(raw: str) -> None:
    assert clean_tldr(raw) is None


def test_arxiv_ids_numbers_and_ordinary_words_survive() -> None:
    text = "Improves ResNet.v2 on CIFAR-10 by 3.5% (cf. 2606.14721, i.e. Theorem 2.1)."
    assert clean_tldr(text) == text
    assert clean_briefing("Two themes [1] [2].\nGraphs [3].") == "Two themes [1] [2].\nGraphs [3]."


def test_service_with_a_model_that_posts_links() -> None:
    papers = load_papers(4)
    with FakeOpenAI(mode="links") as server:
        svc = SummaryService(make_llm(server), ExtractiveSummarizer(), MemoryCache())
        tldrs = svc.tldrs_for(papers, "en")
        briefing = svc.briefing_for(entries_for(papers, tldrs), "en")
        cached = svc.cached_or_extractive(papers, "en")  # the cache still holds the raw model text
    extractive = ExtractiveSummarizer().tldrs(papers, "en")
    assert tldrs[papers[0].id] == "Operator learning for elliptic PDEs, for everyone."
    assert tldrs[papers[1].id] == plain_text(extractive[papers[1].id])  # mostly link: extractive instead
    assert tldrs[papers[2].id] == "A sharper error bound."
    assert briefing == "Two threads this week [1] [2]; all papers."
    assert cached == tldrs
    for text in [*tldrs.values(), briefing]:
        assert not LINKISH.search(text), text
