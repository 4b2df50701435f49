"""LaTeX accents in names and text (`Andr\\'e` → `André`), leaving `$math$` alone.

What each accent and letter command means comes from pylatexenc (`latex_tables`); decoding
itself is a few regexes built from those tables, because it runs on every title, abstract
and author of a million-paper load, and pylatexenc's full parser is far slower per string
(bench/RESULTS.md, "LaTeX decoding").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache, partial

_ESCAPED = {"&": "&", "%": "%", "_": "_", "#": "#"}

# A base letter is a plain letter or a dotless \i / \j (as in \'{\i}).
_BASE = r"(?:\\[ij](?![A-Za-z])|[A-Za-z])"


@dataclass(frozen=True, slots=True)
class LatexTables:
    """pylatexenc's knowledge of text-mode accents and letter commands, as plain tables."""

    accents: dict[str, str]  # accent command (`'`, `v`) -> Unicode combining mark
    letters: dict[str, str]  # letter command (`ss`, `o`, `L`) -> the letter (`ß`, `ø`, `Ł`)


@cache
def latex_tables() -> LatexTables:
    """Read pylatexenc's tables once (on the first string with a backslash, not at import).

    Only one-character accent commands (`\\'`, `\\v`) are text-mode accents; `\\hat` and
    friends are math. Letter commands are the short ones that stand for one letter (`\\ss`,
    `\\o`, `\\dh`) and give a Latin letter; `\\pi` or `\\alpha` are math too.
    """
    from pylatexenc.latex2text import LatexNodes2Text, get_default_latex_context_db

    specs = list(get_default_latex_context_db().iter_macro_specs())
    letters = {
        spec.macroname: spec.simplify_repl
        for spec in specs
        if len(spec.macroname) <= 2 and spec.macroname.isalpha() and isinstance(spec.simplify_repl, str)
        and len(spec.simplify_repl) == 1 and unicodedata.name(spec.simplify_repl, "").startswith("LATIN")
    }  # fmt: skip
    # Accents are functions in pylatexenc: ask it to accent an `a` and keep the marks it adds.
    candidates = sorted({s.macroname for s in specs if len(s.macroname) == 1 and callable(s.simplify_repl)})
    probed = LatexNodes2Text().latex_to_text("|".join(f"\\{c}{{a}}" for c in candidates)).split("|")
    accents = {}
    for command, text in zip(candidates, probed, strict=True):
        marks = unicodedata.normalize("NFD", text)[1:]
        if marks and all(unicodedata.combining(m) for m in marks):
            accents[command] = marks
    return LatexTables(accents=accents, letters=letters)


@dataclass(frozen=True, slots=True)
class _Decoder:
    accents: Callable[[str], str]  # replaces every accent command in a string
    letters: Callable[[str], str]  # replaces every letter command


def _class_of(chars: Iterable[str]) -> str:
    return "".join(re.escape(c) for c in sorted(chars))


@cache
def _decoder() -> _Decoder:
    tables = latex_tables()
    marks, letters = tables.accents, tables.letters
    symbols = _class_of(c for c in marks if not c.isalpha())
    words = _class_of(c for c in marks if c.isalpha())
    # Symbol accents may touch their letter (\'e); letter accents need a space or a brace
    # (\v c, \v{c}), and must not be the start of a longer command such as \cite or \delta.
    accent_re = re.compile(
        rf"\\(?:(?P<sym>[{symbols}])\s*|(?P<word>[{words}])(?![A-Za-z])\s*)"
        rf"(?:\{{\s*(?P<braced>{_BASE})\s*\}}|(?P<bare>{_BASE}))"
    )
    # Longest names first, so that \oe is not read as \o followed by an e.
    names = "|".join(sorted(letters, key=lambda n: (-len(n), n)))
    letter_re = re.compile(rf"\\({names})(?![A-Za-z])(?:\{{\}}| )?")

    def accent(match: re.Match[str]) -> str:
        base = match.group("braced") or match.group("bare")
        if base[0] == "\\":
            base = base[1]  # dotless i/j carry the accent as a plain i/j
        return unicodedata.normalize("NFC", base + marks[match.group("sym") or match.group("word")])

    return _Decoder(
        accents=partial(accent_re.sub, accent),
        letters=partial(letter_re.sub, lambda m: letters[m.group(1)]),
    )


_ESCAPED_RE = re.compile(r"\\([&%_#])")
# Braces that only protect one (possibly accented) letter or word: {\"u} → ü, {B}ayes → Bayes;
# a command's own argument (\\cite{x}) is left alone (_unbrace looks back for the command).
# The search starts at a brace: an optional command group in front made the regex try a match
# at every character (20 µs an abstract, most of a million-paper load's LaTeX time).
_BRACES_RE = re.compile(r"\{([^\W\d_]+)\}")
_ASCII_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_MATH_RE = re.compile(r"(\$\$.+?\$\$|\$[^$]+\$)", re.DOTALL)


def _decode_plain(text: str) -> str:
    if "\\" not in text:  # most text between math spans has no commands at all
        return text
    decoder = _decoder()
    text = decoder.accents(text)
    if "\\" in text:
        text = decoder.letters(text)
        text = _ESCAPED_RE.sub(lambda m: _ESCAPED[m.group(1)], text)
    return _BRACES_RE.sub(_unbrace, text) if "{" in text else text


def _unbrace(match: re.Match[str]) -> str:
    text, end = match.string, match.start()
    while end and text[end - 1].isspace():  # `\\cite {x}` is an argument too
        end -= 1
    start = end
    while start and text[start - 1] in _ASCII_LETTERS:
        start -= 1
    is_argument = start < end and start > 0 and text[start - 1] == "\\"
    return match.group(0) if is_argument else match.group(1)


def decode_latex(text: str) -> str:
    """Replace LaTeX accent commands outside `$…$` math by Unicode letters."""
    if "\\" not in text:
        return text
    if "$" not in text:
        return _decode_plain(text)
    parts = _MATH_RE.split(text)
    # re.split with one capturing group puts the math spans at the odd indexes.
    return "".join(part if i % 2 else _decode_plain(part) for i, part in enumerate(parts))
