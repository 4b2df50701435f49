"""The lab's interest (SPEC §8): score papers by how close they are to what a channel saved."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from bot.models import Paper

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

BoolArray = npt.NDArray[np.bool_]
HashArray = npt.NDArray[np.uint64]

# Tokens are runs of ASCII letters/digits and non-ASCII UTF-8 bytes: punctuation and hyphens split,
# so "physics-informed" also yields the bigram "physics informed".
_WORD_BYTE = np.zeros(256, dtype=bool)
_WORD_BYTE[ord("a") : ord("z") + 1] = _WORD_BYTE[ord("0") : ord("9") + 1] = _WORD_BYTE[128:] = True
_MAX_TOKEN_BYTES = 48  # longer tokens are hashed on their first 48 bytes
_BYTE_MASKS = np.array([(1 << (8 * n)) - 1 for n in range(8)] + [2**64 - 1], dtype=np.uint64)
# Kept short on purpose: idf already damps common words; these mainly stop bigrams spanning them.
_STOPWORD_TEXT = """a about above after again all also although among an and any approach are as at based be
    been
    being both but by can could do does done due each either et etc few for from further given has
    have having here how however i if in into is it its itself just may might more most much must
    new not novel of on one only or other our over paper per propose proposed provide results same
    several show shows should since so some such than that the their them then there these they
    this those through thus to under up upon us use used using various very via was we well were
    what when where whether which while who whose why will with within without would yet"""


@dataclass(frozen=True, slots=True)
class _Matrix:
    """A sparse document × feature matrix as coordinate arrays (rows sorted), rows L2-normalised."""

    rows: IntArray
    cols: IntArray
    vals: FloatArray
    n_rows: int


@dataclass(frozen=True, slots=True)
class _Tokens:
    """Every token of a batch of texts, in order, as numbers."""

    docs: IntArray  # the document of each token (ascending)
    hashes: HashArray  # 64-bit hash of the token's UTF-8 bytes
    content: BoolArray  # two bytes or more (stop words and numbers are checked per word)


def _tokenize(texts: Sequence[str]) -> _Tokens:
    """Split and hash all texts in numpy: a per-token Python loop alone would blow the time budget."""
    encoded = [t.lower().encode() for t in texts]
    # A leading space and 8 trailing zero bytes: every token has a start edge and room to read 8 bytes.
    buf = np.frombuffer(b" " + b" ".join(encoded) + bytes(8), dtype=np.uint8)
    doc_starts = np.cumsum([1] + [len(e) + 1 for e in encoded[:-1]], dtype=np.int64)
    word = _WORD_BYTE[buf]
    starts = np.flatnonzero(word[1:] > word[:-1]) + 1
    ends = np.flatnonzero(word[:-1] > word[1:]) + 1
    content = ends - starts >= 2
    docs = np.searchsorted(doc_starts, starts, side="right") - 1
    return _Tokens(docs, _hash_tokens(buf, starts, ends - starts), content)


def _mix(h: HashArray) -> HashArray:
    """splitmix64's finaliser: a bijection on 64 bits that spreads every input bit."""
    h ^= h >> np.uint64(30)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(27)
    h *= np.uint64(0x94D049BB133111EB)
    h ^= h >> np.uint64(31)
    return h


def _hash_tokens(buf: npt.NDArray[np.uint8], starts: IntArray, lengths: IntArray) -> HashArray:
    """A 64-bit key per token: its own zero-padded bytes up to 8 bytes, else a hash of them all."""
    # Overlapping little-endian 8-byte windows at every offset: a view, nothing is copied.
    windows = np.ndarray(shape=(len(buf) - 7,), dtype="<u8", buffer=buf.data, strides=(1,))
    keys = windows[starts] & _BYTE_MASKS[np.minimum(lengths, 8)]
    longer = np.flatnonzero(lengths > 8)  # a quarter of the tokens or fewer
    hashes = keys[longer] ^ np.uint64(0xCBF29CE484222325)
    for offset in range(8, _MAX_TOKEN_BYTES, 8):
        rest = lengths[longer] - offset
        active = np.flatnonzero(rest > 0)
        chunk = windows[starts[longer[active]] + offset] & _BYTE_MASKS[np.minimum(rest[active], 8)]
        hashes[active] = _mix(hashes[active] ^ chunk)
    keys[longer] = _mix(hashes ^ lengths[longer].astype(np.uint64))
    return keys


def _numeric_keys(keys: HashArray) -> BoolArray:
    """Keys of short all-digit tokens (`2024`, `17`): every byte a digit or padding.

    A long token's hash passes this test with probability (11/256)**8, i.e. never in practice.
    """
    as_bytes = keys.view(np.uint8).reshape(-1, 8)
    return ((as_bytes == 0) | ((as_bytes >= ord("0")) & (as_bytes <= ord("9")))).all(axis=1)


_STOP_HASHES = np.unique(_tokenize([_STOPWORD_TEXT]).hashes)


def _text(paper: Paper) -> str:
    return f"{paper.title} {paper.abstract}"


def _dedupe(papers: Sequence[Paper], exclude: set[str] | frozenset[str] = frozenset()) -> list[Paper]:
    """One paper per id, sorted by id, so features and sums never depend on input order."""
    unique = {p.id: p for p in papers if p.id not in exclude}
    return [unique[k] for k in sorted(unique)]


class _Vectorizer:
    """tf-idf over unigrams and in-document bigrams (no stop word inside), as arxiv-sanity uses."""

    def __init__(self) -> None:
        self.vocabulary: HashArray = np.zeros(0, dtype=np.uint64)  # sorted token hashes
        self.word_ok: BoolArray = np.zeros(0, dtype=bool)
        self.bigrams: IntArray = np.zeros(0, dtype=np.int64)  # sorted codes first * n_words + second
        self.idf: FloatArray = np.zeros(0)

    @property
    def n_words(self) -> int:
        return len(self.vocabulary)

    @property
    def n_features(self) -> int:
        return self.n_words + len(self.bigrams)

    def fit_transform(self, texts: Sequence[str]) -> _Matrix:
        """Learn the vocabulary and idf from the texts and return their tf-idf rows."""
        tokens = _tokenize(texts)
        self.vocabulary = _sorted_unique(tokens.hashes)
        word_ids = _lookup(self.vocabulary, tokens.hashes)
        self.word_ok = np.zeros(self.n_words, dtype=bool)
        self.word_ok[word_ids[tokens.content]] = True
        self.word_ok &= ~np.isin(self.vocabulary, _STOP_HASHES) & ~_numeric_keys(self.vocabulary)
        codes, code_docs = self._bigram_codes(tokens.docs, word_ids)
        self.bigrams = _phrases(codes, code_docs, len(texts))
        rows, cols = self._features(tokens.docs, word_ids, codes, code_docs)
        matrix = _count(rows, cols, len(texts), self.n_features)
        df = np.bincount(matrix.cols, minlength=self.n_features)
        self.idf = np.log((1.0 + len(texts)) / (1.0 + df)) + 1.0
        return _weight(matrix, self.idf)

    def transform(self, texts: Sequence[str]) -> _Matrix:
        """tf-idf rows for new texts; words and bigrams outside the vocabulary are ignored."""
        tokens = _tokenize(texts)
        word_ids = _lookup(self.vocabulary, tokens.hashes)
        codes, code_docs = self._bigram_codes(tokens.docs, word_ids)
        rows, cols = self._features(tokens.docs, word_ids, codes, code_docs)
        return _weight(_count(rows, cols, len(texts), self.n_features), self.idf)

    def _content(self, word_ids: IntArray) -> npt.NDArray[np.bool_]:
        """Which tokens are known content words; unknown tokens (-1) index the appended False."""
        return np.append(self.word_ok, False)[word_ids]

    def _bigram_codes(self, doc_ids: IntArray, word_ids: IntArray) -> tuple[IntArray, IntArray]:
        """Codes of adjacent content-word pairs inside one document, with their document."""
        ok = self._content(word_ids)
        pair = ok[:-1] & ok[1:] & (doc_ids[:-1] == doc_ids[1:])
        first, second = word_ids[:-1][pair], word_ids[1:][pair]
        return first * self.n_words + second, doc_ids[:-1][pair]

    def _features(
        self, doc_ids: IntArray, word_ids: IntArray, codes: IntArray, code_docs: IntArray
    ) -> tuple[IntArray, IntArray]:
        """(document, feature) for every kept unigram and known bigram occurrence."""
        ok = self._content(word_ids)
        pos = _lookup(self.bigrams, codes)
        known = pos >= 0
        rows = np.concatenate([doc_ids[ok], code_docs[known]])
        cols = np.concatenate([word_ids[ok], self.n_words + pos[known]])
        return rows.astype(np.int64), cols.astype(np.int64)


def _lookup(sorted_values: npt.NDArray[Any], queries: npt.NDArray[Any]) -> IntArray:
    """Index of each query in a sorted array, -1 where absent.

    Sorting the queries and searching them per value is several times faster here than one
    random binary search per query (numbers measured on a 2-core box).
    """
    order = np.argsort(queries)
    ordered = queries[order]
    left = np.searchsorted(ordered, sorted_values, side="left")
    counts = np.searchsorted(ordered, sorted_values, side="right") - left
    hit = np.flatnonzero(counts)
    runs = counts[hit]
    offsets = np.repeat(left[hit] - (np.cumsum(runs) - runs), runs)
    found = np.full(len(queries), -1, dtype=np.int64)
    found[order[offsets + np.arange(int(runs.sum()))]] = np.repeat(hit, runs)
    return found


def _phrases(codes: IntArray, code_docs: IntArray, n_docs: int) -> IntArray:
    """Bigram codes found in two or more documents; a pair seen in one document is mostly noise."""
    pairs = _sorted_unique(codes * n_docs + code_docs)  # one entry per (bigram, document)
    values, df = np.unique(pairs // n_docs, return_counts=True)
    return values[df >= 2]


def _sorted_unique(values: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """np.unique without its overhead: a plain sort, then drop repeats."""
    ordered = np.sort(values)
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))] if len(ordered) else ordered


def _count(rows: IntArray, cols: IntArray, n_rows: int, n_cols: int) -> _Matrix:
    """Term counts: one entry per (document, feature), rows ascending."""
    cells, tf = np.unique(rows * max(n_cols, 1) + cols, return_counts=True)
    return _Matrix(cells // max(n_cols, 1), cells % max(n_cols, 1), tf.astype(np.float64), n_rows)


def _weight(counts: _Matrix, idf: FloatArray) -> _Matrix:
    """Sublinear tf × idf, each row scaled to unit length."""
    vals = (1.0 + np.log(counts.vals)) * idf[counts.cols]
    norms = np.sqrt(np.bincount(counts.rows, weights=vals * vals, minlength=counts.n_rows))
    vals = vals / np.where(norms > 0, norms, 1.0)[counts.rows]
    return _Matrix(counts.rows, counts.cols, vals, counts.n_rows)


def _centroid(matrix: _Matrix, rows: slice, n_features: int) -> FloatArray:
    """Mean of a contiguous block of rows (zero vector for an empty block)."""
    start, stop = rows.start, rows.stop
    if stop <= start:
        return np.zeros(n_features)
    lo, hi = np.searchsorted(matrix.rows, [start, stop])
    return np.bincount(matrix.cols[lo:hi], weights=matrix.vals[lo:hi], minlength=n_features) / (stop - start)


class InterestModel:
    """A linear scorer over tf-idf: mean of saved papers minus mean of unsaved background papers.

    arxiv-sanity trains a class-balanced linear SVM with a small C (0.01) on the same features;
    in that strongly regularised limit the SVM's weight vector tends to this difference of class
    means, which we compute in closed form — no iterations, deterministic, and fast enough to
    rebuild on every save.
    """

    def __init__(self, vectorizer: _Vectorizer | None, weights: FloatArray) -> None:
        self._vectorizer = vectorizer
        self._weights = weights

    @classmethod
    def empty(cls) -> InterestModel:
        """The model of a channel with no saves: every paper scores 0."""
        return cls(None, np.zeros(0))

    @property
    def is_empty(self) -> bool:
        return self._vectorizer is None

    @classmethod
    def fit(cls, saved: Sequence[Paper], background: Sequence[Paper]) -> InterestModel:
        """Learn from saved papers (positives) and a sample of recent unsaved ones (negatives)."""
        positives = _dedupe(saved)
        if not positives:
            return cls.empty()
        negatives = _dedupe(background, exclude={p.id for p in positives})
        vectorizer = _Vectorizer()
        matrix = vectorizer.fit_transform([_text(p) for p in positives + negatives])
        n_pos, n_all, n_features = len(positives), len(positives) + len(negatives), vectorizer.n_features
        weights = _centroid(matrix, slice(0, n_pos), n_features) - _centroid(
            matrix, slice(n_pos, n_all), n_features
        )
        return cls(vectorizer, weights)

    def score(self, papers: Sequence[Paper]) -> dict[str, float]:
        """Paper id → interest score (higher is closer to the saves); all 0.0 for an empty model."""
        if self._vectorizer is None or not papers:
            return {p.id: 0.0 for p in papers}
        unique = _dedupe(papers)
        matrix = self._vectorizer.transform([_text(p) for p in unique])
        sums = np.bincount(
            matrix.rows, weights=matrix.vals * self._weights[matrix.cols], minlength=len(unique)
        )
        return {p.id: float(s) for p, s in zip(unique, sums, strict=True)}
