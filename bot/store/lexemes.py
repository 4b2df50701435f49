"""PostgreSQL's search keys: a paper's words, word pairs and author keys as 63-bit numbers.

PostgreSQL has no FTS5. Its own `to_tsvector('english', …)` costs ~140 µs an abstract in
the database backend, and a phrase needed a second pass for the adjacent-word pairs: a bulk
load ran at 120-475 papers/s, bound by those generated columns. Here the loader computes
the keys itself, in the process that parsed the paper, and the database only stores three
`bigint[]` columns under GIN indexes (migration 0008):

* `search_terms`: every word of the title and abstract, lower-cased, English stop words
  dropped, stemmed by Snowball's English stemmer (the algorithm of PostgreSQL's `english`
  configuration); and the category tokens (`catcs0lg9`, category_token);
* `search_pairs`: each pair of consecutive words within the title or within the abstract,
  stop words skipped (`state-of-the-art` holds the pair state–art), with how many stood
  between them (none, one, two, or more: PAIR_GAPS): a phrase is found by its pairs, which
  narrow it to a few candidates, and `holds_phrase` checks their text;
* `author_keys`: the author index keys (bot.names.index_keys_of).

Queries go through the same functions, so a stored paper and a query always agree on what a
word is. A key is the first 63 bits of the word's BLAKE2b digest: a collision is as likely as
two random 63-bit numbers meeting (with a million distinct words, about 1 in 10^7). A pair
is its gap's two bits and two 30-bit halves side by side; its rare collisions only widen a
candidate set that `holds_phrase` narrows again.

Pairs skip stop words because phrases hold them: `"paper to code"` or `"state of the art"`
found by their words alone meant reading every paper with `paper` and `code` (4 s at a
million papers); by the pair paper–code, a handful. And a pair across stop words is not the
pair of the same words side by side, nor across as many other stop words (migration 0013):
`"state art"` took the 179,000 papers holding `state of the art` for candidates, the phrase
check turned each away, 22 s at a million papers (and so would `"state of art"`); now its
candidates are the papers where the two words stand together.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import string
from array import array
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import TypeVar, cast

import numpy as np
import numpy.typing as npt
import Stemmer

from bot.names import index_keys_of
from bot.stopwords import STOP_WORDS

STOP = 0  # a stop word's place in a word sequence: it has no key, and pairs skip it
# A pair's key tells how many stop words stood between its words: none (`state art`), one
# (`state of art`), two (`state of the art`), or PAIR_GAPS and more, in the two bits above its
# two 30-bit halves.
PAIR_GAPS = 3
_EDGE = -1  # between two texts of a document: no pair across it
_MASK_63 = (1 << 63) - 1
# ASCII punctuation splits words (`cross-consistency`, `$\alpha$`, `LLMs,`). Texts are split
# as UTF-8 bytes: translating by a byte table saves ~20 µs an abstract over str.translate, and
# a multi-byte character never holds an ASCII byte, so a token is always whole characters. A
# token holding other characters (`“model”`, `naïve–bayes`, a no-break space) goes through the
# Unicode word pattern, as str.split would have split it and more.
_SPACES = bytes.maketrans(string.punctuation.encode(), b" " * len(string.punctuation))
_WORD = re.compile(r"[^\W_]+")
_stemmer = Stemmer.Stemmer("english")
# token -> key (STOP for a stop word); a token of several words or of other characters has
# its keys in _compound instead. Bounded: cleared when they grow past _CACHE_LIMIT tokens
# (~130 bytes each: ~35 MB in a load whose vocabulary is larger, as real text's is).
_keys: dict[bytes, int] = {}
_compound: dict[bytes, tuple[int, ...]] = {}
_CACHE_LIMIT = 1 << 18


def key_of(text: str) -> int:
    """A 63-bit key (positive, so PostgreSQL's bigint holds it) of one stemmed word or author key."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little") & _MASK_63


def _word_key(word: str) -> int:
    return STOP if word in STOP_WORDS else key_of(_stemmer.stemWord(word))


def _token_keys(token: bytes) -> tuple[int, ...]:
    """A token's keys (one for a word, several for `naïve–bayes`), remembered."""
    if len(_keys) + len(_compound) >= _CACHE_LIMIT:
        _keys.clear()
        _compound.clear()
    if token.isalnum():  # ASCII letters and digits only
        key = _keys[token] = _word_key(token.decode())
        return (key,)
    keys = _compound[token] = tuple(_word_key(w) for w in _WORD.findall(token.decode()))
    return keys


def words(text: str) -> list[int]:
    """The keys of a text's words in order, STOP where a stop word stands."""
    tokens = text.lower().encode().translate(_SPACES).split()
    known: list[int | None] = list(map(_keys.get, tokens))
    if None not in known:
        return cast(list[int], known)
    found: list[int] = []  # a word seen for the first time, or a compound
    for token, key in zip(tokens, known, strict=True):
        if key is not None:
            found.append(key)
        else:
            compound = _compound.get(token)
            found += compound if compound is not None else _token_keys(token)
    return found


def plain_words(text: str) -> list[str]:
    """A text's words as `words` splits them (the Unicode word runs of the lower-cased text),
    neither stemmed nor keyed, stop words kept."""
    return _WORD.findall(text.lower())


def pair_keys(sequence: Sequence[int]) -> list[int]:
    """The keys of the pairs of consecutive words of a word sequence, stop words skipped (and
    counted: a pair across one has a key of its own, PAIR_GAPS)."""
    kept = [(i, k) for i, k in enumerate(sequence) if k != STOP]
    return [_pair(a, b, min(j - i - 1, PAIR_GAPS)) for (i, a), (j, b) in itertools.pairwise(kept)]


Keys = npt.NDArray[np.int64]
_Key = TypeVar("_Key", int, Keys)
# The gap of two words (0 to PAIR_GAPS stop words) by the distance of their places, clipped:
# one lookup where a subtraction and a minimum cost ~1 µs more (and np.diff ~1.6 µs more
# than subtracting the slices).
_GAPS = np.array([0, *range(PAIR_GAPS + 1)], dtype=np.int64)


def _pair(first: _Key, second: _Key, gap: _Key) -> _Key:
    """A pair's key, of plain ints or, element by element, of key arrays (document_keys): its
    gap (0 to PAIR_GAPS) in bits 60-61, each word's top 30 bits below."""
    return (gap << 60) | ((first >> 33) << 30) | (second >> 33)


def document_keys(texts: Iterable[str], extra: Sequence[int] = ()) -> tuple[Keys, Keys]:
    """A paper's (search_terms, search_pairs), distinct and sorted, from its texts (title,
    abstract) and extra terms (its categories' keys). Arrays: a bulk load writes them to
    PostgreSQL in binary without a Python int per key (pg_bulk.bigint_array)."""
    joined = array("q")  # ~40 µs less an abstract than np.array() of a list of 63-bit ints
    for text in texts:
        joined.extend(words(text))
        joined.append(_EDGE)
    joined.extend(extra)
    keys = np.frombuffer(joined, dtype=np.int64)
    ends = len(keys) - len(extra)
    sequence, extra_keys = keys[:ends], keys[ends:]
    places = np.flatnonzero(sequence != STOP)
    sequence = sequence[places]
    terms = _distinct(np.concatenate([sequence[sequence != _EDGE], extra_keys]))
    both = (sequence[:-1] != _EDGE) & (sequence[1:] != _EDGE)
    gaps = _GAPS.take(places[1:] - places[:-1], mode="clip")  # the stop words between each two
    pairs = _distinct(_pair(sequence[:-1], sequence[1:], gaps)[both])
    return terms, pairs


def _distinct(keys: Keys) -> Keys:
    """`keys` (a new array, sorted in place) without repeats: np.unique's hashing costs ~50 µs
    on an abstract's 150 keys, a sort and a comparison of neighbours a few."""
    keys.sort()
    keep = np.empty(len(keys), dtype=bool)
    keep[:1] = True
    np.not_equal(keys[1:], keys[:-1], out=keep[1:])
    return keys[keep]


def holds_phrase(texts: Iterable[str], phrase: str) -> bool:
    """True when one of the texts holds the phrase's words at the phrase's relative positions
    (a stop word in the phrase stands for any one word, as in PostgreSQL's phrase search)."""
    return phrase_test(phrase)(texts)


def phrase_test(phrase: str) -> Callable[[Iterable[str]], bool]:
    """holds_phrase for one phrase, its words made once: a search checks each of up to
    thousands of candidates' texts (PostgreSQL's pairs only narrow), and making the phrase's
    words again for each, then stepping through every word of an abstract in Python, took
    ~48 µs a candidate (`search "work systematic"`: 1,411 candidates, none holding it)."""
    wanted = words(phrase)
    while wanted and wanted[0] == STOP:
        wanted.pop(0)
    while wanted and wanted[-1] == STOP:
        wanted.pop()
    first, span = (wanted[0], len(wanted)) if wanted else (STOP, 0)
    rest = [(i, k) for i, k in enumerate(wanted) if i and k != STOP]

    def holds(texts: Iterable[str]) -> bool:
        if not span:  # stop words alone match nothing, as in PostgreSQL
            return False
        for text in texts:
            sequence = words(text)
            start, end = 0, len(sequence) - span + 1  # where the phrase can start
            while start < end:
                try:
                    start = sequence.index(first, start, end)  # the first word's next place
                except ValueError:
                    break
                if all(sequence[start + i] == k for i, k in rest):
                    return True
                start += 1
        return False

    return holds


# author string -> its keys (~500 bytes), cleared past _AUTHOR_CACHE_LIMIT authors.
_author_cache: dict[str, tuple[int, ...]] = {}
_AUTHOR_CACHE_LIMIT = 1 << 15


NameKeys = Callable[[str], tuple[str, ...]]


def author_keys(authors: Iterable[str], name_keys: NameKeys = index_keys_of) -> Keys:
    """A paper's author index keys (bot.names.index_keys_of, or `name_keys`), as 63-bit keys,
    distinct and sorted."""
    found: set[int] = set()
    for author in authors:
        keys = _author_cache.get(author)
        if keys is None:
            if len(_author_cache) >= _AUTHOR_CACHE_LIMIT:
                _author_cache.clear()
            keys = _author_cache[author] = tuple(key_of(k) for k in name_keys(author))
        found.update(keys)
    return np.array(sorted(found), dtype=np.int64)


def category_token(category: str) -> str:
    """One full-text token for a category (`cs.IT` -> `catcs0it9`), so `cat:X word` is a single
    full-text query. Only [a-z0-9]: every engine's tokenizer keeps it whole, and the final
    digit stops stemmers from touching it."""
    folded = category.lower().replace(".", "0").replace("-", "1")
    return "cat" + "".join(c if c.isascii() and c.isalnum() else "2" for c in folded) + "9"


def category_terms(categories: Sequence[str]) -> str:
    """The full-text tokens of a paper's categories: each one and its archive (`cs.IT` -> also `cs`)."""
    return _category_terms(tuple(categories))


@lru_cache(maxsize=1 << 14)  # a few thousand category combinations cover a million papers
def _category_terms(categories: tuple[str, ...]) -> str:
    terms: dict[str, None] = {}
    for cat in categories:
        terms[category_token(cat)] = None
        if "." in cat:
            terms[category_token(cat.split(".", 1)[0])] = None
    return " ".join(terms)


@lru_cache(maxsize=1 << 14)
def _category_keys(categories: tuple[str, ...]) -> tuple[int, ...]:
    return tuple(key_of(token) for token in _category_terms(categories).split())


def search_keys(
    title: str,
    abstract: str,
    categories: Sequence[str],
    authors: Sequence[str],
    name_keys: NameKeys = index_keys_of,
) -> tuple[Keys, Keys, Keys]:
    """PostgreSQL's search columns of a paper: (search_terms, search_pairs, author_keys).
    `name_keys` makes an author's index keys: bot.names.index_keys_of, whose caches the day's
    digest matching then finds filled, or in a load's key process index_keys_uncached."""
    terms, pairs = document_keys((title, abstract), _category_keys(tuple(categories)))
    return terms, pairs, author_keys(authors, name_keys)
