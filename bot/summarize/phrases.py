"""Key phrases of one paper: the words and phrases the theme finder counts, with stable ids.

A paper sits in many channels' digests on its day, so its analysis is cached, and each term and
phrase gets an integer id from one vocabulary: a digest's counting is then numpy work on id
arrays, not dictionary work (100 channels' briefings must fit in the digest build's second).
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from bot.summarize.text import STOP_WORDS, clean_latex

IdArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Radar = tuple[frozenset[str], tuple[str, ...]]
NO_RADAR: Radar = (frozenset(), ())
_LENGTH_WEIGHT = (1.0, 1.6, 1.7)  # a two- or three-word phrase says more than a word
_TWO_CAPITALS = re.compile(r"[A-Z].*[A-Z]")
_MAX_VOCABULARY = 2_000_000  # ids are forgotten (with every cached paper) past this

# Never a label on their own: they say nothing about the day's topics (the examples first).
_GENERIC_TEXT = """
method methods result results approach approaches paper papers propose proposes proposed introduce
introduces work works framework frameworks model models system systems problem problems task tasks
performance analysis study studies experiment experiments evaluation benchmark benchmarks data
dataset datasets technique techniques algorithm algorithms setting settings application applications
computational cost costs efficiency accuracy quality baseline baselines state art sota improvement
improvements challenge challenges limitation limitations issue issues solution solutions strategy
strategies design designs component components module modules property properties process processes
effect effects impact role term terms way ways number case cases level levels step steps time times
set sets part parts type types form forms aspect aspects idea ideas insight insights need needs use
uses user users field fields area areas domain domains research researcher researchers author
authors finding findings contribution contributions extensive comprehensive effective efficient
novel existing prior previous recent current various different significant strong robust simple
general specific key main new paradigm paradigms pipeline pipelines mechanism mechanisms capability
capabilities ability abilities input inputs output outputs information knowledge feature features
representation representations structure structures function functions parameter parameters
objective objectives scenario scenarios practice practical theory theoretical empirical empirically
space spaces character characters example examples order orders formulation formulations condition
conditions exact remark remarks zero configuration configurations observation observations equation
equations group groups energy evidence
"""
GENERIC_WORDS = frozenset(_GENERIC_TEXT.split())
# The field's wallpaper in 2026: true of half of any day's papers, so they name no theme.
GENERIC_PHRASES = frozenset(
    {
        "llm",
        "ai",
        "ml",
        "nlp",
        "language model",
        "large language model",
        "deep learning",
        "machine learning",
        "neural network",
        "deep neural network",
        "artificial intelligence",
        "real world",
        "real-world",
        "test set",
        "training data",
        "downstream task",
        "case study",
        "large model",
        "natural language",
        "understanding",
        "still",
    }
)
# Words that leave a phrase dangling when they end it ("multimodal large", "physics-informed").
_NOT_A_HEAD_TEXT = """
large small deep neural multi based aware free guided driven level scale wide grained order high low
long short fast slow single multiple joint global local open closed real full end first second self
cross non pre post sub inter intra
"""
_NOT_A_HEAD = frozenset(_NOT_A_HEAD_TEXT.split())
_ADJECTIVE_END = re.compile(r"(?:al|ive|ous|ic|ed|ful|less|able|ible|ary)$")
_NOUNS_TEXT = """
retrieval signal interval potential material animal proposal journal manual tutorial arrival
survival trial removal terminal principal logic graphic topic clinic dynamic
"""
_NOUNS_LIKE_ADJECTIVES = frozenset(_NOUNS_TEXT.split())

_CHUNK_RE = re.compile(r"[.,;:!?()\[\]{}\"“”‘’'/=<>+*|]|\s[-–—]\s")
_TOKEN_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-]*[A-Za-z0-9]|[A-Za-z]")
# Abstract filler that the TL;DR stop list can keep, but no key phrase may contain.
_MORE_STOP_TEXT = """
still instead whereas whilst hence therefore namely thereby although though often usually typically
currently recently finally first second third last page project code github
indicate indicates suggest suggests reveal reveals confirm confirms highlight highlights
"""
_STOP = STOP_WORDS | frozenset(_MORE_STOP_TEXT.split())


@dataclass(frozen=True, slots=True)
class PaperPhrases:
    """What the theme finder reads of one paper."""

    term_ids: IdArray  # unigrams and bigrams, for tf-idf (unique)
    term_tf: FloatArray  # their sublinear term frequency, 1 + log(count)
    term_words: IdArray  # per term: the ids of its one or two words (-1 for none)
    phrase_ids: IdArray  # 1–3-word label candidates (unique)
    in_title: BoolArray  # per phrase: it occurs in the title
    weight: FloatArray  # per phrase: length weight, 0 for a word that cannot stand alone
    surfaces: dict[str, str]  # phrase key -> as first written (abstract spelling first)


class Vocabulary:
    """Ids of term and phrase keys; `key(id)` turns an id back into its text."""

    def __init__(self) -> None:
        self._ids: dict[str, int] = {}
        self._keys: list[str] = []
        self._lock = threading.Lock()  # slash commands summarise from worker threads too

    def ids(self, keys: Iterable[str]) -> IdArray:
        """The ids of these keys, new keys numbered as they come."""
        out = []
        with self._lock:
            for key in keys:
                found = self._ids.get(key)
                if found is None:
                    found = self._ids[key] = len(self._keys)
                    self._keys.append(key)
                out.append(found)
        return np.array(out, dtype=np.int64)

    def key(self, key_id: int) -> str:
        """The key of an id."""
        return self._keys[key_id]

    def __len__(self) -> int:
        return len(self._keys)


VOCABULARY = Vocabulary()


def paper_phrases(title: str, abstract: str) -> PaperPhrases:
    """The cached analysis of one paper."""
    return _analysed(title, abstract)


def start_afresh_if_full() -> None:
    """Forget every id (and every analysed paper) once the vocabulary is too big; called before
    a digest's papers are read, so that one digest's ids all come from one vocabulary."""
    global VOCABULARY
    if len(VOCABULARY) > _MAX_VOCABULARY:
        _analysed.cache_clear()
        VOCABULARY = Vocabulary()


@lru_cache(maxsize=8192)
def _analysed(title: str, abstract: str) -> PaperPhrases:
    tokens: list[str] = []
    surfaces: dict[str, str] = {}
    title_keys: set[str] = set()
    # The abstract first: its spelling ("uncertainty quantification") beats a title's Title Case.
    for in_title, text in ((False, clean_latex(abstract)), (True, clean_latex(title))):
        for chunk in _CHUNK_RE.split(text):
            words: list[str] = []
            keys: list[str] = []
            for word in _TOKEN_RE.findall(chunk):
                key = _word_key(word)
                if key is not None:
                    # Title Case is the title's style, not the phrase's: "Support Strategies".
                    words.append(word.lower() if in_title and word[1:].islower() else word)
                    keys.append(key)
                elif keys:
                    _add_run(words, keys, tokens, surfaces, title_keys if in_title else None)
                    words, keys = [], []
            if keys:
                _add_run(words, keys, tokens, surfaces, title_keys if in_title else None)
    phrases = [k for k in surfaces if _shape_allowed(k)]
    counts = Counter(tokens)
    weight = [_phrase_weight(k, surfaces[k], k in title_keys) for k in phrases]
    pairs = [t.split(" ") for t in counts]  # a term is one word or a bigram
    flat = VOCABULARY.ids(w for pair in pairs for w in pair)
    sizes = np.array([len(p) for p in pairs], dtype=np.int64)
    starts = np.cumsum(sizes) - sizes
    term_words = np.full((len(pairs), 2), -1, dtype=np.int64)
    term_words[:, 0] = flat[starts]
    term_words[sizes == 2, 1] = flat[starts[sizes == 2] + 1]
    return PaperPhrases(
        term_ids=VOCABULARY.ids(counts),
        term_tf=np.array([1.0 + math.log(c) for c in counts.values()]),
        term_words=term_words,
        phrase_ids=VOCABULARY.ids(phrases),
        in_title=np.array([k in title_keys for k in phrases], dtype=bool),
        weight=np.array(weight),
        surfaces={k: surfaces[k] for k in phrases},
    )


def _phrase_weight(key: str, surface: str, in_title: bool) -> float:
    """Single words of abstracts are mostly verbs and filler: one stands alone only from a title
    or as an acronym ("GRPO")."""
    if " " in key:
        return _LENGTH_WEIGHT[min(key.count(" "), 2)]
    return 1.0 if in_title or _TWO_CAPITALS.search(surface) else 0.0


def _add_run(
    run: list[str], keys: list[str], tokens: list[str], surfaces: dict[str, str], title_keys: set[str] | None
) -> None:
    """Record one run of content words: its uni/bigrams for clustering, its 1–3-grams as labels."""
    size = len(keys)
    for i, key in enumerate(keys):
        if key not in GENERIC_WORDS:
            tokens.append(key)
        grams = [key]
        if i + 1 < size:
            grams.append(f"{key} {keys[i + 1]}")
            tokens.append(grams[1])
            if i + 2 < size:
                grams.append(f"{grams[1]} {keys[i + 2]}")
        for n, gram in enumerate(grams, 1):
            if gram not in surfaces:
                surfaces[gram] = " ".join(run[i : i + n])
        if title_keys is not None:
            title_keys.update(grams)


def phrase_key_of(word: str) -> str:
    """A word's comparison key: lower case, a plural ending dropped ("policies" -> "policy")."""
    if len(word) >= 3 and word.endswith("s") and word[:-1].isupper():
        return word[:-1].lower()  # "LLMs", "GNNs"
    w = word.lower()
    if len(w) <= 4 or not w.endswith("s") or w.endswith(("ss", "us", "is", "ics")):
        return w
    if w.endswith("ies"):
        return w[:-3] + "y"
    if w.endswith(("sses", "ches", "shes", "xes")):
        return w[:-2]
    return w[:-1]


def _content(word: str) -> bool:
    low = word.lower()
    return not (low in _STOP or low.isdigit() or len(low) < 2 or low.endswith("ly"))


@lru_cache(maxsize=65536)
def _word_key(word: str) -> str | None:
    """The key of a content word; None for stop words and numbers (they break a phrase)."""
    return phrase_key_of(word) if _content(word) else None


def radar_words(radar_terms: Iterable[str]) -> Radar:
    """The radar's content words (keys) and its whole terms (lower case)."""
    words: set[str] = set()
    terms: list[str] = []
    for term in radar_terms:
        low = term.strip().lower()
        if not low:
            continue
        terms.append(" ".join(phrase_key_of(w) for w in _TOKEN_RE.findall(low)))
        words.update(phrase_key_of(w) for w in _TOKEN_RE.findall(low) if _content(w))
        words.update(phrase_key_of(w) for w in re.split(r"[.\-]", low) if w)  # "cs.LG" -> "cs", "lg"
    return frozenset(words), tuple(t for t in terms if t)


def label_allowed(phrase_key: str, radar: Radar = NO_RADAR) -> bool:
    """Whether a phrase may name a theme: not generic, not dangling, not the channel's own radar."""
    if not _shape_allowed(phrase_key):
        return False
    radar_words, radar_terms = radar
    words = phrase_key.split(" ")
    if radar_words and all(w in radar_words for w in words):
        return False
    return not any(f" {t} " in f" {phrase_key} " for t in radar_terms)


@lru_cache(maxsize=131072)  # common words and bigrams recur in every day's abstracts
def _shape_allowed(phrase_key: str) -> bool:
    """The radar-free part of label_allowed: generic words, dangling adjectives, numbers."""
    words = phrase_key.split(" ")
    if all(w in GENERIC_WORDS for w in words) or len(phrase_key) < 3 or phrase_key in GENERIC_PHRASES:
        return False
    return _head_allowed(words[-1]) and not (len(words) == 1 and words[0] in _NOT_A_HEAD)


@lru_cache(maxsize=65536)
def _head_allowed(head: str) -> bool:
    if head in _NOT_A_HEAD or head.isdigit():
        return False
    return head in _NOUNS_LIKE_ADJECTIVES or not _ADJECTIVE_END.search(head)
