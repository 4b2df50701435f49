"""The `/papers` language: every text gives a Command or a UsageError, and commands round-trip."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.query import (
    Command,
    Filters,
    Schedule,
    UsageError,
    format_command,
    help_text,
    normalize_category,
    parse,
    usage,
)
from bot.radar import RadarRule

VALID = [
    ("", Command("help")),
    ("help", Command("help")),
    ("help subscribe", Command("help", topic="subscribe")),
    ("author Grohs", Command("author", Filters(authors=("Grohs",)))),
    ('author "Philipp Grohs"', Command("author", Filters(authors=("Philipp Grohs",)))),
    ("author P. Grohs", Command("author", Filters(authors=("P. Grohs",)))),
    ("author “Philipp Grohs”", Command("author", Filters(authors=("Philipp Grohs",)))),  # Slack's quotes
    ("AUTHOR Grohs --share", Command("author", Filters(authors=("Grohs",)), share=True)),
    (
        'author "Philipp Grohs" operator',
        Command("author", Filters(authors=("Philipp Grohs",), words=("operator",))),
    ),
    ("cat math.NA", Command("cat", Filters(categories=("math.NA",)))),
    ("cat math since:7d", Command("cat", Filters(categories=("math",), since_days=7))),
    ("cat cs.lg stat.ml", Command("cat", Filters(categories=("cs.LG", "stat.ML")))),
    ("cat cond-mat.MES-HALL", Command("cat", Filters(categories=("cond-mat.mes-hall",)))),
    # A comma list, as `cat:` takes one; only where every item is a category.
    ("cat cs.CL,cs.CV", Command("cat", Filters(categories=("cs.CL", "cs.CV")))),
    (
        "cat cs.cl, math -Synthesis",
        Command("cat", Filters(categories=("cs.CL", "math"), exclude=("Synthesis",))),
    ),
    (
        'search operator learning "shared representation" -survey',
        Command(
            "search",
            Filters(words=("operator", "learning"), phrases=("shared representation",), exclude=("survey",)),
        ),
    ),
    ('search x -"neural network"', Command("search", Filters(words=("x",), exclude=("neural network",)))),
    # Stop words alone exclude nothing (`-Loop,and` is two terms, `Loop` and `and`).
    ('search x -the -"of the" -A', Command("search", Filters(words=("x",)))),
    (
        "cat cs.AI -Loop,and -Practice:A",
        Command("cat", Filters(categories=("cs.AI",), exclude=("Loop", "Practice"))),
    ),
    ('search x -"state of the art"', Command("search", Filters(words=("x",), exclude=("state of the art",)))),
    # Nor are wanted stop words alone looked for; a phrase keeps its own.
    ('search model "of the" the', Command("search", Filters(words=("model",)))),
    ('author Wang "for the"', Command("author", Filters(authors=("Wang",)))),
    ('search "theory of everything" A', Command("search", Filters(phrases=("theory of everything",)))),
    ("operator learning", Command("search", Filters(words=("operator", "learning")))),
    (
        'author:Grohs cat:math.NA since:30d "neural network"',
        Command(
            "search",
            Filters(authors=("Grohs",), categories=("math.NA",), phrases=("neural network",), since_days=30),
        ),
    ),
    ('search author:"Philipp Grohs"', Command("search", Filters(authors=("Philipp Grohs",)))),
    ("search since:2w x", Command("search", Filters(words=("x",), since_days=14))),
    ("search since:2026-06-01 x", Command("search", Filters(words=("x",), since_date=dt.date(2026, 6, 1)))),
    ("search cat:math,cs.LG x", Command("search", Filters(categories=("math", "cs.LG"), words=("x",)))),
    ('search keyword:"neural operator"', Command("search", Filters(phrases=("neural operator",)))),
    ('search "unclosed phrase', Command("search", Filters(phrases=("unclosed phrase",)))),
    ("author: Grohs", Command("search", Filters(authors=("Grohs",)))),
    ("today", Command("today")),
    ("today cat:math.NA", Command("today", Filters(categories=("math.NA",)))),
    ("more", Command("more")),
    ("paper 2606.16028", Command("paper", paper_id="2606.16028")),
    ("paper 2606.16028v2", Command("paper", paper_id="2606.16028")),
    ("paper arXiv:2606.16028", Command("paper", paper_id="2606.16028")),
    ("paper https://arxiv.org/abs/2606.16028v1", Command("paper", paper_id="2606.16028")),
    ("paper <https://arxiv.org/pdf/2606.16028>", Command("paper", paper_id="2606.16028")),  # Slack link
    ("paper math/0601001", Command("paper", paper_id="math/0601001")),
    ("paper https://doi.org/10.1137/23M1234567", Command("paper", paper_id="10.1137/23m1234567")),
    ("saved", Command("saved")),
    ("export", Command("export", export_format="bibtex")),
    ("export RIS", Command("export", export_format="ris")),
    ("export csl-json", Command("export", export_format="csl-json")),
    ("radar", Command("radar")),
    ("subscribe cat:cs.lg", Command("subscribe", rule=RadarRule("cat", "cs.LG"))),
    ('subscribe author:"Philipp Grohs"', Command("subscribe", rule=RadarRule("author", "Philipp Grohs"))),
    (
        'subscribe keyword:"neural operator"',
        Command("subscribe", rule=RadarRule("keyword", "neural operator")),
    ),
    ("subscribe include:replacements", Command("subscribe", rule=RadarRule("include", "replacements"))),
    (
        "subscribe feed:https://rss.arxiv.org/rss/math.NA",
        Command("subscribe", rule=RadarRule("feed", "https://rss.arxiv.org/rss/math.NA")),
    ),
    ("unsubscribe 2", Command("unsubscribe", index=2)),
    ("unsubscribe cat:cs.LG", Command("unsubscribe", rule=RadarRule("cat", "cs.LG"))),
    ("schedule 09:00 Europe/Vienna", Command("schedule", schedule=Schedule(dt.time(9), "Europe/Vienna"))),
    (
        "schedule 9:30pm europe/vienna",
        Command("schedule", schedule=Schedule(dt.time(21, 30), "Europe/Vienna")),
    ),
    ("schedule off", Command("schedule")),
    ("language zh", Command("language", language="zh")),
    ("language pt_br", Command("language", language="pt-BR")),
    ("language German", Command("language", language="de")),
    ("language", Command("language")),
    ("digest now", Command("digest")),
    # --me: the caller's own radar (anywhere in the text, like --share)
    ("radar --me", Command("radar", me=True)),
    (
        'subscribe --me author:"Philipp Grohs"',
        Command("subscribe", rule=RadarRule("author", "Philipp Grohs"), me=True),
    ),
    ("subscribe cat:math.NA --ME", Command("subscribe", rule=RadarRule("cat", "math.NA"), me=True)),
    ("unsubscribe --me 2", Command("unsubscribe", index=2, me=True)),
    ("schedule --me 07:30", Command("schedule", schedule=Schedule(dt.time(7, 30), None), me=True)),
    (
        "schedule --me 7am Asia/Shanghai",
        Command("schedule", schedule=Schedule(dt.time(7), "Asia/Shanghai"), me=True),
    ),
    ("schedule --me off", Command("schedule", me=True)),
    ("language --me zh", Command("language", language="zh", me=True)),
    ("language --me", Command("language", me=True)),
    ("  digest   NOW ", Command("digest")),
    ("'; DROP TABLE papers;--", Command("search", Filters(words=("DROP", "TABLE", "papers")))),
]


@pytest.mark.parametrize(("text", "expected"), VALID)
def test_parse(text: str, expected: Command) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(("text", "expected"), VALID)
def test_round_trip_of_the_table(text: str, expected: Command) -> None:
    assert parse(format_command(expected)) == expected
    assert expected.to_text() == format_command(expected)


ERRORS = [
    ("author", "needs a name"),
    ("author:", "needs a name"),
    ("author P.", "no name"),
    ("cat:", "needs a category"),
    ("cat maths", "not an arXiv category"),
    ("cat cs.LG,maths", "not an arXiv category"),
    ("search cat:maths", "not an arXiv category"),
    ("since:xyz", "not a time span"),
    ("search since:99999y", "not a time span"),
    ("search since:2026-13-45", "not a time span"),
    ("search", "needs something"),
    ("-", "needs something"),
    ('search ""', "needs something"),
    ("search -the -of", "needs something"),
    ('search "In of" for', "needs something"),
    ('search keyword:"of the"', "needs something"),
    ("search -author:Grohs", "excluded"),
    ("search --verbose", "--share"),
    ("search feed:https://x.org", "radar rule"),
    ("paper", "needs an id"),
    ("paper xyz", "not an arXiv id"),
    ("paper 2606.16028 2606.16029", "not an arXiv id"),
    ("export pdf", "not an export format"),
    ("more please", "takes nothing"),
    ("subscribe", "needs a kind"),
    ("subscribe Grohs", "needs a kind"),
    ("subscribe cat:cs.LG cat:math.NA", "One rule at a time"),
    ("subscribe author:", "needs a value"),
    ("subscribe include:everything", "replacements"),
    ("subscribe feed:not-a-url", "URL"),
    ("unsubscribe", "rule number"),
    ("unsubscribe 0", "rule number"),
    ("unsubscribe two", "rule number"),
    ("schedule", "time"),
    ("schedule 09:00", "time"),
    ("schedule 25:00 UTC", "time"),
    ("schedule 13pm UTC", "time"),
    ("schedule 09:00 Mars/Olympus", "not a time zone"),
    ("schedule 09:00 ../../etc/passwd", "not a time zone"),
    ("language ???", "not a language code"),
    ("digest later", "now"),
    ("author Grohs --me", "`--me` goes with"),
    ("digest now --me", "`--me` goes with"),
    ("--me", "`--me` goes with"),
    ("schedule 07:30", "time zone"),
    ("subscibe cat:cs.LG", "did you mean"),
    ("x" * 501, "too long"),
    ("search " + "word " * 200, "too long"),
]


@pytest.mark.parametrize(("text", "fragment"), ERRORS)
def test_usage_errors_say_what_and_show_the_right_form(text: str, fragment: str) -> None:
    with pytest.raises(UsageError) as err:
        parse(text)
    message = err.value.message
    assert fragment in message
    assert "/papers " in message and "\n" not in message and len(message) < 300


def test_help_lists_every_command() -> None:
    text = help_text()
    for name in ("help", "author", "search", "cat", "today", "more", "paper", "saved", "export", "radar"):
        assert f"/papers {name}" in text
    for name in ("subscribe", "unsubscribe", "schedule", "language", "digest now"):
        assert f"/papers {name}" in text
    assert "since:" in text and "--share" in text
    assert "/papers subscribe [--me] RULE" in text and "direct message" in text
    assert usage("author").startswith("`/papers author NAME`")
    assert usage("nonsense") == text


def test_is_query() -> None:
    assert [n for n in ("author", "search", "cat", "today", "more", "paper") if Command(n).is_query()] == [
        "author",
        "search",
        "cat",
        "today",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("math.na", "math.NA"), ("CS.LG", "cs.LG"), ("hep-th", "hep-th"), ("math", "math"), ("math.*", "math")],
)
def test_normalize_category(text: str, expected: str) -> None:
    assert normalize_category(text) == expected
    assert normalize_category(expected) == expected


# ---- fuzzing: every input is a Command or a UsageError, and Commands round-trip ------------------

_PIECE_WORDS = """
    author search cat today more paper saved export radar subscribe unsubscribe schedule language digest
    now help off bibtex ris P. Grohs Gühring 09:00 Europe/Vienna author: author:Grohs cat: cat:math
    cat:math.NA cat:cs.lg,stat.ML keyword: since: since:30d since:2w since:2026-06-01 since:xyz
    feed:https://x.org/rss include:replacements - -survey --share --me -- 2606.16028v2 10.1137/x 3 0 zh : ( )
    https://arxiv.org/abs/2606.16028 <https://arxiv.org/abs/2606.16028|link> 🙂 “ ”
"""
_PIECES = st.sampled_from(
    [
        *_PIECE_WORDS.split(),
        *['author:"Philipp Grohs"', 'keyword:"neural operator"', '-"a phrase"', '"', '"unclosed'],
        *['"shared representation"', "'; DROP TABLE papers;--", "\x00", "\u200b", "\n", "\t"],
    ]
)
_SOUP = st.lists(st.one_of(_PIECES, st.text(max_size=8)), max_size=8).map(" ".join)


def _check(text: str) -> None:
    try:
        command = parse(text)
    except UsageError as err:
        assert err.message and isinstance(err.message, str)
        return
    assert isinstance(command, Command)
    again = format_command(command)
    assert parse(again) == command, again
    assert format_command(parse(again)) == again


@settings(max_examples=500)
@given(st.text())
@example("")
@example("x" * 5000)
@example("🙂" * 300)
@example("author:")
@example("cat:")
@example("since:xyz")
@example("-")
@example('"')
@example("'; DROP TABLE papers;--")
@example("\x00\x01\x1b[31m author Grohs")
def test_any_text_gives_a_command_or_a_usage_error(text: str) -> None:
    _check(text)


@settings(max_examples=1000)
@given(_SOUP)
def test_command_soup_round_trips(text: str) -> None:
    _check(text)


@given(_SOUP)
def test_every_command_word_first(text: str) -> None:
    for name in ("author", "search", "cat", "today", "subscribe", "unsubscribe", "paper"):
        _check(f"{name} {text}")
