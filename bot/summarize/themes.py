"""The day's themes: papers grouped by content, each labelled by a key phrase its papers share.

tf-idf over title + abstract, a small latent space (LSA), Ward clustering into 2–4 groups (SciPy's
hierarchy, imported on first use), then a class-based tf-idf over noun-like phrases picks the label
that is frequent in the group and rare outside it. Nothing is fitted ahead of time: each call sees
only the digest's own papers. scikit-learn's estimators would do the same steps but validate their
parameters on every call: ~10 ms a briefing, a second for 100 channels.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bot.models import DigestEntry, Paper
from bot.summarize import phrases
from bot.summarize.phrases import (
    GENERIC_PHRASES,
    GENERIC_WORDS,
    FloatArray,
    PaperPhrases,
    Radar,
    label_allowed,
    paper_phrases,
    radar_words,
)

__all__ = ["GENERIC_PHRASES", "GENERIC_WORDS", "Theme", "find_themes", "label_allowed", "primary_archive"]

MAX_THEMES = 4


@dataclass(frozen=True, slots=True)
class Theme:
    """A group of the digest's papers and the phrase that names it."""

    label: str  # a key phrase as its papers write it (not translated)
    numbers: tuple[int, ...]  # digest numbers, ascending
    central: int  # the paper nearest the group's centre
    by_centrality: tuple[int, ...] = ()  # the theme's numbers, nearest the centre first
    sharing: tuple[int, ...] = ()  # the theme's numbers whose title or abstract has the label phrase


@dataclass(frozen=True, slots=True)
class _Incidence:
    """Which of the digest's papers has which phrase (columns: the digest's own phrases)."""

    ids: np.ndarray  # vocabulary id of each column
    has: np.ndarray  # papers × phrases, bool
    in_title: np.ndarray  # papers × phrases, bool
    weight: FloatArray  # per column: length weight, 0 when the phrase cannot stand alone


def find_themes(
    entries: Sequence[DigestEntry], radar_terms: Sequence[str] = (), max_themes: int = MAX_THEMES
) -> list[Theme]:
    """2–4 groups of at least two papers each, biggest first; fewer for a tiny or scattered digest."""
    if len(entries) < 2:
        return []
    phrases.start_afresh_if_full()
    texts = [paper_phrases(e.paper.title, e.paper.abstract) for e in entries]
    radar = radar_words(radar_terms)
    groups, space = _cluster(texts, radar[0], max_themes)
    incidence = _incidence(texts)
    themes: list[Theme] = []
    used: set[str] = set()
    for members in sorted(groups, key=lambda g: (-len(g), g[0])):
        column = _label_column(members, incidence, radar, used)
        if column is None:
            continue
        key = phrases.VOCABULARY.key(int(incidence.ids[column]))
        surfaces = Counter(texts[i].surfaces[key] for i in members if key in texts[i].surfaces)
        label = min(surfaces, key=lambda s: (-surfaces[s], s))
        centre = space[members].mean(axis=0)
        closeness = space[members] @ centre
        order = tuple(entries[members[j]].number for j in np.argsort(-closeness, kind="stable"))
        numbers = tuple(sorted(order))
        sharing = tuple(sorted(entries[i].number for i in members if incidence.has[i, column]))
        if len(entries) < 4:  # not clustered: the papers that share the phrase are the theme
            numbers, order = sharing, tuple(n for n in order if n in sharing)
        themes.append(Theme(label, numbers, order[0], order, sharing))
    return themes


def _incidence(texts: Sequence[PaperPhrases]) -> _Incidence:
    """Only phrases that two or more papers share: a label is shared by two of its group at least."""
    ids = np.concatenate([t.phrase_ids for t in texts])
    rows = np.repeat(np.arange(len(texts)), [len(t.phrase_ids) for t in texts])
    columns, where, df = np.unique(ids, return_inverse=True, return_counts=True)
    shared = df >= 2
    new_column = np.cumsum(shared) - 1
    chosen = shared[where]
    rows, where = rows[chosen], new_column[where[chosen]]
    has = np.zeros((len(texts), int(shared.sum())), dtype=bool)
    has[rows, where] = True
    in_title = np.zeros_like(has)
    in_title[rows, where] = np.concatenate([t.in_title for t in texts])[chosen]
    weight = np.zeros(has.shape[1])
    weight[where] = np.concatenate([t.weight for t in texts])[chosen]
    # A word that stands alone in one paper's title may in the others' too.
    weight = np.where((weight == 0) & in_title.any(axis=0), 1.0, weight)
    return _Incidence(columns[shared], has, in_title, weight)


def _label_column(members: list[int], incidence: _Incidence, radar: Radar, used: set[str]) -> int | None:
    """The column of the phrase most frequent in the group and rarest outside it (class-based tf-idf)."""
    inside = incidence.has[members].sum(axis=0)
    everywhere = incidence.has.sum(axis=0)
    titled = incidence.in_title[members].sum(axis=0)
    candidates = np.nonzero((inside >= 2) & (incidence.weight > 0))[0]
    if not len(candidates):
        return None
    df_in = inside[candidates].astype(float)
    precision = df_in / everywhere[candidates]
    score = (
        df_in
        / len(members)
        * precision**2
        * incidence.weight[candidates]
        * (1 + 0.5 * titled[candidates] / df_in)
    )
    top = candidates[np.argsort(-score, kind="stable")[:60]]
    score_of = dict(zip(candidates.tolist(), score.tolist(), strict=True))
    ranked = sorted(
        top.tolist(), key=lambda c: (-round(score_of[c], 9), phrases.VOCABULARY.key(int(incidence.ids[c])))
    )
    for column in ranked:
        key = phrases.VOCABULARY.key(int(incidence.ids[column]))
        if not label_allowed(key, radar) or any(set(key.split()) & set(u.split()) for u in used):
            continue  # the radar's own words, or a word that already names a theme
        used.add(key)
        return int(column)
    return None


def _cluster(
    texts: Sequence[PaperPhrases], radar_words: frozenset[str], max_themes: int
) -> tuple[list[list[int]], np.ndarray]:
    """Groups (indices into texts, ≥ 2 each) and each paper's unit vector in the latent space."""
    from scipy.cluster.hierarchy import linkage

    n = len(texts)
    matrix = _tfidf(texts, radar_words)
    if matrix is None:
        return [], np.zeros((n, 1))
    space = _latent(matrix, dims=min(8, max(2, n // 5)))
    if n < 4:  # too few to split: the papers that share a phrase are the theme
        return [list(range(n))], space
    tree = linkage(space, method="ward")
    distances = np.linalg.norm(space[:, None, :] - space[None, :, :], axis=2)
    best: tuple[float, list[list[int]]] = (-2.0, [])
    for k in range(2, min(max_themes, n // 2) + 1):
        labels = _cut(tree, n, k)
        groups = [[i for i in range(n) if labels[i] == c] for c in sorted(set(labels))]
        score = _silhouette(distances, labels)
        groups = [g for g in groups if len(g) >= 2]
        if score > best[0] and groups:
            best = (score, groups)
    return best[1], space


def _cut(tree: np.ndarray, n: int, k: int) -> np.ndarray:
    """Each paper's group when the Ward tree is cut into k groups: its first n - k merges applied
    (what scipy's fcluster does, without re-validating the tree on every call)."""
    parent = list(range(2 * n - 1))
    for step in range(n - k):
        left, right = int(tree[step, 0]), int(tree[step, 1])
        parent[left] = parent[right] = n + step
    roots = []
    for leaf in range(n):
        node = leaf
        while parent[node] != node:
            node = parent[node]
        roots.append(node)
    return np.unique(roots, return_inverse=True)[1]


def _tfidf(texts: Sequence[PaperPhrases], radar_words: frozenset[str]) -> np.ndarray | None:
    """Sublinear tf-idf rows (as scikit-learn's TfidfVectorizer computes them) over terms that two
    or more of the digest's papers share, the radar's own words left out; None when there are none."""
    ids = np.concatenate([t.term_ids for t in texts])
    rows = np.repeat(np.arange(len(texts)), [len(t.term_ids) for t in texts])
    columns, where, df = np.unique(ids, return_inverse=True, return_counts=True)
    keep = df >= 2
    if radar_words:
        words = np.concatenate([t.term_words for t in texts])
        radar_ids = phrases.VOCABULARY.ids(sorted(radar_words))
        blocked = np.zeros(len(columns), dtype=bool)
        blocked[where] = np.isin(words, radar_ids).any(axis=1)
        keep &= ~blocked
    if not keep.any():
        return None
    new_column = np.cumsum(keep) - 1
    chosen = keep[where]
    matrix = np.zeros((len(texts), int(keep.sum())))
    matrix[rows[chosen], new_column[where[chosen]]] = np.concatenate([t.term_tf for t in texts])[chosen]
    n = len(texts)
    matrix *= np.log((1 + n) / (1 + df[keep])) + 1.0
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.asarray(matrix / np.where(norms > 0, norms, 1.0))


def _silhouette(distances: np.ndarray, labels: np.ndarray) -> float:
    """Mean silhouette, the usual score for choosing how many groups to cut."""
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


def _latent(rows: np.ndarray, dims: int) -> np.ndarray:
    """LSA: each paper in the top singular directions, scaled to unit length (Ward then ~ cosine).
    The digest has few papers and many terms, so the small Gram matrix's eigenvectors give the
    left singular vectors far faster than an SVD of the whole matrix."""
    values, vectors = np.linalg.eigh(rows @ rows.T)
    order = np.argsort(values)[::-1]
    values, vectors = np.clip(values[order], 0.0, None), vectors[:, order]
    dims = max(1, min(dims, int((values > 1e-12).sum())))
    space = vectors[:, :dims] * np.sqrt(values[:dims])
    norms = np.linalg.norm(space, axis=1, keepdims=True)
    return np.asarray(space / np.where(norms > 0, norms, 1.0))


def primary_archive(paper: Paper) -> str | None:
    """The arXiv archive of a paper's primary category (`cs`, `math`, `q-bio`, `cond-mat` …)."""
    category = paper.primary_category or (paper.categories[0] if paper.categories else None)
    return category.split(".")[0] if category else None
