"""LaTeX accents in names and text (`Andr\\'e` → `André`), leaving `$math$` alone."""

from __future__ import annotations

import re
import unicodedata

# Accent command → Unicode combining mark; NFC then composes base + mark into one letter.
_COMBINING = {
    "'": "\u0301",
    "`": "\u0300",
    "^": "\u0302",
    '"': "\u0308",
    "~": "\u0303",
    "=": "\u0304",
    ".": "\u0307",
    "u": "\u0306",
    "v": "\u030c",
    "H": "\u030b",
    "c": "\u0327",
    "k": "\u0328",
    "r": "\u030a",
    "d": "\u0323",
}
_SPECIAL = {
    "ss": "ß",
    "ae": "æ",
    "AE": "Æ",
    "oe": "œ",
    "OE": "Œ",
    "aa": "å",
    "AA": "Å",
    "o": "ø",
    "O": "Ø",
    "l": "ł",
    "L": "Ł",
    "i": "ı",
    "j": "ȷ",
}
_ESCAPED = {"&": "&", "%": "%", "_": "_", "#": "#"}

# A base letter is a plain letter or a dotless \i / \j (as in \'{\i}).
_BASE = r"(?:\\[ij](?![A-Za-z])|[A-Za-z])"
# Symbol accents may touch their letter (\'e); letter accents need a space or a brace (\v c, \v{c}),
# and must not be the start of a longer command such as \cite or \delta.
_ACCENT_RE = re.compile(
    r"\\(?:(?P<sym>['`^\"~=.])\s*|(?P<word>[uvHckrd])(?![A-Za-z])\s*)"
    rf"(?:\{{\s*(?P<braced>{_BASE})\s*\}}|(?P<bare>{_BASE}))"
)
_SPECIAL_RE = re.compile(r"\\(ss|ae|AE|oe|OE|aa|AA|o|O|l|L|i|j)(?![A-Za-z])(?:\{\}| )?")
_ESCAPED_RE = re.compile(r"\\([&%_#])")
# Braces that only protect one (possibly accented) letter or word: {\"u} → ü, {B}ayes → Bayes;
# a command's own argument (\\cite{x}) is left alone (_unbrace looks back for the command).
# The search starts at a brace: an optional command group in front made the regex try a match
# at every character (20 µs an abstract, most of a million-paper load's LaTeX time).
_BRACES_RE = re.compile(r"\{([^\W\d_]+)\}")
_ASCII_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_MATH_RE = re.compile(r"(\$\$.+?\$\$|\$[^$]+\$)", re.DOTALL)


def _accent(match: re.Match[str]) -> str:
    command = match.group("sym") or match.group("word")
    base = match.group("braced") or match.group("bare")
    if base.startswith("\\"):
        base = base[1]  # dotless i/j carry the accent as a plain i/j
    return unicodedata.normalize("NFC", base + _COMBINING[command])


def _decode_plain(text: str) -> str:
    if "\\" not in text:  # most text between math spans has no commands at all
        return text
    text = _ACCENT_RE.sub(_accent, text)
    if "\\" in text:
        text = _SPECIAL_RE.sub(lambda m: _SPECIAL[m.group(1)], text)
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
