"""Radar rules and matching, on real papers from the 2026-06-16 arXiv listing and small made-up ones."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.models import Paper
from bot.query import UsageError
from bot.radar import RadarIndex, RadarRule, match_paper, parse_rule
from tests import FIXTURES
from tests.corpus import listing_papers

CORPUS = listing_papers(announce_type="new", source="https://rss.arxiv.org/rss/cs")


def _paper(pid: str, **kw: object) -> Paper:
    defaults: dict[str, object] = {"title": "A title", "announce_type": "new", "categories": ["cs.LG"]}
    defaults.update(kw)
    return Paper(id=pid, **defaults)  # type: ignore[arg-type]


# ---- rules ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "rule", "canonical"),
    [
        ("cat:cs.LG", RadarRule("cat", "cs.LG"), "cat:cs.LG"),
        ("cat: math.na", RadarRule("cat", "math.NA"), "cat:math.NA"),
        ("CAT:math", RadarRule("cat", "math"), "cat:math"),
        ("cs.LG", RadarRule("cat", "cs.LG"), "cat:cs.LG"),
        ("author:Grohs", RadarRule("author", "Grohs"), "author:Grohs"),
        ('author:"Philipp Grohs"', RadarRule("author", "Philipp Grohs"), 'author:"Philipp Grohs"'),
        ("author:Philipp Grohs", RadarRule("author", "Philipp Grohs"), 'author:"Philipp Grohs"'),
        ("author:“Philipp  Grohs”", RadarRule("author", "Philipp Grohs"), 'author:"Philipp Grohs"'),
        ('keyword:"neural operator"', RadarRule("keyword", "neural operator"), 'keyword:"neural operator"'),
        ("keyword:transformer", RadarRule("keyword", "transformer"), "keyword:transformer"),
        (
            "feed:https://rss.arxiv.org/rss/math.NA",
            RadarRule("feed", "https://rss.arxiv.org/rss/math.NA"),
            "feed:https://rss.arxiv.org/rss/math.NA",
        ),
        (
            "https://x.org/feed.xml",
            RadarRule("feed", "https://x.org/feed.xml"),
            "feed:https://x.org/feed.xml",
        ),
        ("include:replacements", RadarRule("include", "replacements"), "include:replacements"),
        ("include:replace", RadarRule("include", "replacements"), "include:replacements"),
    ],
)
def test_parse_rule(text: str, rule: RadarRule, canonical: str) -> None:
    assert parse_rule(text) == rule
    assert rule.text == canonical
    assert parse_rule(rule.text) == rule


@pytest.mark.parametrize(
    "text",
    [
        *["", "Grohs", "cat:", "cat:maths", "cat:cs.LG math.NA", "author:", "author:P.", 'keyword:"'],
        *[
            "keyword:!!!",
            "keyword:" + "x" * 101,
            "feed:ftp://x",
            "include:all",
            "colour:blue",
            'author:"a"b"',
        ],
    ],
)
def test_bad_rules_are_usage_errors(text: str) -> None:
    with pytest.raises(UsageError) as err:
        parse_rule(text)
    assert "/papers subscribe" in err.value.message


@given(st.text(max_size=200))
def test_any_rule_text_gives_a_rule_or_a_usage_error(text: str) -> None:
    try:
        rule = parse_rule(text)
    except UsageError:
        return
    assert parse_rule(rule.text) == rule


# ---- matching -------------------------------------------------------------------------------


def test_author_rule_on_the_real_listing_uses_folded_names() -> None:
    index = RadarIndex(CORPUS)
    for value in ("Schmidhuber", "Juergen Schmidhuber", "J. Schmidhuber", "Jürgen Schmidhuber"):
        found = index.match([RadarRule("author", value)])
        assert list(found) == ["2606.16821"], value
        assert found["2606.16821"].matched_authors == ("Jürgen Schmidhuber",)
    assert index.match([RadarRule("author", "Anna Schmidhuber")]) == {}
    found = index.match([RadarRule("author", "Ondrej Dusek")])
    assert found["2606.16545"].matched_authors == ("Ondřej Dušek",)


def test_every_hyphenated_given_name_on_a_real_listing_finds_its_own_papers() -> None:
    """`author "Pheng-Ann Heng"` and the like: the query's given names are matched piece by
    piece, as the author's are (whole, "pheng-ann" matched no piece, so a radar on a full
    name with a hyphen never fired, not even for the name as arXiv lists it)."""
    papers = listing_papers("2026-03-17")
    index = RadarIndex(papers)
    named = [(p.id, a) for p in papers for a in p.authors if "-" in " ".join(a.split()[:-1])]
    assert len(named) > 50
    for pid, author in named:
        assert pid in index.match([RadarRule("author", author)]), author


def test_author_hit_scores_above_keyword_hit_above_category_hit() -> None:
    papers = [
        _paper("a", authors=["Philipp Grohs"], categories=["math.NA"]),
        _paper("k", title="Neural operators for PDEs", categories=["math.NA"]),
        _paper("c", categories=["math.NA"]),
    ]
    rules = [RadarRule("cat", "math.NA"), RadarRule("keyword", "neural operator"), parse_rule("author:Grohs")]
    found = RadarIndex(papers).match(rules)
    assert list(found) == ["a", "k", "c"]  # best first
    assert found["a"].score > found["k"].score > found["c"].score
    assert found["a"].matched_authors == ("Philipp Grohs",)
    assert found["a"].reasons == ("cat:math.NA", "author:Grohs")
    assert found["k"].matched_authors == ()


def test_replacements_only_when_the_radar_asks() -> None:
    papers = [
        _paper("new", announce_type="new"),
        _paper("cross", announce_type="cross"),
        _paper("journal", announce_type=None),
        _paper("rep", announce_type="replace"),
        _paper("repx", announce_type="replace-cross"),
    ]
    index = RadarIndex(papers)
    cat = RadarRule("cat", "cs.LG")
    assert set(index.match([cat])) == {"new", "cross", "journal"}
    assert set(index.match([cat, RadarRule("include", "replacements")])) == {p.id for p in papers}
    assert set(index.match([cat], include_replacements=True)) == {p.id for p in papers}
    assert index.match([RadarRule("include", "replacements")]) == {}


def test_archive_rule_covers_every_subject_and_cross_lists() -> None:
    papers = [
        _paper("na", categories=["math.NA"]),
        _paper("ap", categories=["math.AP", "math.NA"]),
        _paper("cross", categories=["cs.LG", "math.OC"], primary_category="cs.LG"),
        _paper("mathph", categories=["math-ph"]),
        _paper("lg", categories=["cs.LG"]),
    ]
    index = RadarIndex(papers)
    assert set(index.match([RadarRule("cat", "math")])) == {"na", "ap", "cross"}
    assert set(index.match([RadarRule("cat", "math.OC")])) == {"cross"}  # not the primary category
    assert set(index.match([RadarRule("cat", "math.NA")])) == {"na", "ap"}
    assert set(index.match([parse_rule("cat:MATH.na")])) == {"na", "ap"}


@pytest.mark.parametrize(
    ("keyword", "text", "expected"),
    [
        ("operator", "a cooperator game", False),
        ("operator", "an operator-valued map", True),
        ("operator", "Operators, and more", True),
        ("neural operator", "Fourier Neural Operators", True),
        ("neural operator", "neural\n  operator learning", True),
        ("neural operator", "neural operatorial", False),
        ("neural operator", "operator neural", False),
        ("physics-informed", "physics informed networks", True),
        ("physics informed", "Physics-Informed networks", True),
        ("graph", "paragraph", False),
        ("C++", "written in c++ and rust", True),
        ("Schrödinger", "the schrödinger bridge", True),
    ],
)
def test_keywords_match_whole_words(keyword: str, text: str, expected: bool) -> None:
    paper = _paper("p", abstract=text)
    assert (match_paper(paper, [RadarRule("keyword", keyword)]) is not None) is expected


def test_keyword_in_one_paper_does_not_leak_into_the_next() -> None:
    papers = [_paper("1", abstract="ends with neural"), _paper("2", title="operator first")]
    assert RadarIndex(papers).match([RadarRule("keyword", "neural operator")]) == {}


def test_feed_rule_matches_the_source() -> None:
    papers = [
        _paper("s", source="https://epubs.siam.org/action/showFeed?jc=sjnaam"),
        _paper("o", source=None),
    ]
    found = RadarIndex(papers).match([RadarRule("feed", "https://epubs.siam.org/action/showFeed?jc=sjnaam")])
    assert set(found) == {"s"}


def test_no_rules_no_matches() -> None:
    assert RadarIndex(CORPUS).match([]) == {}
    assert match_paper(CORPUS[0], []) is None


_POOL = [
    RadarRule("cat", "cs.CV"),
    RadarRule("cat", "cs"),
    RadarRule("cat", "stat.ML"),
    RadarRule("cat", "math"),
    RadarRule("keyword", "diffusion model"),
    RadarRule("keyword", "benchmark"),
    RadarRule("keyword", "large language models"),
    RadarRule("keyword", "reinforcement learning"),
    RadarRule("author", "Schmidhuber"),
    RadarRule("author", "Y. Li"),
    RadarRule("author", "Wang"),
    RadarRule("author", "Zhang, Jiaxu"),
    RadarRule("include", "replacements"),
]
_SAMPLE = CORPUS[:150]
_SAMPLE_INDEX = RadarIndex(_SAMPLE)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(_POOL), max_size=6))
def test_the_index_agrees_with_one_paper_at_a_time(rules: list[RadarRule]) -> None:
    found = _SAMPLE_INDEX.match(rules)
    for paper in _SAMPLE:
        assert found.get(paper.id) == match_paper(paper, rules)


def test_word_index_agrees_with_the_regex_scan() -> None:
    """Past a few keywords the index answers one-word keywords from a word index; same answers."""

    from bot.models import Paper
    from bot.radar import _WORD_INDEX_AFTER, RadarIndex, RadarRule

    listing = FIXTURES / "corpus"
    rows = [json.loads(line) for line in (listing / "daily_arxiv_listing_2026-06-16.jsonl").open()]
    papers = list(
        {r["id"]: Paper(id=r["id"], title=r["title"], abstract=r["summary"]) for r in rows}.values()
    )
    words = [
        "model",
        "operator",
        "diffusion",
        "graph",
        "learning",
        "tokens",
        "robot",
        "llm",
        "benchmark",
        "3d",
    ]
    words += [f"zzfiller{i}" for i in range(_WORD_INDEX_AFTER)]
    scanned = RadarIndex(papers)
    expected = {w: set(scanned.match([RadarRule("keyword", w)])) for w in words[:10]}
    indexed = RadarIndex(papers)
    for filler in words[10:]:
        indexed.match([RadarRule("keyword", filler)])
    for word in words[:10]:
        assert set(indexed.match([RadarRule("keyword", word)])) == expected[word], word
    assert expected["model"] and expected["operator"]


def test_the_word_index_finds_every_topic_the_text_scan_finds() -> None:
    """Past a few keywords, a keyword of several words (`physics-informed neural operator`)
    takes as candidates the papers holding each of its words, from the word index, instead
    of a find of its longest word through the day's text; the regex decides either way.
    Topics of two and three words from the day's real titles, hyphenated and plural too,
    and some with a piece that is not a plain word (they keep the text scan)."""
    import random
    import re

    from bot.radar import _WORD_INDEX_AFTER

    papers = listing_papers("2026-06-16")
    rng = random.Random(5)
    topics: set[str] = {"c++ code", "3d gaussian splatting", "x-ray", "large language model", "u.s. census"}
    while len(topics) < 160:
        words = re.findall(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*", rng.choice(papers).title)
        if len(words) >= 2:
            n = rng.choice([2, 2, 3])
            start = rng.randrange(max(1, len(words) - n + 1))
            topics.add(" ".join(words[start : start + n]))
    scanned, indexed = RadarIndex(papers), RadarIndex(papers)
    indexed._keyword_lookups = _WORD_INDEX_AFTER  # every lookup from here goes by the index
    found = 0
    for topic in sorted(topics):
        rule = [RadarRule("keyword", topic)]
        scanned._keyword_lookups = 0  # always the text scan
        expected = scanned.match(rule)
        assert indexed.match(rule) == expected, topic
        found += bool(expected)
    assert found >= 130  # most topics are found: the comparison is not of empty answers
    assert indexed._word_index is not None and scanned._word_index is None  # each took its path
