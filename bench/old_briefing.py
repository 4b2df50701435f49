"""The extractive briefing before issue 20 (term counts), kept only as the benchmark's baseline.

Copied from bot/summarize/extractive.py at aa51fe8 so `bench.briefing` can time it in the same run
as the themes that replaced it. Not used by the bot.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from functools import lru_cache

from bot.models import DigestEntry, Paper
from bot.summarize.base import BRIEFING_MAX_CHARS
from bot.summarize.text import clean_latex, trim

_WORD_RE = re.compile(r"[A-Za-z][A-Za-z\-]*[A-Za-z]")
_CHUNK_RE = re.compile(r"[.,;:!?()\[\]\"“”'/]|\s-\s|\d")
_STOP_WORDS = """
    a about above across after again against all almost along also although always among an and any
    are as at be been being between both but by can could do does done each either else enough even
    ever every few for from further given had has have having here how however if in into is it its
    itself just less like many may more most much must near neither no nor not of off often on once
    only or other others otherwise our out over own per rather same several should since so some such
    than that the their them then there these they this those though through thus to too towards under
    until up upon us very via was we well were what when where whereas whether which while who whose
    why will with within without would yet you your able across allows based better case cases
    demonstrate demonstrates derive develop different due effective efficient existing experiments first
    further general high however important improve improves including introduce key large low main
    moreover novel one paper papers present proposed propose proposes provide provides recent results
    second show shows significant significantly simple state study studies three two type types use used
    uses using various way ways whole work works art even new various strong robust extensive
    achieve achieves achieved specific produce produces generate generates enable enables require
    requires lead leads allow obtain obtains remain remains make makes take takes capture captures
    perform performs apply applies state-of-the-art high-quality high-fidelity"""
_STOP = frozenset(_STOP_WORDS.split())
# Generic heads: never a theme alone, but fine inside a bigram ("language model", "heat equation").
_WEAK_WORDS = """
    method methods approach approaches model models framework frameworks problem problems system systems
    network networks data learning analysis performance task tasks algorithm algorithms result approach
    time number set sets function functions structure structures process processes information
    training test tests level levels setting settings"""
_WEAK = frozenset(_WEAK_WORDS.split())
_MAX_CITES = 6
_TEMPLATES = {
    "en": {
        "head": "{n} papers in today's digest.",
        "theme": "• {term}: {k} papers {cites}",
        "fields": "• By field: {parts}",
        "field": "{cat} {k} {cites}",
        "cross": "Cross-field: “{term}” links {fields} {cites}.",
        "single": "• {cat}: {title} {cites}",
        "more": "+{k} more",
        "and": " and ",
    },
    "zh": {
        "head": "今日摘要共 {n} 篇论文。",
        "theme": "• {term}：{k} 篇 {cites}",
        "fields": "• 领域分布：{parts}",
        "field": "{cat} {k} 篇 {cites}",
        "cross": "跨领域：“{term}”连接了 {fields} {cites}。",
        "single": "• {cat}：{title} {cites}",
        "more": "另 {k} 篇",
        "and": " 和 ",
    },
}


def _primary(paper: Paper) -> str:
    return paper.primary_category or (paper.categories[0] if paper.categories else "other")


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("s") and not word.endswith(("ss", "us", "is", "ics")):
        return word[:-1]
    return word


def _words(chunk: str) -> list[str | None]:
    """Lower-cased words of one phrase; None marks a stopword (so bigrams don't bridge it)."""
    words = [w.lower() for w in _WORD_RE.findall(chunk)]
    return [w if w not in _STOP and not w.endswith("ly") and len(w) > 2 else None for w in words]


def paper_terms(paper: Paper) -> dict[str, str]:
    """Noun-ish terms: bigrams of title and abstract, unigrams of the title only; key -> surface."""
    return _terms_of(paper.title, paper.abstract)


@lru_cache(maxsize=8192)
def _terms_of(title: str, abstract: str) -> dict[str, str]:
    # Cached: a day's paper appears in many channels' digests, each with its own briefing.
    # Callers only read the result.
    paper = Paper(id="", title=title, abstract=abstract)
    terms: dict[str, str] = {}
    for source, text in (("title", paper.title), ("abstract", paper.abstract)):
        for chunk in _CHUNK_RE.split(clean_latex(text)):
            keep = _words(chunk)
            for word, nxt in zip(keep, [*keep[1:], None], strict=False):
                # Titles are noun phrases; abstract unigrams are mostly verbs and filler.
                if source == "title" and word and word not in _WEAK and not word.endswith(("ing", "ed")):
                    terms.setdefault(_singular(word), word)
                if word and nxt and not (word in _WEAK and nxt in _WEAK):
                    terms.setdefault(f"{_singular(word)} {_singular(nxt)}", f"{word} {nxt}")
    return terms


def pick_themes(entries: Sequence[DigestEntry], max_themes: int = 3) -> list[tuple[str, list[int]]]:
    """Key terms shared by several papers, most shared first, each with its paper numbers."""
    numbers: dict[str, list[int]] = defaultdict(list)
    terms_of = {entry.number: paper_terms(entry.paper) for entry in entries}
    for number, terms in terms_of.items():
        for key in terms:
            numbers[key].append(number)
    too_common = max(3, int(len(entries) * 0.8))
    candidates = [k for k, nums in numbers.items() if 2 <= len(nums) <= too_common or len(entries) <= 3]
    candidates = [k for k in candidates if len(numbers[k]) >= 2]
    candidates.sort(key=lambda k: (-len(numbers[k]) * (1.6 if " " in k else 1.0), -len(k), k))
    chosen: list[tuple[str, list[int]]] = []
    chosen_keys: list[str] = []
    for key in candidates:
        nums = set(numbers[key])
        if any(key in other.split() or other in key.split() for other in chosen_keys):
            continue
        if any(len(nums & set(n)) / len(nums | set(n)) > 0.5 for _, n in chosen):
            continue
        # The commonest spelling among the papers that share the term (few: only for chosen terms).
        surfaces = Counter(terms_of[n][key] for n in numbers[key])
        surface = sorted(surfaces.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
        chosen.append((surface, sorted(nums)))
        chosen_keys.append(key)
        if len(chosen) == max_themes:
            break
    return chosen


def _cites(nums: Sequence[int], more: str) -> str:
    shown = " ".join(f"[{n}]" for n in nums[:_MAX_CITES])
    rest = len(nums) - _MAX_CITES
    return f"{shown} {more.format(k=rest)}" if rest > 0 else shown


def _fields_of(nums: Sequence[int], by_number: dict[int, Paper]) -> list[str]:
    """Categories of these papers (cross-lists too), one per archive (cs, math, stat …), commonest first."""
    counts = Counter(c for n in nums for c in (by_number[n].categories or [_primary(by_number[n])]))
    seen: dict[str, str] = {}
    for cat, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        seen.setdefault(cat.split(".")[0], cat)
    return list(seen.values())[:3]


def _field_line(entries: Sequence[DigestEntry], t: dict[str, str]) -> str:
    by_cat: dict[str, list[int]] = defaultdict(list)
    for entry in entries:
        by_cat[_primary(entry.paper)].append(entry.number)
    ranked = sorted(by_cat.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:3]
    parts = ", ".join(
        t["field"].format(cat=cat, k=len(nums), cites=_cites(nums[:3], t["more"])) for cat, nums in ranked
    )
    return t["fields"].format(parts=parts)


def briefing_text(entries: Sequence[DigestEntry], language: str, limit: int = BRIEFING_MAX_CHARS) -> str:
    """2–4 themes with counts and [n] citations, plus a cross-field sentence; deterministic."""
    t = _TEMPLATES.get(language.split("-")[0], _TEMPLATES["en"])
    by_number = {e.number: e.paper for e in entries}
    themes = pick_themes(entries)
    lines = [t["head"].format(n=len(entries))]
    cross = ""
    for term, nums in themes:
        lines.append(t["theme"].format(term=term, k=len(nums), cites=_cites(nums, t["more"])))
        fields = _fields_of(nums, by_number)
        if not cross and len(fields) > 1:
            joined = t["and"].join([", ".join(fields[:-1]), fields[-1]])
            cross = t["cross"].format(term=term, fields=joined, cites=_cites(nums, t["more"]))
    if len(themes) < 2 and len(entries) == 1:
        entry = entries[0]
        title = trim(clean_latex(entry.paper.title), 160)
        lines.append(t["single"].format(cat=_primary(entry.paper), title=title, cites=f"[{entry.number}]"))
    else:
        lines.append(_field_line(entries, t))
    if cross:
        lines.append(cross)
    while len("\n".join(lines)) > limit and len(lines) > 2:
        lines.pop(-2 if cross and len(lines) > 3 else -1)
    return trim("\n".join(lines), limit)
