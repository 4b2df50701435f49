"""English stop words: PostgreSQL's english.stop (Snowball's English stop word list), which its
`english` configuration drops. The search keys skip them (bot.store.lexemes: they still take a
position, so they break a word pair), and the query language drops an excluded term made of
them alone (bot.query)."""

from __future__ import annotations

import re

_STOP_LIST = """
i me my myself we our ours ourselves you your yours yourself yourselves he him his
himself she her hers herself it its itself they them their theirs themselves what which
who whom this that these those am is are was were be been being have has had having do
does did doing a an the and but if or because as until while of at by for with about
against between into through during before after above below to from up down in out on
off over under again further then once here there when where why how all any both each
few more most other some such no nor not only own same so than too very s t can will
just don should now
"""
STOP_WORDS = frozenset(_STOP_LIST.split())
_WORD = re.compile(r"[^\W_]+")  # a word as the search keys split text (bot.store.lexemes)


def stop_words_only(text: str) -> bool:
    """True when the text has words and every one is a stop word (`the`, `of the`, `A`)."""
    words = _WORD.findall(text.lower())
    return bool(words) and all(w in STOP_WORDS for w in words)
