"""PostgreSQL's search keys (bot/store/lexemes.py): what counts as a word, a pair, a phrase."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from bot.store import lexemes
from tests.conftest import FIXTURES

LISTING = FIXTURES / "corpus" / "daily_arxiv_listing_2026-06-16.jsonl"


def key(word: str) -> int:
    return lexemes.words(word)[0]


def test_words_are_stemmed_lower_cased_and_stop_words_keep_their_place() -> None:
    assert key("Networks") == key("network") == key("networking")
    assert lexemes.words("the theory of everything") == [
        lexemes.STOP,
        key("theory"),
        lexemes.STOP,
        key("everything"),
    ]
    assert all(0 < k < 1 << 63 for k in lexemes.words("Evaluating LLMs graphs"))


def test_punctuation_splits_words_and_unicode_words_stay_whole() -> None:
    assert lexemes.words("cross-consistency") == lexemes.words("cross consistency")
    assert lexemes.words("“Schrödinger’s” equation,") == [key("schrödinger"), key("s"), key("equation")]
    assert lexemes.words("$\\alpha$-stable (LLMs)") == [key("alpha"), key("stable"), key("llms")]
    assert lexemes.words("") == [] and lexemes.words(" -- ") == []


def test_a_word_is_a_run_of_letters_and_digits_whatever_separates_it() -> None:
    """words() splits bytes for speed; what it finds is exactly the Unicode word runs of the
    lower-cased text (underscore and punctuation split, as does any space: a no-break space,
    a line separator, an ASCII control), on every real title and abstract of a day and on
    text built to tell the two apart."""
    runs = re.compile(r"[^\W_]+")
    strange = [
        "naïve–bayes “model” x² İstanbul foo\u00a0bar a\x1cb Straße ﬁne — x\u2028y",
        "snake_case__and__dunder 3.14 ÆØÅ Ω-stable 日本語のテキスト 中文 ελληνικά",
        "tab\tnew\nline\x0bvt\x0cff\rcr\x85nel",
        "",
        "   ",
        "the of and",
    ]
    papers = [json.loads(line) for line in LISTING.read_text().splitlines()]
    texts = strange + [p["title"] for p in papers] + [p["summary"] for p in papers]
    for text in texts:
        expected = [lexemes.words(run)[0] for run in runs.findall(text.lower())]
        assert lexemes.words(text) == expected, text[:60]


def test_a_documents_keys_are_sorted_and_distinct() -> None:
    for p in [json.loads(line) for line in LISTING.read_text().splitlines()][:200]:
        for keys in lexemes.search_keys(p["title"], p["summary"], p["categories"], p["authors"]):
            listed = keys.tolist()
            assert listed == sorted(set(listed))


def test_pairs_are_consecutive_words_with_stop_words_skipped() -> None:
    sequence = lexemes.words("graph neural networks for the win")
    pairs = lexemes.pair_keys(sequence)
    assert len(pairs) == 3  # graph-neural, neural-network, network-win ("for the" skipped)
    assert lexemes.pair_keys(lexemes.words("neural networks")) == [pairs[1]]
    assert lexemes.pair_keys(lexemes.words("networks neural")) != [pairs[1]]  # order counts
    assert lexemes.pair_keys(lexemes.words("networks of the win")) == [pairs[2]]  # `for the`, `of the`: two


def test_a_pair_across_stop_words_is_not_the_pair_of_its_words_side_by_side() -> None:
    """`"state art"` must not find every paper saying `state of the art` (179,000 at a
    million papers, each turned away by the phrase check), nor `"state of art"`: a pair's key
    holds how many stop words stood between its words (none, one, two, three or more),
    whichever they are, and a phrase asks for the pairs it has."""

    def pair(text: str) -> int:
        (key,) = lexemes.pair_keys(lexemes.words(text))
        return key

    gaps = [pair("state art"), pair("state of art"), pair("state-of-the-art"), pair("state of the and art")]
    assert len(set(gaps)) == 4
    assert pair("state in art") == gaps[1] and pair("state, of the art") == gaps[2]  # punctuation is no word
    assert pair("state of the and a art") == gaps[3]  # three and more: one kind, the phrase check decides
    _terms, stored = lexemes.document_keys(("Beyond the state of the art", "A state art"))
    assert set(stored.tolist()) == {gaps[2], gaps[0], pair("beyond the state")}
    assert all(0 < key < 1 << 63 for key in gaps + stored.tolist())  # a bigint each


def test_a_documents_pairs_are_its_texts_pairs_as_a_phrase_has_them() -> None:
    """document_keys (numpy, the load's path) and pair_keys (a phrase's) make the same pairs,
    across stop words and side by side, on the listing's own titles and abstracts."""
    for p in [json.loads(line) for line in LISTING.read_text().splitlines()]:
        texts = (p["title"], p["summary"])
        _terms, pairs = lexemes.document_keys(texts)
        expected = {key for text in texts for key in lexemes.pair_keys(lexemes.words(text))}
        assert pairs.tolist() == sorted(expected), p["id"]


def test_a_document_has_its_words_pairs_and_extra_terms_distinct_and_no_pair_across_texts() -> None:
    terms, pairs = lexemes.document_keys(("Deep networks", "Networks learn deep"), extra=[7])
    assert terms.tolist() == sorted({key("deep"), key("network"), key("learn"), 7})
    across = lexemes.pair_keys([key("networks"), key("networks")])  # title's last, abstract's first
    assert set(across).isdisjoint(pairs.tolist()) and len(pairs) == 3


def test_holds_phrase_checks_positions_and_lets_a_stop_word_stand_for_any_word() -> None:
    texts = ("A theory for everything", "We study deep graph neural networks.")
    assert lexemes.holds_phrase(texts, "theory of everything")  # `of` stands for one word, as in PostgreSQL
    assert not lexemes.holds_phrase(texts, "theory everything")
    assert lexemes.holds_phrase(texts, "graph neural network")
    assert not lexemes.holds_phrase(texts, "graph networks")
    assert not lexemes.holds_phrase(texts, "for a")  # stop words alone match nothing
    assert not lexemes.holds_phrase(("graph neural", "networks"), "graph neural networks")


def test_a_phrase_test_made_once_answers_as_a_plain_walk_of_every_word_does() -> None:
    """phrase_test (the phrase's words made once, its first word found by list.index) against
    a walk of every position, for phrases cut from the listing's own texts (stop words and all,
    so a stop word stands for one word) and for pairs of its words put together at random."""
    import random

    def walked(texts: tuple[str, str], phrase: str) -> bool:
        wanted = lexemes.words(phrase)
        while wanted and wanted[0] == lexemes.STOP:
            wanted.pop(0)
        while wanted and wanted[-1] == lexemes.STOP:
            wanted.pop()
        if not wanted:
            return False
        for text in texts:
            sequence = lexemes.words(text)
            for start in range(len(sequence) - len(wanted) + 1):
                window = sequence[start : start + len(wanted)]
                if all(k == lexemes.STOP or k == w for k, w in zip(wanted, window, strict=True)):
                    return True
        return False

    papers = [json.loads(line) for line in LISTING.read_text().splitlines()]
    texts = [(str(p["title"]), str(p["summary"])) for p in papers]
    rng = random.Random(5)
    vocabulary = [w for t in texts for w in t[1].split()]
    phrases = []
    for title, abstract in rng.sample(texts, 40):
        cut = abstract.split()
        for n in (1, 2, 3, 4):
            start = rng.randrange(max(1, len(cut) - n))
            phrases.append(" ".join(cut[start : start + n]))
        phrases.append(f"{rng.choice(vocabulary)} {rng.choice(vocabulary)}")
        phrases.append(f"{rng.choice(title.split())} of {rng.choice(vocabulary)}")
    held = 0
    for phrase in phrases:
        test = lexemes.phrase_test(phrase)
        for pair in rng.sample(texts, 25):
            assert test(pair) == walked(pair, phrase) == lexemes.holds_phrase(pair, phrase), (phrase, pair)
            held += walked(pair, phrase)
    assert held > 40  # phrases cut from a text are found in it


def test_author_keys_are_the_name_index_keys_of_every_author() -> None:
    one = lexemes.author_keys(["Philipp Grohs"])
    both = lexemes.author_keys(["Philipp Grohs", "Anna Grohs", "Philipp Grohs"])
    assert set(one.tolist()) < set(both.tolist()) and both.tolist() == sorted(set(both.tolist()))


def test_the_keys_of_real_papers_are_stable_and_bounded() -> None:
    """Computed twice (the caches cleared between), the keys of a real day's papers agree; a key
    fits PostgreSQL's bigint."""
    papers = [json.loads(line) for line in LISTING.read_text().splitlines()][:300]

    def keys() -> list[list[list[int]]]:
        found = [lexemes.search_keys(p["title"], p["summary"], p["categories"], p["authors"]) for p in papers]
        return [[k.tolist() for k in paper] for paper in found]

    first = keys()
    lexemes._keys.clear()
    lexemes._compound.clear()
    lexemes._author_cache.clear()
    again = keys()
    assert first == again
    assert all(0 <= k < 1 << 63 for terms, pairs, authors in first for k in (*terms, *pairs, *authors))
    assert sum(len(terms) for terms, _, _ in first) / len(first) > 40  # an abstract's worth of words


_MANY_AUTHORS = """
import random, string
from bot.store import pg_bulk
def rss_mb():
    return int(open("/proc/self/status").read().split("VmRSS:")[1].split()[0]) / 1024
rng = random.Random(5)
def word():
    return "".join(rng.choices(string.ascii_lowercase, k=rng.randint(4, 9)))
before = rss_mb()
for _ in range(15_000):
    authors = [f"{word().title()} {word()[0].upper()}. {word().title()}" for _ in range(6)]
    pg_bulk._encoded_batch([(" ".join(word() for _ in range(6)), "", ("cs.LG",), tuple(authors))])
print(round(rss_mb() - before))
"""


def test_the_key_caches_stay_bounded_however_many_distinct_authors_a_load_meets() -> None:
    """A real back-fill meets over a million distinct author strings; the generated benchmark
    corpus only re-uses ~25,000. 90,000 distinct authors (and a vocabulary to match) through
    the key process's work in a fresh interpreter: its caches stay bounded (bot.names' are left
    empty: lexemes keeps each author's keys), where
    caches sized for 2^18-2^20 entries grew by ~2.1 KB an author (~200 MB here)."""
    grown = subprocess.run(
        [sys.executable, "-c", _MANY_AUTHORS], capture_output=True, text=True, check=True, timeout=300
    ).stdout
    assert int(grown) < 150, f"{grown.strip()} MB for 90,000 authors"
