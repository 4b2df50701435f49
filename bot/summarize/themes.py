"""The day's themes: papers grouped by content, each labelled by a key phrase its papers share.

tf-idf over title + abstract, a small latent space (LSA), Ward clustering into 2–4 groups
(scikit-learn, imported on first use: it takes seconds to import and most CLI calls never brief),
then a class-based tf-idf over noun-like phrases picks the label that is frequent in the group and
rare outside it. Nothing is fitted ahead of time: each call sees only the digest's own papers.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from bot.models import DigestEntry, Paper
from bot.summarize.text import STOP_WORDS, clean_latex

MAX_THEMES = 4

# Never a label on their own: they say nothing about the day's topics (the examples first).
GENERIC_WORDS = frozenset(
    """method methods result results approach approaches paper papers propose proposes proposed
    introduce introduces work works framework frameworks model models system systems problem problems
    task tasks performance analysis study studies experiment experiments evaluation benchmark benchmarks
    data dataset datasets technique techniques algorithm algorithms setting settings application
    applications computational cost costs efficiency accuracy quality baseline baselines
    state art sota improvement improvements challenge challenges limitation limitations issue issues
    solution solutions strategy strategies design designs component components module modules
    property properties process processes effect effects impact role term terms way ways number
    case cases level levels step steps time times set sets part parts type types form forms
    aspect aspects idea ideas insight insights need needs use uses user users field fields area areas
    domain domains research researcher researchers author authors finding findings contribution
    contributions extensive comprehensive effective efficient novel existing prior previous recent
    current various different significant strong robust simple general specific key main new
    paradigm paradigms pipeline pipelines mechanism mechanisms capability capabilities ability abilities
    input inputs output outputs information knowledge feature features representation
    representations structure structures function functions parameter parameters objective objectives
    scenario scenarios practice practical theory theoretical empirical empirically""".split()
)
# Words that leave a phrase dangling when they end it ("multimodal large", "physics-informed").
_NOT_A_HEAD = frozenset(
    """large small deep neural multi based aware free guided driven level scale wide grained order
    high low long short fast slow single multiple joint global local open closed real full end
    first second self cross non pre post sub inter intra""".split()
)
_ADJECTIVE_END = re.compile(r"(?:al|ive|ous|ic|ed|ful|less|able|ible|ary)$")
_NOUNS_LIKE_ADJECTIVES = frozenset(
    """retrieval signal interval potential material animal proposal journal manual tutorial arrival
    survival trial removal terminal principal logic graphic topic clinic dynamic""".split()
)

_CHUNK_RE = re.compile(r"[.,;:!?()\[\]{}\"“”‘’'/=<>+*|]|\s[-–—]\s")
_TOKEN_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-]*[A-Za-z0-9]|[A-Za-z]")
_CLUSTER_STOP = STOP_WORDS | GENERIC_WORDS


@dataclass(frozen=True, slots=True)
class Theme:
    """A group of the digest's papers and the phrase that names it."""

    label: str  # a key phrase as its papers write it (not translated)
    numbers: tuple[int, ...]  # digest numbers, ascending
    central: int  # the paper nearest the group's centre
    by_centrality: tuple[int, ...] = ()  # the theme's numbers, nearest the centre first


@dataclass(frozen=True, slots=True)
class _PaperText:
    """What the theme finder reads of one paper (cached: a paper sits in many channels' digests)."""

    tokens: tuple[str, ...]  # unigram and bigram keys with repeats, for tf-idf
    phrases: dict[str, str]  # label candidate key -> surface as first written
    title_keys: frozenset[str]  # candidate keys that occur in the title


def _key(word: str) -> str:
    """A word's comparison key: lower case, a plural ending dropped ("policies" -> "policy")."""
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
    return not (low in STOP_WORDS or low.isdigit() or len(low) < 2 or low.endswith("ly"))


@lru_cache(maxsize=8192)
def _paper_text(title: str, abstract: str) -> _PaperText:
    tokens: list[str] = []
    phrases: dict[str, str] = {}
    title_keys: set[str] = set()
    for source, text in (("title", clean_latex(title)), ("abstract", clean_latex(abstract))):
        for chunk in _CHUNK_RE.split(text):
            run: list[str] = []
            for word in [*_TOKEN_RE.findall(chunk), ""]:
                if word and _content(word):
                    run.append(word)
                    continue
                _add_run(run, source == "title", tokens, phrases, title_keys)
                run = []
    return _PaperText(tuple(tokens), phrases, frozenset(title_keys))


def _add_run(
    run: list[str], in_title: bool, tokens: list[str], phrases: dict[str, str], title_keys: set[str]
) -> None:
    """Record one run of content words: its uni/bigrams for clustering, its 1–3-grams as labels."""
    keys = [_key(w) for w in run]
    for i, key in enumerate(keys):
        if key not in GENERIC_WORDS:
            tokens.append(key)
        if i + 1 < len(keys):
            tokens.append(f"{key} {keys[i + 1]}")
        for n in (1, 2, 3):
            if i + n > len(keys):
                break
            phrase_key = " ".join(keys[i : i + n])
            phrases.setdefault(phrase_key, " ".join(run[i : i + n]))
            if in_title:
                title_keys.add(phrase_key)


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
    words = phrase_key.split()
    radar_words, radar_terms = radar
    if all(w in GENERIC_WORDS for w in words) or all(w in radar_words for w in words):
        return False
    if any(f" {t} " in f" {phrase_key} " for t in radar_terms):
        return False
    head = words[-1]
    if head in _NOT_A_HEAD or head in GENERIC_WORDS and len(words) == 1:
        return False
    if _ADJECTIVE_END.search(head) and head not in _NOUNS_LIKE_ADJECTIVES:
        return False
    if words[0] in _NOT_A_HEAD and len(words) == 1:
        return False
    return len(phrase_key) >= 3 and not head.isdigit()


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
    for members in sorted(groups, key=lambda g: (-len(g), g[0])):
        label = _label(members, texts, radar, used)
        if label is None:
            continue
        centre = space[members].mean(axis=0)
        closeness = space[members] @ centre
        order = tuple(entries[members[j]].number for j in np.argsort(-closeness, kind="stable"))
        numbers = tuple(sorted(order))
        themes.append(Theme(label=label, numbers=numbers, central=order[0], by_centrality=order))
    return themes


def _cluster(
    texts: Sequence[_PaperText], radar_words: frozenset[str], max_themes: int
) -> tuple[list[list[int]], np.ndarray]:
    """Groups (indices into texts, ≥ 2 each) and each paper's unit vector in the latent space."""
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.metrics import silhouette_score

    n = len(texts)
    docs = [[t for t in text.tokens if not radar_words.intersection(t.split())] for text in texts]
    matrix = _tfidf(docs)
    if matrix is None:
        return [], np.zeros((n, 1))
    space = _latent(matrix.toarray(), dims=min(8, max(2, n // 5)))
    if n < 6:  # too few to split into groups of two or more with any confidence
        return [list(range(n))], space
    best: tuple[float, list[list[int]]] = (-2.0, [])
    for k in range(2, min(max_themes, n // 2) + 1):
        labels = AgglomerativeClustering(n_clusters=k, linkage="ward").fit_predict(space)
        score = float(silhouette_score(space, labels)) if len(set(labels)) > 1 else -1.0
        groups = [[i for i in range(n) if labels[i] == c] for c in range(k)]
        groups = [g for g in groups if len(g) >= 2]
        if score > best[0] and groups:
            best = (score, groups)
    return best[1], space


def _tfidf(docs: list[list[str]]) -> Any:
    """Sublinear tf-idf over the digest's own papers; terms in one paper only are noise here."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    for min_df in (2, 1):
        vectorizer = TfidfVectorizer(analyzer=_identity, min_df=min_df, sublinear_tf=True)
        try:
            return vectorizer.fit_transform(docs)
        except ValueError:  # nothing shared by two papers (or nothing at all)
            continue
    return None


def _identity(tokens: list[str]) -> list[str]:
    return tokens


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
    radar: tuple[frozenset[str], tuple[str, ...]],
    used: set[str],
) -> str | None:
    """The phrase most frequent in the group and rarest outside it (class-based tf-idf)."""
    inside = Counter(k for i in members for k in texts[i].phrases)
    outside = Counter(k for i, t in enumerate(texts) if i not in members for k in t.phrases if k in inside)
    in_title = Counter(k for i in members for k in texts[i].title_keys)
    best: tuple[float, str] | None = None
    for key, df_in in inside.items():
        if df_in < 2 or key in used or not label_allowed(key, radar):
            continue
        if " " not in key and not in_title[key] and not _acronym(key, members, texts):
            continue  # single words of abstracts are mostly verbs and filler; titles are noun phrases
        if any(set(key.split()) & set(u.split()) for u in used):
            continue  # two themes named by the same word read as one
        precision = df_in / (df_in + outside[key])
        length = (1.0, 1.5, 1.6)[min(3, len(key.split())) - 1]
        score = df_in / len(members) * precision**2 * length * (1 + 0.5 * in_title[key] / df_in)
        if best is None or (score, key) > best:
            best = (score, key)
    if best is None:
        return None
    key = best[1]
    used.add(key)
    surfaces = Counter(texts[i].phrases[key] for i in members if key in texts[i].phrases)
    surface = sorted(surfaces.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
    return surface


def _acronym(key: str, members: list[int], texts: Sequence[_PaperText]) -> bool:
    surface = next(texts[i].phrases[key] for i in members if key in texts[i].phrases)
    return sum(c.isupper() for c in surface) >= 2


def primary_archive(paper: Paper) -> str | None:
    """The arXiv archive of a paper's primary category (`cs`, `math`, `q-bio`, `cond-mat` …)."""
    category = paper.primary_category or (paper.categories[0] if paper.categories else None)
    return category.split(".")[0] if category else None
