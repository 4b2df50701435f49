"""Channel radars: rules (`author:`, `cat:`, `keyword:`, `feed:`, `include:`) and fast matching.

A day's papers are indexed once (`RadarIndex`); each channel's rules are then answered from
the index, and each distinct rule is computed once however many channels share it.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections import defaultdict
from collections.abc import Sequence
from typing import NamedTuple

from bot.models import Paper
from bot.names import author_matches, index_keys_of, parse_author_query
from bot.query import Filters, UsageError, normalize_category
from bot.query.rules import RadarRule, parse_rule

__all__ = ["RadarIndex", "RadarMatch", "RadarRule", "UsageError", "match_paper", "parse_rule"]

# An author hit outranks any number of keyword hits, which outrank category and feed hits.
SCORES: dict[str, float] = {"author": 100.0, "keyword": 10.0, "cat": 1.0, "feed": 1.0}
REPLACEMENT_TYPES = frozenset({"replace", "replace-cross"})


class RadarMatch(NamedTuple):
    """Why a paper is on a channel's radar, and how strongly (a NamedTuple: cheap to build in bulk)."""

    score: float
    matched_authors: tuple[str, ...]
    reasons: tuple[str, ...]  # the texts of the rules that matched


# ---- matching ---------------------------------------------------------------------------------

_GAP = r"[\s\-‐‑–]+"  # "physics-informed" matches "physics informed" and the other way round
_Hits = dict[int, tuple[str, ...]]  # paper index -> the author strings that matched (or ())


def _keyword_pieces(keyword: str) -> list[str]:
    """A keyword's pieces between spaces and hyphens, case-folded."""
    return [p for p in re.split(_GAP, keyword.casefold()) if p]


def _keyword_pattern(pieces: list[str]) -> re.Pattern[str]:
    """A whole-word, case-insensitive regex of a keyword's pieces (the last may take a plural s/es)."""
    first = re.escape(pieces[0])
    # The literal comes first so that re scans for it quickly; the word boundary before it is
    # then checked by a fixed-width lookbehind.
    head = first + (rf"(?<!\w{first})" if pieces[0][0].isalnum() else "")
    body = "".join(_GAP + re.escape(p) for p in pieces[1:])
    tail = r"(?:e?s)?(?!\w)" if pieces[-1][-1].isalnum() else ""
    return re.compile(head + body + tail)


_WORD_RE = re.compile(r"\w+")
_WORD_INDEX_AFTER = 20  # distinct keywords looked up before a word index pays for itself


class RadarIndex:
    """A day's papers indexed by author part, category and archive; their text for keywords."""

    def __init__(self, papers: Sequence[Paper]) -> None:
        self.papers = list(papers)
        self.by_id = {p.id: p for p in self.papers}
        self._parts: dict[str, list[tuple[int, str]]] = {}
        self._cats: dict[str, set[int]] = {}
        for i, paper in enumerate(self.papers):
            for author in paper.authors:
                for part in index_keys_of(author):
                    self._parts.setdefault(part, []).append((i, author))
            cats = [*paper.categories, paper.primary_category] if paper.primary_category else paper.categories
            for raw in cats:
                cat = normalize_category(raw) or raw
                self._cats.setdefault(cat, set()).add(i)
                self._cats.setdefault(cat.split(".")[0], set()).add(i)  # cat:math covers math.*
        self._text = ""  # every title + abstract, case-folded, NUL-separated; built on first use
        self._replacements = {i for i, p in enumerate(self.papers) if p.announce_type in REPLACEMENT_TYPES}
        self._ascii = ""
        self._starts: list[int] = []
        self._hits: dict[tuple[str, str], _Hits] = {}  # shared by every channel with the same rule
        self._word_index: dict[str, list[int]] | None = None
        self._keyword_lookups = 0

    def _author_hits(self, value: str) -> _Hits:
        try:
            query = parse_author_query(value)
        except ValueError:
            return {}
        postings = min((self._parts.get(k, []) for k in query.index_keys), key=len, default=[])
        hits: dict[int, list[str]] = {}
        for i, author in postings:
            if author_matches(query, author):
                hits.setdefault(i, []).append(author)
        return {i: tuple(a) for i, a in hits.items()}

    def _words(self) -> dict[str, list[int]]:
        """The day's word index (folded \\w+ tokens of title and abstract -> papers), built on
        first use: one pass over the day's text."""
        if self._word_index is None:
            # Lists appended to, not sets added to: ~275,000 (word, paper) pairs a day, and
            # a lookup makes a set of the few lists it reads (200 against 270 ms to build).
            index: defaultdict[str, list[int]] = defaultdict(list)
            for i, paper in enumerate(self.papers):
                for token in set(_WORD_RE.findall(f"{paper.title}\n{paper.abstract}".casefold())):
                    index[token].append(i)
            self._word_index = dict(index)
        return self._word_index

    def _posted(self, word: str, plural: bool = False) -> set[int]:
        index = self._words()
        if not plural:
            return set(index.get(word, ()))
        return set().union(*(index.get(w, ()) for w in (word, f"{word}s", f"{word}es")))

    def _single_word_hits(self, word: str) -> _Hits:
        """Whole-word hits of a one-word keyword (plural s/es too) from a word index of the day.

        The index costs one pass over the day's text; it is built once many channels have
        asked for keywords, after which every one-word keyword is a few set lookups."""
        return dict.fromkeys(self._posted(word, plural=True), ())

    def _day_text(self) -> None:
        if not self._starts:
            texts = [f"{p.title}\n{p.abstract}".casefold() for p in self.papers]
            self._starts = list(itertools.accumulate((len(t) + 1 for t in texts), initial=0))
            self._text = "\0".join(texts)
            # Same length, one byte per char: str.find is fastest on an ASCII string.
            self._ascii = self._text.encode("ascii", "replace").decode("ascii")

    def _keyword_hits(self, keyword: str) -> _Hits:
        self._keyword_lookups += 1
        folded = keyword.casefold()
        indexed = self._keyword_lookups > _WORD_INDEX_AFTER
        if indexed and _WORD_RE.fullmatch(folded):
            return self._single_word_hits(folded)
        self._day_text()
        pieces = _keyword_pieces(folded)
        pattern = _keyword_pattern(pieces)
        if indexed and all(p.isalnum() for p in pieces):
            # Each piece of letters and digits is a whole word wherever the pattern matches
            # (the last may take s/es), so the papers holding every one of them are the only
            # candidates: for a two-word topic, a few set lookups instead of a find of its
            # longest word through the whole day's text, once per paper holding that word.
            candidates = self._posted(pieces[-1], plural=True).intersection(
                *(self._posted(p) for p in pieces[:-1])
            )
            return {
                i: ()
                for i in sorted(candidates)
                if pattern.search(self._text, self._starts[i], self._starts[i + 1] - 1)
            }
        # str.find over all the day's text finds candidate papers at C speed (the longest piece
        # skips furthest); the regex then checks whole words in each candidate paper once.
        needle = max(pieces, key=len)
        haystack = self._ascii if needle.isascii() else self._text
        hits: _Hits = {}
        pos = haystack.find(needle)
        while pos >= 0:  # one step per candidate paper, however often the needle occurs in it
            i = bisect.bisect_right(self._starts, pos) - 1
            end = self._starts[i + 1] - 1
            if pattern.search(self._text, self._starts[i], end):
                hits[i] = ()
            pos = haystack.find(needle, end)
        return hits

    def _rule_hits(self, rule: RadarRule) -> _Hits:
        key = (rule.kind, rule.value.casefold() if rule.kind == "keyword" else rule.value)
        if key not in self._hits:
            if rule.kind == "author":
                self._hits[key] = self._author_hits(rule.value)
            elif rule.kind == "cat":
                cat = normalize_category(rule.value) or rule.value
                self._hits[key] = dict.fromkeys(self._cats.get(cat, ()), ())
            elif rule.kind == "keyword" and re.sub(_GAP, "", rule.value):
                self._hits[key] = self._keyword_hits(rule.value)
            elif rule.kind == "feed":
                self._hits[key] = {
                    i: () for i, p in enumerate(self.papers) if p.source and rule.value in p.source
                }
            else:
                self._hits[key] = {}
        return self._hits[key]

    def match(
        self, rules: Sequence[RadarRule], *, include_replacements: bool | None = None
    ) -> dict[str, RadarMatch]:
        """Paper id -> match for every paper any rule matches, best first."""
        unique = list(dict.fromkeys(rules))
        if include_replacements is None:
            include_replacements = any(r.kind == "include" for r in unique)
        skip = set() if include_replacements else self._replacements
        weight = {rule.text: SCORES.get(rule.kind, 0.0) for rule in unique}
        reasons: dict[int, list[str]] = {}  # the hot loop: one dict lookup per hit
        authors: dict[int, list[str]] = {}
        for rule in unique:
            hits, reason = self._rule_hits(rule), rule.text
            for i in hits.keys() - skip:
                found = reasons.get(i)
                if found is None:
                    reasons[i] = [reason]
                else:
                    found.append(reason)
            if rule.kind == "author":
                for i, names in hits.items():
                    authors.setdefault(i, []).extend(names)
        scored = sorted(((sum(weight[r] for r in found), i) for i, found in reasons.items()), reverse=True)
        out: dict[str, RadarMatch] = {}
        for score, i in scored:
            paper = self.papers[i]
            names = tuple(dict.fromkeys(a for a in paper.authors if a in authors[i])) if i in authors else ()
            out[paper.id] = RadarMatch(score, names, tuple(reasons[i]))
        return out


def match_paper(paper: Paper, rules: Sequence[RadarRule]) -> RadarMatch | None:
    """How one paper matches a radar, or None."""
    return RadarIndex([paper]).match(rules).get(paper.id)


def narrow(papers: Sequence[Paper], filters: Filters) -> list[Paper]:
    """The papers passing every filter of a query (`/papers today cat:math "operator"`), in order."""
    index = RadarIndex(papers)
    keep = {p.id for p in papers}
    groups: list[list[RadarRule]] = [[RadarRule("author", a)] for a in filters.authors]
    if filters.categories:
        groups.append([RadarRule("cat", c) for c in filters.categories])
    groups += [[RadarRule("keyword", w)] for w in (*filters.words, *filters.phrases)]
    for rules in groups:
        keep &= set(index.match(rules, include_replacements=True))
    for excluded in filters.exclude:
        keep -= set(index.match([RadarRule("keyword", excluded)], include_replacements=True))
    return [p for p in papers if p.id in keep]
