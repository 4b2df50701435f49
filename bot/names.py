"""Author names: folding, index parts and query matching (SPEC §5).

Everything here is pure and cached: `name_parts` runs once per author string during bulk
load (millions of calls, heavy repetition), and `author_matches` runs on the few candidates
the store's author-part index returns.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache

from bot.sources.latex import latex_tables

# Entries of each per-author cache below (tokens, parts, pieces, index keys): ~1.8 KB an
# author across the four, so ~60 MB when a million-paper load has filled them, whatever the
# number of distinct authors (a real back-fill has over a million). A day's ~12,000 author
# strings fit several times over, for the digest's radar matching.
NAME_CACHE = 1 << 15


@cache
def _latex_res() -> tuple[re.Pattern[str], re.Pattern[str], dict[str, str]]:
    """Accent and letter commands from the one LaTeX table (bot.sources.latex, from pylatexenc).

    An accent is dropped with its command (\\"{u} -> u), since folding strips accents anyway;
    a letter command becomes its letter (\\o -> ø), which the fold then maps (ø -> o).
    """
    tables = latex_tables()
    symbols = "".join(re.escape(c) for c in sorted(tables.accents) if not c.isalpha())
    words = "".join(sorted(c for c in tables.accents if c.isalpha()))
    accent_re = re.compile(
        rf"\\(?:[{symbols}]|[{words}](?![A-Za-z]))\s*(?:\{{\s*(\\[ij]|[A-Za-z])\s*\}}|(\\[ij]|[A-Za-z]))"
    )
    names = "|".join(sorted(tables.letters, key=lambda n: (-len(n), n)))
    letter_re = re.compile(rf"\\({names})(?![A-Za-z])\s*")
    return accent_re, letter_re, tables.letters


# Lower-case letters NFKD does not decompose into base + combining mark, as plain letters
# (also used for citation keys, bot.export).
LETTER_FOLD = str.maketrans(
    {
        "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe", "ß": "ss",
        "ı": "i", "ȷ": "j", "ħ": "h", "ŧ": "t", "ŋ": "n", "ĸ": "k", "ſ": "s", "ƒ": "f",
    }
)  # fmt: skip
# German transliteration (ue = ü) collapsed everywhere, not only in German names: the same
# fold runs at index time and query time, so "Samuel" -> "samul" on both sides is harmless,
# and it is the only way "Guehring" can equal "Gühring" without knowing the language.
# Dropping every e after a/o/u keeps the fold idempotent (fold(fold(x)) == fold(x)).
_TRANSLIT_RE = re.compile(r"(?<=[aou])e+")
_APOSTROPHES = "'’ʼ`´"
_APOSTROPHES_RE = re.compile(f"[{_APOSTROPHES}]")
_APOSTROPHE_SET = frozenset(_APOSTROPHES)
_PARENS_RE = re.compile(r"\([^()]*\)?|\[[^\[\]]*\]?")
_TOKEN_RE = re.compile(r"[^\W_]+(?:-[^\W_]+)*")
_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})
# Name particles: kept as parts; in a query, one in the middle of a name is part of the surname.
PARTICLES = frozenset({
    "van", "von", "de", "der", "den", "di", "da", "del", "della", "des", "du", "la", "le", "ter", "ten",
    "dos", "das", "do", "zu", "zur", "y", "bin", "ibn", "al", "el"
})  # fmt: skip


def _decode_latex(text: str) -> str:
    accent_re, letter_re, letters = _latex_res()
    text = accent_re.sub(lambda m: (m.group(1) or m.group(2)).lstrip("\\"), text)
    text = letter_re.sub(lambda m: letters[m.group(1)], text)
    return text.replace("{", "").replace("}", "")


def _fold(text: str) -> str:
    # Stripping an accent can expose a LaTeX accent on a plain letter (\^À -> \^a -> a):
    # fold until nothing changes, so that fold is idempotent.
    folded = _fold_once(text)
    for _ in range(4):
        if "\\" not in folded:
            break
        again = _fold_once(folded)
        if again == folded:
            break
        folded = again
    return folded


def _fold_once(text: str) -> str:
    if "\\" in text:
        text = _decode_latex(text)
    s = text.casefold()
    if not s.isascii():
        s = unicodedata.normalize("NFKD", s.translate(LETTER_FOLD))
        # NFKD can reveal capitals (mathematical 𝑨 -> A): case-fold once more.
        s = "".join(c for c in s if not unicodedata.combining(c)).casefold().translate(LETTER_FOLD)
    return _TRANSLIT_RE.sub("", s)


@lru_cache(maxsize=1 << 16)
def fold(text: str) -> str:
    """Lower-case, LaTeX-decoded, accent-free, transliteration-insensitive form of a name."""
    return _fold(text)


@dataclass(frozen=True, slots=True)
class _Name:
    """One author string split into folded given-name and surname tokens."""

    given: tuple[str, ...]
    surname: tuple[str, ...]

    @property
    def tokens(self) -> tuple[str, ...]:
        return self.given + self.surname


def _tokens(text: str) -> list[str]:
    """Folded name tokens ("o'brien" -> "obrien"), suffixes such as Jr. dropped."""
    s = _fold(text)
    if not _APOSTROPHE_SET.isdisjoint(s):  # most names have none: skip the regex
        s = _APOSTROPHES_RE.sub("", s)
    tokens: list[str] = _TOKEN_RE.findall(s)
    return tokens if _SUFFIXES.isdisjoint(tokens) else [t for t in tokens if t not in _SUFFIXES]


def _drop_affiliations(author: str) -> str:
    # arXiv's dc:creator puts affiliations in parentheses; an unclosed one runs to the end.
    if "(" not in author and "[" not in author:
        return author
    text = _PARENS_RE.sub(" ", author)
    return text[: text.index("(")] if "(" in text else text


@lru_cache(maxsize=1 << 16)
def _split_name(author: str) -> _Name:
    text = _drop_affiliations(author)
    last, comma, first = text.partition(",")
    if comma and _tokens(last) and _tokens(first):  # "Grohs, Philipp" (not "Smith, Jr.")
        return _Name(tuple(_tokens(first)), tuple(_tokens(last)))
    tokens = _tokens(text)
    if len(tokens) <= 1:
        return _Name((), tuple(tokens))
    whole = [i for i, t in enumerate(tokens) if not _is_initial(t)]
    if whole and whole[-1] != len(tokens) - 1:  # "Grohs P." (surname first, initials after)
        k = whole[-1]
        return _Name(tuple(tokens[:k] + tokens[k + 1 :]), (tokens[k],))
    start = len(tokens) - 1
    while start > 1 and tokens[start - 1] in PARTICLES:  # "Ludwig van Beethoven"
        start -= 1
    return _Name(tuple(tokens[:start]), tuple(tokens[start:]))


def _is_initial(token: str) -> bool:
    return len(token) == 1 and token.isascii()


def _author_tokens(author: str) -> tuple[str, ...]:
    """The folded tokens of one author string, in written order: what parts and pieces are
    made of (neither depends on which token is the surname)."""
    return tuple(_tokens(_drop_affiliations(author)))


@lru_cache(maxsize=NAME_CACHE)
def _name_tokens(author: str) -> tuple[str, ...]:
    """_author_tokens, remembered: `_parts` and `_pieces` tokenise an author once."""
    return _author_tokens(author)


@lru_cache(maxsize=NAME_CACHE)
def _parts(author: str) -> tuple[str, ...]:
    return _parts_of(_name_tokens(author))


def _parts_of(tokens: tuple[str, ...]) -> tuple[str, ...]:
    out: dict[str, None] = {}
    for token in tokens:
        if not _is_initial(token):
            out[token] = None
        if "-" in token:  # index "mosella-montoro" and also "mosella", "montoro"
            out.update((p, None) for p in token.split("-") if not _is_initial(p))
    return tuple(out)


@lru_cache(maxsize=NAME_CACHE)
def index_keys_of(author: str) -> tuple[str, ...]:
    """Every key of the author index for one author string: its whole parts, and each whole
    part paired with the initial of every other token (`wang#j`).

    A full-name query such as "Jianwei Wang" then reads only the Wangs with a J token, not
    every Wang (tens of thousands at scale). Pairing with *every* other token, not only the
    first given name, keeps the index sound for what `author_matches` accepts: middle names
    ("Jismy Rasool" for "Mohamed Jismy Rasool") and surname-first strings ("Wang Jianwei")."""
    return _index_keys(_parts(author), _pieces(author))


def index_keys_uncached(author: str) -> tuple[str, ...]:
    """index_keys_of without filling this module's caches: for the indexers, which keep each
    author's keys in a cache of their own (a load meets each author once; its tokens, parts
    and pieces held here as well would double what it keeps)."""
    tokens = _author_tokens(author)
    return _index_keys(_parts_of(tokens), _pieces_of(tokens))


def _index_keys(parts: tuple[str, ...], pieces: tuple[str, ...]) -> tuple[str, ...]:
    # Each part with the initial of every other piece, then with every other piece whole,
    # both in sorted order; "other" leaves out one occurrence of the part itself. Written
    # for speed: a day's ingest makes these keys for ~6,000 new authors on the writer's
    # critical path, so the sorted initials and suffixed pieces are built once per author.
    out = dict.fromkeys(parts)
    if not pieces:
        return tuple(out)
    firsts: dict[str, int] = {}
    for piece in pieces:
        firsts[piece[0]] = firsts.get(piece[0], 0) + 1
    initials = sorted(firsts)
    suffixed = [(p, name_key("", p)) for p in sorted(set(pieces))]  # "#yijun=", "#y."
    for part in parts:
        if pieces.count(part) == 1:  # the part's own piece is not one of its given names
            own = part[0]
            for initial in initials:
                if initial != own or firsts[initial] > 1:
                    out[initial_key(part, initial)] = None
            for piece, suffix in suffixed:
                if piece != part:
                    out[part + suffix] = None
        else:
            for initial in initials:
                out[initial_key(part, initial)] = None
            for _piece, suffix in suffixed:
                out[part + suffix] = None
    return tuple(out)


def name_key(surname_part: str, token: str) -> str:
    """The author-index key of a surname part with a whole given name (`wang#yijun`), or with a
    lone initial (`wang#y.`: the author wrote only the initial)."""
    return f"{surname_part}#{token}." if _is_initial(token) else f"{surname_part}#{token}="


def initial_key(surname_part: str, initial: str) -> str:
    """The author-index key of a surname part with a given-name initial."""
    return f"{surname_part}#{initial}"


def name_parts(author: str) -> list[str]:
    """The folded whole-name parts of one author string: the keys of the author index.

    Initials are not parts (a query always has a surname to look up).
    """
    return list(_parts(author))


def surname_key(author: str) -> str:
    """The folded last name of an author ("" when there is none)."""
    surname = _split_name(author).surname
    return surname[-1] if surname else ""


def given_names(author: str) -> list[str]:
    """The folded given names and initials of an author, in order."""
    return list(_split_name(author).given)


@dataclass(frozen=True, slots=True)
class AuthorQuery:
    """A parsed author query: required surname parts plus given names that must be compatible."""

    text: str
    required: tuple[str, ...]  # whole parts every matching author has (surname first)
    given: tuple[str, ...]  # given names or initials; each needs a compatible author token

    @property
    def index_keys(self) -> list[str]:
        """Keys every matching author string has in the index: intersect their postings, then match.

        With a given name, the surname's key carries its initial (`wang#j`), which matches
        `Jianwei Wang`, `J. Wang` and `Wang, J.` alike and skips every other Wang. Each further
        given name needs a token of its own, so its initial's key is required too: `K. J.
        Zhang` reads the Zhangs with a K and a J, not every K. Zhang (on PostgreSQL 2 s cold,
        the name check rejecting nearly all of them)."""
        if not self.given or not self.given[0] or not self.required:
            return list(self.required)
        surname = self.required[0]
        further = [initial_key(surname, g[0]) for g in self.given[1:] if g]
        keys = [initial_key(surname, self.given[0][0]), *self.required[1:], *further]
        return list(dict.fromkeys(keys))

    @property
    def first_key_choices(self) -> tuple[str, ...]:
        """Keys of which every matching author has at least one, narrower than `index_keys[0]`:
        with a whole given name, the surname paired with that name or with its initial as a
        lone initial (`wang#yijun`, `wang#y.`) — every Yijun Wang and Y. Wang, no other Wang."""
        if not self.given or len(self.given[0]) < 2 or not self.required:
            return (self.index_keys[0],) if self.index_keys else ()
        first = self.given[0]
        return (name_key(self.required[0], first), name_key(self.required[0], first[0]))


@lru_cache(maxsize=4096)
def parse_author_query(text: str) -> AuthorQuery:
    """Parse `Grohs`, `P. Grohs`, `Philipp Grohs`, `Grohs, P.`; ValueError when there is no name."""
    name = _split_name(text)
    surname = [t for t in name.surname if not _is_initial(t)]
    given = list(name.given)
    if not surname:
        raise ValueError("an author name needs at least one whole name, not only initials")
    # Particles inside the given part ("Ludwig van Beethoven" split oddly) stay required too.
    required = [p for t in surname for p in t.split("-") if not _is_initial(p)]
    # A lone letter is an initial, even one that is also a particle: "Gregory Y. H. Lip" needs a
    # Y, not a part "y" no author has (which left him unfindable by his own name).
    particles = [t for t in given[1:] if t in PARTICLES and not _is_initial(t)]
    given = [t for i, t in enumerate(given) if i == 0 or t not in particles]
    if given and all(t in PARTICLES and not _is_initial(t) for t in given):  # "Del Maestro": a surname
        particles, given = [*given, *particles], []
    # An author's given names are matched piece by piece (`_pieces`: "Jean-Pierre" is jean and
    # pierre, "J.-P." is j and p), so the query's are split alike: kept whole, "jean-pierre"
    # was compatible with no piece, and `author "Jean-Pierre Serre"` missed Jean-Pierre Serre.
    given = list(_pieces_of(tuple(given)))
    return AuthorQuery(text=text, required=tuple(dict.fromkeys(required + particles)), given=tuple(given))


def _compatible(query_token: str, author_token: str) -> bool:
    # Whole names must be equal ("Phil" is not "Philipp"); an initial matches its name.
    if query_token == author_token:
        return True
    if _is_initial(query_token):
        return author_token.startswith(query_token)
    return _is_initial(author_token) and query_token.startswith(author_token)


def _assign(given: tuple[str, ...], pool: list[str]) -> bool:
    """True when each query given name takes a distinct compatible author token."""
    if not given:
        return True
    head, rest = given[0], given[1:]
    for i, token in enumerate(pool):
        if _compatible(head, token) and _assign(rest, pool[:i] + pool[i + 1 :]):
            return True
    return False


@lru_cache(maxsize=NAME_CACHE)
def _pieces(author: str) -> tuple[str, ...]:
    """Author tokens with hyphenated names split, initials included (for given-name checks)."""
    return _pieces_of(_name_tokens(author))


def _pieces_of(tokens: tuple[str, ...]) -> tuple[str, ...]:
    if "-" not in "".join(tokens):  # most names: the tokens are the pieces
        return tokens
    return tuple(p for t in tokens for p in t.split("-") if p)


def author_matches(query: AuthorQuery, author: str) -> bool:
    """True when the author string is compatible with the query (whole parts, folded)."""
    parts = _parts(author)
    if not all(r in parts for r in query.required):
        return False
    if not query.given:
        return True
    pool = list(_pieces(author))
    for r in query.required:  # the surname is used up; what is left can carry given names
        if r in pool:
            pool.remove(r)
    return _assign(query.given, pool)
