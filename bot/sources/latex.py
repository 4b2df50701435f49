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
# Braces that only protect one (possibly accented) letter or word: {\"u} → ü, {B}ayes → Bayes.
# A command's own argument (\\cite{x}) is matched whole so that it is left alone.
_BRACES_RE = re.compile(r"(\\[A-Za-z]+\s*)?\{([^\W\d_]+)\}")
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
    return match.group(0) if match.group(1) else match.group(2)


def decode_latex(text: str) -> str:
    """Replace LaTeX accent commands outside `$…$` math by Unicode letters."""
    if "\\" not in text:
        return text
    if "$" not in text:
        return _decode_plain(text)
    parts = _MATH_RE.split(text)
    # re.split with one capturing group puts the math spans at the odd indexes.
    return "".join(part if i % 2 else _decode_plain(part) for i, part in enumerate(parts))
