"""Which sentence of an abstract says what the paper contributes (TL;DRs and the briefing)."""

from __future__ import annotations

import re
from functools import lru_cache

from bot.models import Paper
from bot.summarize.base import TLDR_MAX_CHARS
from bot.summarize.text import clean_latex, split_sentences, trim


class _Cue:
    """A cue pattern (written in lower case), looked for in a lower-cased sentence.

    Most cues start each alternative at a word boundary (`\\bwe …|\\bthis paper …`); a pattern
    that starts with `\\b`, or searched with IGNORECASE, makes `re` try every alternative at
    every character (20-40 µs a sentence for the long ones, most of a TL;DR's cost). The same
    pattern without its `\\b`s begins with plain letters, which `re` skips ahead to; each place
    it matches is then checked by the whole pattern, anchored there. Dropping a `\\b` only
    widens what matches, so no place the whole pattern matches is skipped."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self._exact = re.compile(pattern)
        self._rough = re.compile(pattern.replace(r"\b", ""))

    def found(self, lowered: str) -> bool:
        """Whether the pattern occurs in `lowered` (text already lower-cased)."""
        search, exact, start = self._rough.search, self._exact.match, 0
        while (rough := search(lowered, start)) is not None:
            if exact(lowered, rough.start()):
                return True
            start = rough.start() + 1
        return False


_CONTRIBUTION_CUES = _Cue(
    r"\b(?:we|this (?:paper|work|article|note))\s+(?:also\s+|then\s+|first\s+|further\s+|here\s+)?"
    r"(?:propose|introduce|present|develop|prove|establish|derive|design|construct|formulate|"
    r"release|generali[sz]e)s?\b|我们提出|本文提出|提出了|证明了",
)
# "This review outlines …", "This paper first starts from X and reports Y": the document speaking.
_SELF_REFERENCE = _Cue(
    r"\bthis (?:paper|work|article|review|survey|note|study|chapter|thesis)\b(?:\s+\S+){0,10}?\s+"
    r"(?:outlines?|reports?|proposes?|presents?|introduces?|offers?|reviews?|surveys?|provides?|"
    r"develops?|establishes?|proves?|shows?|summari[sz]es?)\b",
)
# ("Our results show" is found by "results show": an optional "our " in front would only make
# every character a place the pattern may start.)
_RESULT_CUES = _Cue(
    r"\b(?:we|this (?:paper|work))\s+(?:also\s+|then\s+|first\s+|further\s+)?"
    r"(?:show|demonstrate|obtain|find|achieve|report|provide|give)s?\b"
    r"|\b(?:achieves?|outperforms?|surpass(?:es)?|state-of-the-art|is proved|are proved)\b"
    r"|\b(?:results|experiments|findings|evaluations?|analysis) (?:show|demonstrate|indicate|reveal|"
    r"confirm|suggest)s?\b|结果表明|实验表明|优于|显著提高",
)
_WEAK_CUES = _Cue(
    r"\b(?:we|this (?:paper|work|study|article))\s+"
    r"(?:stud(?:y|ies)|consider|investigate|address|analy[sz]e|examine|explore|focus|revisit|argue)s?\b"
    r"|本文研究|我们研究",
)
_BACKGROUND = _Cue(
    r"\b(?:has|have) (?:attracted|gained|received|drawn|become)|\bis (?:an? )?(?:important|crucial|"
    r"fundamental|essential|key|central|challenging|critical|popular|widely)|\bare (?:important|crucial|"
    r"widely|increasingly)|\b(?:growing|increasing|recent) (?:interest|attention|years|advances)|"
    r"\bremains? (?:a |an )?(?:challeng|open|difficult|unclear)|\bexisting (?:methods|approaches|work)|"
    r"\bhowever\b|\bplay(?:s)? an? (?:important|key|crucial)|\barise naturally|近年来|受到.*关注",
)
_AGENCY = _Cue(r"\bwe\s+[a-z]+|\bour (?:method|approach|framework|model|algorithm)s?\b|我们")
_NUMERIC_RESULT = re.compile(r"\d+(?:\.\d+)?\s?(?:%|×|x\b|times\b|-fold)")
_FRAMING = re.compile(
    r"^(?:in this (?:paper|work|article|note|letter|study|manuscript)(?:,[^,]{0,80})?|here(?:in)?|"
    r"to (?:address|solve|tackle|overcome|bridge|fill|remedy|mitigate) (?:this|these|it|that|the)[^,]{0,80})"
    r",?\s+we\s+",
    re.IGNORECASE,
)
# What a TL;DR should not be: a dateline, the last caveat, future work, links and notices.
_DATELINE = re.compile(
    r"^(?:in|on|as of|since|by|during|from)\s+(?:(?:early|late|mid)[- ])?"
    r"(?:(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+)?(?:\d{1,2},?\s+)?"
    r"(?:19|20)\d\d\b",
    re.IGNORECASE,
)
_CLOSING = re.compile(r"^(?:finally|lastly|in (?:closing|conclusion)|to conclude|we conclude)\b", re.I)
_CAVEAT = _Cue(
    r"\bfuture (?:work|research|directions?|studies)|\blimitations?\b|\bopen (?:challenges|problems|"
    r"questions|issues)|\bchallenges (?:involved|ahead|that remain|remain)|\b(?:identify|discuss|"
    r"highlight|outline) (?:the |several |key |some )?(?:remaining )?(?:challenges|limitations|open)|"
    r"\boutlook\b|\bfurther (?:work|research) is needed",
)
_BOILERPLATE = _Cue(
    r"https?://|\bgithub\.com|\bcode (?:and [a-z]+ )?(?:is|are|will be) (?:publicly |freely |made )?"
    r"(?:available|released)|\b(?:is|are) (?:publicly )?available (?:at|online|on)\b|\baccepted (?:at|to|by|"
    r"for)\b|\bto appear in\b|©|\bcopyright\b|\bsponsored by\b|\bfunded by\b|\bthis (?:version|preprint)\b",
)


def score_sentence(sentence: str, position: int) -> float:
    """How likely a sentence states the paper's contribution or result."""
    lowered = sentence.lower()
    score = 0.0
    strong = True
    if _CONTRIBUTION_CUES.found(lowered):
        score += 3.5
    elif _RESULT_CUES.found(lowered) or _SELF_REFERENCE.found(lowered):
        score += 3.0
    elif _WEAK_CUES.found(lowered):
        score, strong = score + 1.5, False
    elif _AGENCY.found(lowered):
        score += 2.0  # "we integrate X", "our method does Y": what the authors did
    else:
        strong = False
    if _NUMERIC_RESULT.search(sentence):
        score += 1.0
    if _BACKGROUND.found(lowered):
        score -= 2.0
    if not strong and _FRAMING.match(sentence):
        score -= 0.5  # "In this paper we study X" only restates the topic
    score -= _penalty(sentence, lowered)
    if position == 0 and score <= 0:
        score -= 0.5
    if len(sentence) < 40:
        score -= 1.0
    return score - 0.05 * position


def _penalty(sentence: str, lowered: str) -> float:
    """What speaks against a sentence as the summary: notices, datelines, caveats, closing words."""
    penalty = 0.0
    if _BOILERPLATE.found(lowered):
        penalty += 4.0
    if _DATELINE.match(sentence):
        penalty += 3.5
    if _CAVEAT.found(lowered):
        penalty += 2.5
    if _CLOSING.match(sentence):
        penalty += 0.75
    return penalty


def unframe(sentence: str) -> str:
    """Rewrite "In this paper, we propose X" as "We propose X"."""
    return _FRAMING.sub("We ", sentence, count=1)


def _ranked(paper: Paper) -> tuple[list[str], list[int]]:
    sentences = split_sentences(clean_latex(paper.abstract))
    order = sorted(range(len(sentences)), key=lambda i: (-score_sentence(sentences[i], i), i))
    return sentences, order


def contribution_summary(paper: Paper, limit: int = TLDR_MAX_CHARS) -> str:
    """The sentence(s) of the abstract stating what the paper does; the title when there are none."""
    sentences, ranked = _ranked(paper)
    if not sentences:
        return trim(clean_latex(paper.title) or paper.id, limit)
    chosen = [ranked[0]]
    first = unframe(sentences[ranked[0]])
    if len(first) < limit * 0.55 and len(ranked) > 1:
        second = ranked[1]
        extra = unframe(sentences[second])
        if score_sentence(sentences[second], second) > 0 and len(first) + len(extra) + 1 <= limit:
            chosen.append(second)
    text = " ".join(unframe(sentences[i]) for i in sorted(chosen))
    return trim(text, limit) or trim(clean_latex(paper.title) or paper.id, limit)


def contribution_sentence(paper: Paper, limit: int) -> str:
    """The one sentence that best states the contribution, cut to `limit`; the title without one."""
    sentence, _ = _statement(paper.title, paper.abstract)
    return trim(sentence, limit)


def states_contribution(paper: Paper) -> bool:
    """Whether the abstract has a sentence saying what the authors propose, prove or present."""
    return _statement(paper.title, paper.abstract)[1]


@lru_cache(maxsize=8192)
def _statement(title: str, abstract: str) -> tuple[str, bool]:
    """The briefing's sentence for a paper: "We propose X" beats "Experiments show Y" here."""
    sentences = split_sentences(clean_latex(abstract))
    if not sentences:
        return clean_latex(title), False
    scored = [(score_sentence(s, i), i) for i, s in enumerate(sentences)]
    stated = [(sc, i) for sc, i in scored if sc > 0 and _states(sentences[i])]
    best = max(stated or scored, key=lambda si: (si[0], -si[1]))
    return unframe(sentences[best[1]]), bool(stated)


def _states(sentence: str) -> bool:
    lowered = sentence.lower()
    return _CONTRIBUTION_CUES.found(lowered) or _SELF_REFERENCE.found(lowered)
