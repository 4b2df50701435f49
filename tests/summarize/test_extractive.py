"""The offline summarizer on real arXiv abstracts."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.models import Paper
from bot.summarize import BRIEFING_MAX_CHARS, TLDR_MAX_CHARS, ExtractiveSummarizer, sentences
from bot.summarize.extractive import clean_latex, split_sentences, trim
from tests.corpus import LISTING_DAYS, listing_papers, snapshot_papers
from tests.summarize.conftest import entries_for, load_papers

CITE_RE = re.compile(r"\[(\d+)\]")


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        (r"an $\mathcal{O}(n)$ algorithm", "an O(n) algorithm"),
        (r"we use \emph{sparse} grids", "we use sparse grids"),
        (r"as shown in~\cite{smith2020}, it works", "as shown in, it works"),
        (r"error $\frac{1}{2}$ with $x^{2}$ in $\mathbb{R}^d$", "error 1/2 with x^2 in R^d"),
        (r"rate $\alpha \leq 1$, 5\% faster", "rate α ≤ 1, 5% faster"),
        (r"a \textbf{new} \(T \in R\) map", "a new T ∈ R map"),
    ],
)
def test_clean_latex(raw: str, clean: str) -> None:
    assert clean_latex(raw) == clean


def test_split_sentences_keeps_abbreviations_and_splits_cjk() -> None:
    text = "We use e.g. grids, cf. Fig. 2. It works. 我们提出了一种方法。结果表明它有效！"
    assert split_sentences(text) == [
        "We use e.g. grids, cf. Fig. 2.",
        "It works.",
        "我们提出了一种方法。",
        "结果表明它有效！",
    ]


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("Really?!  Yes. x. . B", ["Really?!", "Yes. x. .", "B"]),  # spaces dropped; `. .` no end
        ("It is 5.2 percent. 3 of them. (See A.)", ["It is 5.2 percent.", "3 of them.", "(See A.)"]),
        ("结果。 Then we go. $x$ holds.", ["结果。", "Then we go.", "$x$ holds."]),
        ("no end at all", ["no end at all"]),
        ("Ends here.", ["Ends here."]),
    ],
)
def test_sentences_end_at_punctuation_before_a_new_start(text: str, sentences: list[str]) -> None:
    assert split_sentences(text) == sentences


def test_trim_cuts_at_a_word_boundary() -> None:
    out = trim("alpha beta gamma delta " * 20, 50)
    assert len(out) <= 50 and out.endswith("…") and not out[:-1].endswith(" ")
    assert out[:-1].split()[-1] in {"alpha", "beta", "gamma", "delta"}


def test_every_real_abstract_gets_a_short_clean_tldr() -> None:
    papers = load_papers()
    tldrs = ExtractiveSummarizer().tldrs(papers, "en")
    assert set(tldrs) == {p.id for p in papers}
    for pid, text in tldrs.items():
        assert text.strip(), pid
        assert len(text) <= TLDR_MAX_CHARS, pid
        assert not re.search(r"\\[a-zA-Z]+|\$", text), (pid, text)
        assert not text.lower().startswith(("in this paper", "in this work")), (pid, text)


@pytest.mark.parametrize(
    ("pid", "expected"),
    [
        ("2606.14721", "We introduce DC-Motion"),  # opener is background; contribution is 3rd sentence
        ("2606.15379", "We then develop bounds"),  # "… arise naturally", then "In this paper, we study"
        ("2606.15060", "We show that such markets"),  # "In this paper, we study …" framing opener
        ("2606.15238", "we integrate the strong geometric priors"),  # two background sentences first
        ("2606.16578", "We present Walk on Heat Stars"),
    ],
)
def test_picks_the_contribution_not_the_framing(pid: str, expected: str) -> None:
    paper = load_papers(ids=[pid])[0]
    tldr = ExtractiveSummarizer().tldrs([paper], "en")[pid]
    assert expected in tldr
    first_sentence = split_sentences(clean_latex(paper.abstract))[0]
    assert not tldr.startswith(first_sentence[:60])


def test_in_this_paper_opener_is_rewritten_when_it_is_the_contribution() -> None:
    paper = load_papers(ids=["2606.15503"])[0]  # "In this paper, we introduce the concept of …"
    tldr = ExtractiveSummarizer().tldrs([paper], "en")[paper.id]
    assert tldr.startswith("We introduce the concept of synthetic counteradaptation")


def test_chinese_abstract_stays_chinese() -> None:
    abstract = (
        "近年来，神经算子受到了广泛关注。然而，现有方法在高维问题上代价高昂。"
        "我们提出了一种基于稀疏网格的神经算子，将计算复杂度降至线性。实验表明该方法优于现有基线。"
    )
    paper = Paper(id="2606.00001", title="稀疏网格神经算子", abstract=abstract)
    tldr = ExtractiveSummarizer().tldrs([paper], "zh")[paper.id]
    assert tldr.startswith("我们提出了一种基于稀疏网格的神经算子")
    assert "近年来" not in tldr and len(tldr) <= TLDR_MAX_CHARS


def test_long_chinese_sentence_is_trimmed_to_280() -> None:
    paper = Paper(id="x", title="t", abstract="我们提出" + "很长的方法" * 100 + "。")
    tldr = ExtractiveSummarizer().tldrs([paper], "zh")["x"]
    assert len(tldr) == TLDR_MAX_CHARS and tldr.endswith("…")


def test_empty_abstract_falls_back_to_title() -> None:
    paper = Paper(id="10.1137/abc", title="A $\\mathcal{H}$-matrix solver", abstract="")
    assert ExtractiveSummarizer().tldrs([paper], "en") == {"10.1137/abc": "A H-matrix solver"}


def test_briefing_names_themes_and_cites_only_digest_numbers() -> None:
    papers = load_papers(15)
    entries = entries_for(papers)
    text = ExtractiveSummarizer().briefing(entries, "en")
    assert text is not None and len(text) <= BRIEFING_MAX_CHARS
    cited = {int(n) for n in CITE_RE.findall(text)}
    assert cited and cited <= {e.number for e in entries}
    themes = [line for line in text.splitlines() if line.startswith("•") and "Also:" not in line]
    assert 2 <= len(themes) <= 4
    assert all(len(set(CITE_RE.findall(line))) >= 2 for line in themes)


@pytest.mark.parametrize(
    ("pid", "expected", "not_this"),
    [
        # A dateline about a newspaper opens the abstract; the paper's own report comes later.
        ("2606.16797", "This paper first starts from data representation in AI+CAD", "In July 2025"),
        # A review whose last sentence is a caveat: the roadmap is the contribution.
        ("2606.16721", "this review outlines a roadmap", "Finally, we identify the challenges"),
    ],
)
def test_tldr_is_the_contribution_not_a_dateline_or_caveat(pid: str, expected: str, not_this: str) -> None:
    paper = load_papers(ids=[pid])[0]
    tldr = ExtractiveSummarizer().tldrs([paper], "en")[pid]
    assert expected in tldr and not_this not in tldr
    assert len(tldr) <= TLDR_MAX_CHARS


def test_no_real_tldr_is_a_notice_or_a_link() -> None:
    tldrs = ExtractiveSummarizer().tldrs(load_papers(), "en")
    for pid, text in tldrs.items():
        assert "http" not in text and "github.com" not in text, (pid, text)
        assert not re.match(r"(?:In|On|As of) (?:[A-Z][a-z]+ )?(?:19|20)\d\d\b", text), (pid, text)


def test_briefing_is_deterministic_and_bounded_for_large_digests() -> None:
    papers = load_papers(200)
    summarizer = ExtractiveSummarizer()
    first = summarizer.briefing(entries_for(papers), "en")
    assert first == summarizer.briefing(entries_for(papers), "en")
    assert first is not None and len(first) <= BRIEFING_MAX_CHARS
    assert {int(n) for n in CITE_RE.findall(first)} <= set(range(1, 201))


def test_briefing_in_chinese_and_for_a_single_paper() -> None:
    entries = entries_for(load_papers(1))
    text = ExtractiveSummarizer().briefing(entries, "zh") or ""
    assert text.startswith("今日摘要共 1 篇论文") and "[1]" in text
    assert ExtractiveSummarizer().briefing([], "en") is None


def _cues() -> list[tuple[str, Any]]:
    return [(name, cue) for name, cue in vars(sentences).items() if isinstance(cue, sentences._Cue)]


def test_every_cue_finds_what_its_whole_pattern_finds_in_every_real_sentence() -> None:
    """The cues look for their pattern without its `\\b`s first and check each place found:
    the answer must be the plain case-insensitive search's, on every sentence of the corpus."""
    cues = _cues()
    assert len(cues) == 8
    texts = [p.abstract for day in LISTING_DAYS for p in listing_papers(day)] + [
        p.abstract for p in snapshot_papers()
    ]
    found = dict.fromkeys((name for name, _ in cues), 0)
    for abstract in texts:
        for sentence in split_sentences(clean_latex(abstract)):
            lowered = sentence.lower()
            for name, cue in cues:
                plain = re.search(cue.pattern, sentence, re.IGNORECASE) is not None
                assert cue.found(lowered) == plain, (name, sentence)
                found[name] += plain
    assert all(count >= 20 for count in found.values()), found  # each cue was put to the test


@pytest.mark.parametrize(
    ("cue", "text", "expected"),
    [
        ("_CONTRIBUTION_CUES", "HERE WE PROPOSE a method", True),
        ("_CONTRIBUTION_CUES", "a new way we propose", True),
        ("_CONTRIBUTION_CUES", "awe proposes nothing", False),  # "we" inside a word
        ("_CONTRIBUTION_CUES", "twe propose, and then we propose", True),  # a later place counts
        ("_CONTRIBUTION_CUES", "本文提出一种新方法", True),  # no word boundary in Chinese
        ("_RESULT_CUES", "Our results show gains", True),
        ("_RESULT_CUES", "the results shown", False),  # "show" must end a word
        ("_BACKGROUND", "However, it fails", True),
        ("_BACKGROUND", "whoever tries", False),
        ("_BOILERPLATE", "see:https://x.org", True),
        ("_BOILERPLATE", "Code is available at our site", True),
        ("_AGENCY", "jawe are", False),
    ],
)
def test_a_cue_matches_at_word_starts_in_any_case(cue: str, text: str, expected: bool) -> None:
    pattern: sentences._Cue = getattr(sentences, cue)
    assert pattern.found(text.lower()) is expected
    assert (re.search(pattern.pattern, text, re.IGNORECASE) is not None) is expected
