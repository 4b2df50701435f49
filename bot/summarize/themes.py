"""The day's themes: papers grouped by content, each labelled by a key phrase its papers share.

tf-idf over title + abstract, a small latent space (LSA), Ward clustering into 2–4 groups
(SciPy's hierarchy, imported on first use; scikit-learn's estimators validate their parameters
on every call, ~10 ms a briefing, a second for 100 channels),
then a class-based tf-idf over noun-like phrases picks the label that is frequent in the group and
rare outside it. Nothing is fitted ahead of time: each call sees only the digest's own papers.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from bot.models import DigestEntry, Paper
from bot.summarize.text import STOP_WORDS, clean_latex

MAX_THEMES = 4

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
"""
_STOP = STOP_WORDS | frozenset(_MORE_STOP_TEXT.split())


@dataclass(frozen=True, slots=True)
class Theme:
    """A group of the digest's papers and the phrase that names it."""

    label: str  # a key phrase as its papers write it (not translated)
    numbers: tuple[int, ...]  # digest numbers, ascending
    central: int  # the paper nearest the group's centre
    by_centrality: tuple[int, ...] = ()  # the theme's numbers, nearest the centre first
    sharing: tuple[int, ...] = ()  # the theme's numbers whose title or abstract has the label phrase


@dataclass(frozen=True, slots=True)
class _PaperText:
    """What the theme finder reads of one paper (cached: a paper sits in many channels' digests)."""

    tf: dict[str, float]  # unigram and bigram keys -> sublinear term frequency, for tf-idf
    phrases: dict[str, str]  # label candidate key -> surface as first written
    title_keys: frozenset[str]  # candidate keys that occur in the title


def _key(word: str) -> str:
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
    return _key(word) if _content(word) else None


@lru_cache(maxsize=8192)
def _paper_text(title: str, abstract: str) -> _PaperText:
    tokens: list[str] = []
    phrases: dict[str, str] = {}
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
                    _add_run(words, keys, in_title, tokens, phrases, title_keys)
                    words, keys = [], []
            if keys:
                _add_run(words, keys, in_title, tokens, phrases, title_keys)
    phrases = {k: v for k, v in phrases.items() if _shape_allowed(k)}
    title_keys &= phrases.keys()
    counts = Counter(tokens)
    tf = {t: 1.0 + math.log(c) for t, c in counts.items()}
    return _PaperText(tf, phrases, frozenset(title_keys))


def _add_run(
    run: list[str],
    keys: list[str],
    in_title: bool,
    tokens: list[str],
    phrases: dict[str, str],
    title_keys: set[str],
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
            if gram not in phrases:
                phrases[gram] = " ".join(run[i : i + n])
        if in_title:
            title_keys.update(grams)


def _radar_words(radar_terms: Iterable[str]) -> tuple[frozenset[str], tuple[str, ...]]:
    """The radar's content words (keys) and its whole terms (lower case)."""
    words: set[str] = set()
    terms: list[str] = []
    for term in radar_terms:
        low = term.strip().lower()
        if not low:
            continue
        terms.append(" ".join(_key(w) for w in _TOKEN_RE.findall(low)))
        words.update(_key(w) for w in _TOKEN_RE.findall(low) if _content(w))
        words.update(_key(w) for w in re.split(r"[.\-]", low) if w)  # "cs.LG" -> "cs", "lg"
    return frozenset(words), tuple(t for t in terms if t)


def label_allowed(phrase_key: str, radar: tuple[frozenset[str], tuple[str, ...]] = (frozenset(), ())) -> bool:
    """Whether a phrase may name a theme: not generic, not dangling, not the channel's own radar."""
    if not _shape_allowed(phrase_key):
        return False
    radar_words, radar_terms = radar
    words = phrase_key.split(" ")
    if radar_words and all(w in radar_words for w in words):
        return False
    return not any(f" {t} " in f" {phrase_key} " for t in radar_terms)


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


def find_themes(
    entries: Sequence[DigestEntry], radar_terms: Sequence[str] = (), max_themes: int = MAX_THEMES
) -> list[Theme]:
    """2–4 groups of at least two papers each, biggest first; fewer for a tiny or scattered digest."""
    if len(entries) < 2:
        return []
    texts = [_paper_text(e.paper.title, e.paper.abstract) for e in entries]
    radar = _radar_words(radar_terms)
    groups, space = _cluster(texts, radar[0], max_themes)
    themes: list[Theme] = []
    used: set[str] = set()
    everywhere = Counter(k for text in texts for k in text.phrases)
    for members in sorted(groups, key=lambda g: (-len(g), g[0])):
        found = _label(members, texts, everywhere, radar, used)
        if found is None:
            continue
        key, label = found
        centre = space[members].mean(axis=0)
        closeness = space[members] @ centre
        order = tuple(entries[members[j]].number for j in np.argsort(-closeness, kind="stable"))
        numbers = tuple(sorted(order))
        sharing = tuple(sorted(entries[i].number for i in members if key in texts[i].phrases))
        if len(entries) < 4:
            numbers, order = sharing, tuple(n for n in order if n in sharing)
        themes.append(Theme(label, numbers, order[0], order, sharing))
    return themes


def _cluster(
    texts: Sequence[_PaperText], radar_words: frozenset[str], max_themes: int
) -> tuple[list[list[int]], np.ndarray]:
    """Groups (indices into texts, ≥ 2 each) and each paper's unit vector in the latent space."""
    from scipy.cluster.hierarchy import fcluster, linkage

    n = len(texts)
    matrix = _tfidf(texts, radar_words)
    if matrix is None:
        return [], np.zeros((n, 1))
    space = _latent(matrix, dims=min(8, max(2, n // 5)))
    if n < 4:  # too few to split: the papers that share a phrase are the theme
        return [list(range(n))], space
    tree = linkage(space, method="ward")
    best: tuple[float, list[list[int]]] = (-2.0, [])
    for k in range(2, min(max_themes, n // 2) + 1):
        labels = fcluster(tree, t=k, criterion="maxclust")
        groups = [[i for i in range(n) if labels[i] == c] for c in sorted(set(labels))]
        score = _silhouette(space, labels)
        groups = [g for g in groups if len(g) >= 2]
        if score > best[0] and groups:
            best = (score, groups)
    return best[1], space


def _tfidf(texts: Sequence[_PaperText], radar_words: frozenset[str]) -> np.ndarray | None:
    """Sublinear tf-idf rows (as scikit-learn's TfidfVectorizer computes them) over terms that two
    or more of the digest's papers share, the radar's own words left out; None when there are none."""
    df = Counter(t for text in texts for t in text.tf)
    vocabulary = [t for t, c in df.items() if c >= 2 and not radar_words.intersection(t.split(" "))]
    if not vocabulary:
        return None
    column = {t: j for j, t in enumerate(vocabulary)}
    matrix = np.zeros((len(texts), len(vocabulary)))
    for i, text in enumerate(texts):
        for term, weight in text.tf.items():
            j = column.get(term)
            if j is not None:
                matrix[i, j] = weight
    n = len(texts)
    idf = np.log((1 + n) / (1 + np.array([df[t] for t in vocabulary], dtype=float))) + 1.0
    matrix *= idf
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms > 0, norms, 1.0)


def _silhouette(space: np.ndarray, labels: np.ndarray) -> float:
    """Mean silhouette (euclidean), the usual score for choosing how many groups to cut."""
    distances = np.linalg.norm(space[:, None, :] - space[None, :, :], axis=2)
    onehot = labels[:, None] == np.unique(labels)[None, :]
    sizes = onehot.sum(axis=0)
    mean_to = (distances @ onehot) / sizes  # each paper's mean distance to each group
    own = onehot.argmax(axis=1)
    rows = np.arange(len(labels))
    own_size = sizes[own]
    a = np.where(own_size > 1, mean_to[rows, own] * sizes[own] / np.maximum(own_size - 1, 1), 0.0)
    mean_to[rows, own] = np.inf
    b = mean_to.min(axis=1)
    scale = np.maximum(a, b)
    values = np.where((own_size > 1) & (scale > 0), (b - a) / np.where(scale > 0, scale, 1.0), 0.0)
    return float(values.mean())


def _latent(dense: np.ndarray, dims: int) -> np.ndarray:
    """LSA: the top singular directions, rows scaled to unit length (Ward then ~ cosine)."""
    u, s, _ = np.linalg.svd(dense, full_matrices=False)
    dims = max(1, min(dims, int((s > 1e-9).sum())))
    space = u[:, :dims] * s[:dims]
    norms = np.linalg.norm(space, axis=1, keepdims=True)
    return np.asarray(space / np.where(norms > 0, norms, 1.0))


def _label(
    members: list[int],
    texts: Sequence[_PaperText],
    everywhere: Counter[str],
    radar: tuple[frozenset[str], tuple[str, ...]],
    used: set[str],
) -> tuple[str, str] | None:
    """The key and surface of the phrase most frequent in the group and rarest outside it."""
    inside = Counter(k for i in members for k in texts[i].phrases)
    in_title = Counter(k for i in members for k in texts[i].title_keys)
    best: tuple[float, str] | None = None
    for key, df_in in inside.items():
        if df_in < 2 or key in used or not label_allowed(key, radar):
            continue
        if " " not in key and not in_title[key] and not _acronym(key, members, texts):
            continue  # single words of abstracts are mostly verbs and filler; titles are noun phrases
        if any(set(key.split()) & set(u.split()) for u in used):
            continue  # two themes named by the same word read as one
        precision = df_in / everywhere[key]
        length = (1.0, 1.6, 1.7)[min(3, len(key.split())) - 1]
        score = df_in / len(members) * precision**2 * length * (1 + 0.5 * in_title[key] / df_in)
        if best is None or (score, key) > best:
            best = (score, key)
    if best is None:
        return None
    key = best[1]
    used.add(key)
    surfaces = Counter(texts[i].phrases[key] for i in members if key in texts[i].phrases)
    surface = sorted(surfaces.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
    return key, surface


def _acronym(key: str, members: list[int], texts: Sequence[_PaperText]) -> bool:
    surface = next(texts[i].phrases[key] for i in members if key in texts[i].phrases)
    return sum(c.isupper() for c in surface) >= 2


def primary_archive(paper: Paper) -> str | None:
    """The arXiv archive of a paper's primary category (`cs`, `math`, `q-bio`, `cond-mat` …)."""
    category = paper.primary_category or (paper.categories[0] if paper.categories else None)
    return category.split(".")[0] if category else None
