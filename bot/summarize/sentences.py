"""Which sentence of an abstract says what the paper contributes (TL;DRs and the briefing)."""

from __future__ import annotations

import re
from functools import lru_cache

from bot.models import Paper
from bot.summarize.base import TLDR_MAX_CHARS
from bot.summarize.text import clean_latex, split_sentences, trim

_CONTRIBUTION_CUES = re.compile(
    r"\b(?:we|this (?:paper|work|article|note))\s+(?:also\s+|then\s+|first\s+|further\s+|here\s+)?"
    r"(?:propose|introduce|present|develop|prove|establish|derive|design|construct|formulate|"
    r"release|generali[sz]e)s?\b|我们提出|本文提出|提出了|证明了",
    re.IGNORECASE,
)
# "This review outlines …", "This paper first starts from X and reports Y": the document speaking.
_SELF_REFERENCE = re.compile(
    r"\bthis (?:paper|work|article|review|survey|note|study|chapter|thesis)\b(?:\s+\S+){0,10}?\s+"
    r"(?:outlines?|reports?|proposes?|presents?|introduces?|offers?|reviews?|surveys?|provides?|"
    r"develops?|establishes?|proves?|shows?|summari[sz]es?)\b",
    re.IGNORECASE,
)
_RESULT_CUES = re.compile(
    r"\b(?:we|this (?:paper|work))\s+(?:also\s+|then\s+|first\s+|further\s+)?"
    r"(?:show|demonstrate|obtain|find|achieve|report|provide|give)s?\b"
    r"|\b(?:achieves?|outperforms?|surpass(?:es)?|state-of-the-art|is proved|are proved)\b"
    r"|\b(?:our )?(?:results|experiments|findings|evaluations?|analysis) (?:show|demonstrate|indicate|reveal|"
    r"confirm|suggest)s?\b|结果表明|实验表明|优于|显著提高",
    re.IGNORECASE,
)
_WEAK_CUES = re.compile(
    r"\b(?:we|this (?:paper|work|study|article))\s+"
    r"(?:stud(?:y|ies)|consider|investigate|address|analy[sz]e|examine|explore|focus|revisit|argue)s?\b"
    r"|本文研究|我们研究",
    re.IGNORECASE,
)
_BACKGROUND = re.compile(
    r"\b(?:has|have) (?:attracted|gained|received|drawn|become)|\bis (?:an? )?(?:important|crucial|"
    r"fundamental|essential|key|central|challenging|critical|popular|widely)|\bare (?:important|crucial|"
    r"widely|increasingly)|\b(?:growing|increasing|recent) (?:interest|attention|years|advances)|"
    r"\bremains? (?:a |an )?(?:challeng|open|difficult|unclear)|\bexisting (?:methods|approaches|work)|"
    r"\bhowever\b|\bplay(?:s)? an? (?:important|key|crucial)|\barise naturally|近年来|受到.*关注",
    re.IGNORECASE,
)
_AGENCY = re.compile(r"\bwe\s+[a-z]+|\bour (?:method|approach|framework|model|algorithm)s?\b|我们", re.I)
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
_CAVEAT = re.compile(
    r"\bfuture (?:work|research|directions?|studies)|\blimitations?\b|\bopen (?:challenges|problems|"
    r"questions|issues)|\bchallenges (?:involved|ahead|that remain|remain)|\b(?:identify|discuss|"
    r"highlight|outline) (?:the |several |key |some )?(?:remaining )?(?:challenges|limitations|open)|"
    r"\boutlook\b|\bfurther (?:work|research) is needed",
    re.IGNORECASE,
)
_BOILERPLATE = re.compile(
    r"https?://|\bgithub\.com|\bcode (?:and [a-z]+ )?(?:is|are|will be) (?:publicly |freely |made )?"
    r"(?:available|released)|\b(?:is|are) (?:publicly )?available (?:at|online|on)\b|\baccepted (?:at|to|by|"
    r"for)\b|\bto appear in\b|©|\bcopyright\b|\bsponsored by\b|\bfunded by\b|\bthis (?:version|preprint)\b",
    re.IGNORECASE,
)


def score_sentence(sentence: str, position: int) -> float:
    """How likely a sentence states the paper's contribution or result."""
    score = 0.0
    strong = True
    if _CONTRIBUTION_CUES.search(sentence):
        score += 3.5
    elif _RESULT_CUES.search(sentence) or _SELF_REFERENCE.search(sentence):
        score += 3.0
    elif _WEAK_CUES.search(sentence):
        score, strong = score + 1.5, False
    elif _AGENCY.search(sentence):
        score += 2.0  # "we integrate X", "our method does Y": what the authors did
    else:
        strong = False
    if _NUMERIC_RESULT.search(sentence):
        score += 1.0
    if _BACKGROUND.search(sentence):
        score -= 2.0
    if not strong and _FRAMING.match(sentence):
        score -= 0.5  # "In this paper we study X" only restates the topic
    score -= _penalty(sentence)
    if position == 0 and score <= 0:
        score -= 0.5
    if len(sentence) < 40:
        score -= 1.0
    return score - 0.05 * position


def _penalty(sentence: str) -> float:
    """What speaks against a sentence as the summary: notices, datelines, caveats, closing words."""
    penalty = 0.0
    if _BOILERPLATE.search(sentence):
        penalty += 4.0
    if _DATELINE.match(sentence):
        penalty += 3.5
    if _CAVEAT.search(sentence):
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
    return bool(_CONTRIBUTION_CUES.search(sentence) or _SELF_REFERENCE.search(sentence))
