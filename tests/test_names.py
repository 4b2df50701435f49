"""Author names: folding, index parts, query matching (SPEC §5)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.names import (
    author_matches,
    fold,
    given_names,
    index_keys_of,
    index_keys_uncached,
    name_parts,
    parse_author_query,
    surname_key,
)

GUHRING = ["Gühring", "Guehring", "Guhring", 'G\\"uhring', 'G\\"{u}hring', '{G\\"u}hring', "GÜHRING"]


@pytest.mark.parametrize("spelling", GUHRING)
def test_every_spelling_folds_alike(spelling: str) -> None:
    assert fold(spelling) == "guhring"


@pytest.mark.parametrize("query", GUHRING)
@pytest.mark.parametrize("author", [f"Ingo {s}" for s in GUHRING] + [f"{s}, Ingo" for s in GUHRING])
def test_every_spelling_matches_every_spelling(query: str, author: str) -> None:
    assert author_matches(parse_author_query(query), author)
    assert author_matches(parse_author_query(f"I. {query}"), author)


@pytest.mark.parametrize(
    ("query", "author", "expected"),
    [
        ("Grohs", "Philipp Grohs", True),
        ("Grohs", "P. Grohs", True),
        ("Grohs", "Grohs, Philipp", True),
        ("Grohs", "Anna Grohs", True),
        ("Grohs", "Philipp Grohsmann", False),
        ("Grohs", "Grohsmann", False),
        ("grohs", "PHILIPP GROHS", True),
        ("P. Grohs", "Philipp Grohs", True),
        ("P. Grohs", "P. Grohs", True),
        ("P. Grohs", "Grohs, Philipp", True),
        ("P. Grohs", "Anna Grohs", False),
        ("P Grohs", "Philipp Grohs", True),
        ("Philipp Grohs", "P. Grohs", True),
        ("Philipp Grohs", "Philipp C. Grohs", True),
        ("Philipp Grohs", "Anna Grohs", False),
        ("Philipp Grohs", "Grohs", False),  # a given name, when asked for, must be there
        ("Phil Grohs", "Philipp Grohs", False),  # whole names only: no prefix matching
        ("Grohs, P.", "Philipp Grohs", True),
        ("Grohs, P.", "Anna Grohs", False),
        ("Grohs, Philipp", "P. Grohs", True),
        ("Grohs P.", "Philipp Grohs", True),
        ("Philipp Grohs", "Philipp Grohs (University of Vienna, Austria)", True),
        ("Vienna", "Philipp Grohs (University of Vienna, Austria)", False),  # affiliations are not names
        ("Mosella-Montoro", "Albert Mosella-Montoro", True),
        ("Montoro", "Albert Mosella-Montoro", True),
        ("Mosella", "Albert Mosella-Montoro", True),
        ("Mosella-Montoro", "Albert Mosella Montoro", True),
        ("Mosella-Montoro", "Albert Mosella", False),
        ("van Beethoven", "Ludwig van Beethoven", True),
        ("Ludwig van Beethoven", "L. van Beethoven", True),
        ("Beethoven", "Ludwig van Beethoven", True),
        ("Quoc Le", "Quoc V. Le", True),
        ("Q. Le", "Quoc V. Le", True),
        ("Le", "Quoc V. Le", True),
        ("Le", "Lea Smith", False),
        ("O'Brien", "Conan O’Brien", True),
        ("Andre Weil", "Andr\\'e Weil", True),
        ("Erdős", "Paul Erd\\H{o}s", True),
        ("Sierpinski", "Wac{\\l}aw Sierpi\\'nski", True),
        ("Müller", "Thomas Mueller", True),
        ("Smith", "John Smith Jr.", True),
        # Real non-ASCII names from the 2026-06-16 arXiv listing.
        ("Schmidhuber", "Jürgen Schmidhuber", True),
        ("Juergen Schmidhuber", "Jürgen Schmidhuber", True),
        ("J. Schmidhuber", "Jürgen Schmidhuber", True),
        ("Anna Schmidhuber", "Jürgen Schmidhuber", False),
        ("Netland", "Torbjørn Netland", True),
        ("Torbjorn Netland", "Torbjørn Netland", True),
        ("Dusek", "Ondřej Dušek", True),
        ("Ondrej Dusek", "Ondřej Dušek", True),
        ("Badea", "Ştefan-Bogdan Badea", True),
        ("Stefan Badea", "Ştefan-Bogdan Badea", True),
        ("S.-B. Badea", "Ştefan-Bogdan Badea", True),
        # A hyphenated given name is matched piece by piece on both sides (it found no one,
        # not even its own author, while the query's stayed whole).
        ("Stefan-Bogdan Badea", "Ştefan-Bogdan Badea", True),
        ("Stefan-Bogdan Badea", "S.-B. Badea", True),
        ("Stefan-Bogdan Badea", "Stefan Bogdan Badea", True),
        ("Stefan-Bogdan Badea", "Stefan Badea", False),
        ("Jean-Pierre Serre", "Jean-Pierre Serre", True),
        ("Serre, Jean-Pierre", "Jean-Pierre Serre", True),
        ("Jean-Pierre Serre", "Jean-Paul Serre", False),
        ("Alan Wee-Chung Liew", "Alan Wee-Chung Liew", True),
        ("Alan Wee-Chung Liew", "Alan W.-C. Liew", True),
        ("Alan Wee-Chung Liew", "Alan Liew", False),
        ("Gregory Y. H. Lip", "Gregory Y. H. Lip", True),  # "y" is a particle, "Y." an initial
        ("Gregory Y. H. Lip", "G. Y. H. Lip", True),
        ("Gregory Y. H. Lip", "Gregory H. Lip", False),
        ("Dervisoglu", "Anıl Dervişoğlu", True),
        ("Kazienko", "Przemysław Kazienko", True),
        ("Silva", "Diogo Glória-Silva", True),
        ("Gloria-Silva", "Diogo Glória-Silva", True),
        ("Sobester", "András Sóbester", True),
        ("Curk", "Tomaž Curk", True),
        ("Häggström", "Ida Haggstrom", True),
    ],
)
def test_author_matching(query: str, author: str, expected: bool) -> None:
    assert author_matches(parse_author_query(query), author) is expected


@pytest.mark.parametrize(
    ("author", "parts", "surname", "given"),
    [
        ("Philipp Grohs", ["philipp", "grohs"], "grohs", ["philipp"]),
        ("Grohs, Philipp", ["grohs", "philipp"], "grohs", ["philipp"]),
        ("P. C. Grohs", ["grohs"], "grohs", ["p", "c"]),
        ("Grohs P.", ["grohs"], "grohs", ["p"]),
        (
            "Albert Mosella-Montoro",
            ["albert", "mosella-montoro", "mosella", "montoro"],
            "mosella-montoro",
            ["albert"],
        ),
        ("Ludwig van Beethoven", ["ludwig", "van", "beethoven"], "beethoven", ["ludwig"]),
        ("Philipp Grohs (Uni Wien, Austria)", ["philipp", "grohs"], "grohs", ["philipp"]),
        ("Philipp Grohs (Uni Wien", ["philipp", "grohs"], "grohs", ["philipp"]),
        ("John Smith Jr.", ["john", "smith"], "smith", ["john"]),
        ("Ştefan-Bogdan Badea", ["stefan-bogdan", "stefan", "bogdan", "badea"], "badea", ["stefan-bogdan"]),
        ("Jürgen Schmidhuber", ["jurgen", "schmidhuber"], "schmidhuber", ["jurgen"]),
        ("", [], "", []),
        ("(only an affiliation)", [], "", []),
    ],
)
def test_name_parts(author: str, parts: list[str], surname: str, given: list[str]) -> None:
    assert name_parts(author) == parts
    assert surname_key(author) == surname
    assert given_names(author) == given


@pytest.mark.parametrize(
    ("query", "matching", "other"),
    [
        ("Grohs", ["Philipp Grohs", "P. Grohs", "Grohs, Philipp", "Anna Grohs"], ["Thomas Grohsmann"]),
        ("Philipp Grohs", ["Philipp Grohs", "P. Grohs", "Grohs, P.", "Philipp C. Grohs"], ["Anna Grohs"]),
        ("Jianwei Wang", ["Jianwei Wang", "J. Wang", "Wang, Jianwei"], ["Yijun Wang", "Liang Wang"]),
        ("Mosella-Montoro", ["Albert Mosella-Montoro"], ["Albert Mosella"]),
        ("Del Maestro", ["Adrian Del Maestro", "A. Del Maestro"], ["Adrian Maestro"]),
        ("Ludwig van Beethoven", ["Ludwig van Beethoven", "L. van Beethoven"], ["Ludwig Beethoven"]),
        # Each given name needs a token of its own: its initial's key is required too.
        (
            "K. J. Zhang",
            ["K. J. Zhang", "Kai Jie Zhang", "Kai-Jie Zhang", "Zhang, K. J.", "Jie K. Zhang"],
            ["Kai Zhang", "Kaijie Zhang", "J. Zhang", "K. Y. Zhang"],
        ),
    ],
)
def test_index_keys_are_keys_every_match_has(query: str, matching: list[str], other: list[str]) -> None:
    """The store intersects the postings of `index_keys`; every matching author must carry them all."""
    keys = set(parse_author_query(query).index_keys)
    for author in matching:
        assert author_matches(parse_author_query(query), author), author
        assert keys <= set(index_keys_of(author)), (author, keys, index_keys_of(author))
    for author in other:
        assert not author_matches(parse_author_query(query), author) or not keys <= set(index_keys_of(author))
    assert "wang#j" in parse_author_query("J. Wang").index_keys
    assert parse_author_query("Y. Wang").index_keys == ["wang#y"]  # "y" is an initial, not a particle
    assert parse_author_query("K. J. Zhang").index_keys == ["zhang#k", "zhang#j"]


@pytest.mark.parametrize("text", ["", "   ", "P.", "P. C.", "(Vienna)", "🙂", "--"])
def test_a_query_without_a_whole_name_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_author_query(text)


@given(st.text())
def test_fold_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)


@given(st.text())
def test_parts_are_folded_and_never_raise(author: str) -> None:
    for part in name_parts(author):
        assert part and fold(part) == part and not part.isspace()
    surname_key(author)
    given_names(author)


_NAME_WORD = st.text(alphabet=st.characters(categories=("Lu", "Ll")), min_size=2, max_size=10)
# A word, or two joined by a hyphen ("Jean-Pierre", "Wee-Chung", "Mosella-Montoro").
_NAME_PART = _NAME_WORD | st.tuples(_NAME_WORD, _NAME_WORD).map("-".join)


@given(st.lists(_NAME_PART, min_size=1, max_size=4), st.booleans())
def test_a_name_matches_itself_and_its_initialled_form(words: list[str], comma: bool) -> None:
    author = f"{words[-1]}, {' '.join(words[:-1])}" if comma and len(words) > 1 else " ".join(words)
    try:
        query = parse_author_query(author)
    except ValueError:
        return  # e.g. letters that fold to nothing
    assert author_matches(query, author)
    for key in query.index_keys:
        assert key in index_keys_of(author)


@given(st.text(), st.text())
def test_matching_never_raises(query: str, author: str) -> None:
    try:
        parsed = parse_author_query(query)
    except ValueError:
        return
    assert author_matches(parsed, author) in (True, False)


@pytest.mark.parametrize("text", ["\\^À", "\\'É", '\\"Ü'])
def test_fold_is_idempotent_when_an_accent_hides_a_latex_accent(text: str) -> None:
    assert fold(fold(text)) == fold(text)


def _queries_from(author: str) -> Iterator[tuple[str, int]]:
    """Queries built from a name's tokens, with how many given names each has: each other token
    before a surname, as written and as an initial, and the first two together."""
    tokens = author.replace(",", " ").split()
    for surname in tokens:
        others = [t for t in tokens if t != surname]
        for first in others:
            yield f"{first} {surname}", 1
            yield f"{first[0]}. {surname}", 1
        if len(others) >= 2:
            first, second = others[:2]
            yield f"{first} {second} {surname}", 2
            yield f"{first[0]}. {second[0]}. {surname}", 2


def test_the_author_index_is_sound_for_every_query_that_matches() -> None:
    """For real names: every query built from a name's tokens that `author_matches` accepts finds
    the author through its index keys (middle names, surname-first strings, initials, two given
    names: each given name's initial is a key)."""
    from tests.corpus import listing_papers

    authors = [a for p in listing_papers("2026-06-02")[:300] for a in p.authors[:4]]
    checked = {1: 0, 2: 0}
    for author in authors:
        for form, names in _queries_from(author):
            try:
                query = parse_author_query(form)
            except ValueError:
                continue
            if author_matches(query, author):
                checked[names] += 1
                keys = set(index_keys_of(author))
                assert set(query.index_keys) <= keys, (form, author)
                assert keys & set(query.first_key_choices), (form, author)
    assert checked[1] > 1000 and checked[2] > 100, checked


def test_every_real_author_is_found_by_the_name_as_written() -> None:
    """Each of the ~23,000 author strings of the fixture listings and snapshot, as a query,
    matches itself, through keys it has. Two kinds did not: a hyphenated given name
    ("Pheng-Ann Heng") and a middle initial that is also a particle ("Gregory Y. H. Lip")."""
    from tests.corpus import LISTING_DAYS, listing_papers, snapshot_papers

    authors = {a for day in LISTING_DAYS for p in listing_papers(day) for a in p.authors}
    authors |= {a for p in snapshot_papers() for a in p.authors}
    checked = 0
    for author in sorted(authors):
        try:
            query = parse_author_query(author)
        except ValueError:
            continue  # only initials, or nothing a name is made of
        checked += 1
        assert author_matches(query, author), author
        keys = set(index_keys_of(author))
        assert set(query.index_keys) <= keys and keys & set(query.first_key_choices), author
    assert checked > 20_000


def _index_keys_via_split(author: str) -> list[str]:
    """index_keys_of as first written: the other tokens from `_split_name` (a second
    tokenisation). On real names the keys must not change now that a name is tokenised once."""
    from bot.names import _parts, _split_name

    pieces = tuple(p for t in _split_name(author).tokens for p in t.split("-") if p)
    return list(_keys_by_definition(_parts(author), pieces))


def test_index_keys_are_unchanged_on_every_fixture_author() -> None:
    from tests.corpus import LISTING_DAYS, listing_papers, snapshot_papers

    papers = [*snapshot_papers(), *(p for day in LISTING_DAYS for p in listing_papers(day))]
    authors = {a for paper in papers for a in paper.authors}
    assert len(authors) > 10_000
    assert [a for a in authors if list(index_keys_of(a)) != _index_keys_via_split(a)] == []
    # The indexers' path, which leaves this module's caches alone, gives the same keys.
    assert [a for a in authors if index_keys_uncached(a) != index_keys_of(a)] == []


_NAME_PIECES = st.sampled_from([*"aBéÖß-,.' ()\\{}\"^`~", "Jr", "van", 'M\\"uller', "\\'{E}"])
_NAME_TEXT = st.lists(_NAME_PIECES, max_size=12).map("".join)


@given(_NAME_TEXT, _NAME_TEXT)
def test_the_index_holds_the_keys_of_every_query_that_matches_a_strange_name(query: str, author: str) -> None:
    """Commas, braces and TeX accents tokenise one way: a match always finds its keys."""
    for text in (query, author):
        try:
            parsed = parse_author_query(text)
        except ValueError:
            continue
        if author_matches(parsed, author):
            assert set(parsed.index_keys) <= set(index_keys_of(author)), (text, author)


def _keys_by_definition(parts: tuple[str, ...], pieces: tuple[str, ...]) -> tuple[str, ...]:
    """The author-index keys as the docstring of `index_keys_of` defines them, written plainly:
    each part, then the part with the initial of every other piece and with every other piece."""
    from bot.names import initial_key, name_key

    out = dict.fromkeys(parts)
    for part in parts:
        others = list(pieces)
        if part in others:
            others.remove(part)
        out.update((initial_key(part, i), None) for i in sorted({t[0] for t in others}))
        out.update((name_key(part, t), None) for t in sorted(set(others)))
    return tuple(out)


@pytest.mark.parametrize(
    "author", ["Wang Wang", "Anne-Anne Anne", "Ana-Bel Cruz-Ana", "J. J. Wang", "Zhang Zhang Zhang", "a b"]
)
def test_repeated_and_hyphenated_tokens_keep_their_keys(author: str) -> None:
    """A part that is also another token's piece (or appears twice) still pairs with it."""
    from bot.names import _index_keys, _name_tokens, _parts_of, _pieces_of

    tokens = _name_tokens(author)
    parts, pieces = _parts_of(tokens), _pieces_of(tokens)
    assert _index_keys(parts, pieces) == _keys_by_definition(parts, pieces)


@given(st.lists(st.sampled_from(["wang", "w", "wei", "an", "a", "ana-bel", "bel", "x-w"]), max_size=6))
def test_index_keys_follow_their_definition(tokens: list[str]) -> None:
    from bot.names import _index_keys, _parts_of, _pieces_of

    parts, pieces = _parts_of(tuple(tokens)), _pieces_of(tuple(tokens))
    assert _index_keys(parts, pieces) == _keys_by_definition(parts, pieces)
