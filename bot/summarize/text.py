"""Plain-text helpers for summaries: LaTeX to text, sentences, trimming, stop words."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

_GREEK = {
    "alpha": "α",
    "beta": "β",
    "gamma": "γ",
    "delta": "δ",
    "epsilon": "ε",
    "varepsilon": "ε",
    "theta": "θ",
    "lambda": "λ",
    "mu": "μ",
    "pi": "π",
    "sigma": "σ",
    "tau": "τ",
    "phi": "φ",
    "omega": "ω",
    "Delta": "Δ",
    "Omega": "Ω",
    "ell": "ℓ",
    "infty": "∞",
    "leq": "≤",
    "le": "≤",
    "geq": "≥",
    "ge": "≥",
    "times": "×",
    "cdot": "·",
    "approx": "≈",
    "sim": "~",
    "to": "→",
    "rightarrow": "→",
    "in": "∈",
    "log": "log",
    "sqrt": "√",
}
_DROP_CMD_RE = re.compile(
    r"\s*~?\\(?:cite[tp]?|citep|ref|eqref|label|footnote|url)\*?(?:\[[^\]]*\])?\{[^{}]*\}"
)
_TEXT_CMD_RE = re.compile(
    r"\\(?:emph|textit|textbf|texttt|textrm|textsf|text|mathrm|mathcal|mathbb|mathbf|mathsf|mathit|"
    r"operatorname|boldsymbol|bm|mbox|underline|overline|widetilde|tilde|hat|bar)\s*\{([^{}]*)\}"
)
_FRAC_RE = re.compile(r"\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}")
_SCRIPT_RE = re.compile(r"([\^_])\{([^{}]*)\}")
_CMD_RE = re.compile(r"\\([A-Za-z]+)\s?")
_SPACE_RE = re.compile(r"\s+")

# Abbreviations whose full stop does not end a sentence.
_ABBREV = re.compile(r"(?:\b(?:e\.g|i\.e|et al|etc|vs|cf|resp|Fig|Figs|Eq|Eqs|Sec|Ref|No|approx|Dr|St)\.)$")
# A sentence ends at . ! ? followed by spaces and a capital, digit, quote, bracket, `$`, `\`
# or CJK character, or right after 。！？. (Searched from the punctuation, which `re` skips
# ahead to: a split on the lookbehind tried every character, ~70 µs an abstract.)
_SENTENCE_END_RE = re.compile(r"[.!?]\s+(?=[\"'(\[A-Z0-9$\\\u3400-\u9fff])|[。！？]")


@lru_cache(maxsize=16384)  # a day's abstracts are cleaned for TL;DRs, themes and briefing sentences
def clean_latex(text: str) -> str:
    """Turn common LaTeX in arXiv abstracts into readable plain text."""
    s = text
    if "\\" in s:  # commands (most abstracts have none; `x^{2}` alone loses its braces below)
        s = _DROP_CMD_RE.sub("", s)
        s = re.sub(r"\\[()\[\]]", "", s)  # \( \) \[ \] math delimiters
        for _ in range(3):  # nested {…} unwrap from the inside out
            s = _TEXT_CMD_RE.sub(r"\1", s)
            s = _FRAC_RE.sub(r"\1/\2", s)
            s = _SCRIPT_RE.sub(r"\1\2", s)
        s = s.replace("\\%", "%").replace("\\&", "&").replace("\\_", "_").replace("\\$", "\uff04")
        s = s.replace("\\{", "{").replace("\\}", "}").replace("\\,", " ").replace("\\ ", " ")
        s = _CMD_RE.sub(lambda m: _GREEK.get(m.group(1), m.group(1)) + " ", s)
    s = s.replace("$", "").replace("{", "").replace("}", "").replace("~", " ").replace("\uff04", "$")
    s = re.sub(r"\s+([,.;:)])", r"\1", s)
    return _SPACE_RE.sub(" ", s).strip()


def split_sentences(text: str) -> list[str]:
    """Split an abstract into sentences (Latin and CJK punctuation), keeping abbreviations intact."""
    out: list[str] = []
    for piece in _pieces(text):
        piece = piece.strip()
        if not piece:
            continue
        if out and _ABBREV.search(out[-1]):
            out[-1] = f"{out[-1]} {piece}"
        else:
            out.append(piece)
    return out


def _pieces(text: str) -> Iterator[str]:
    """The text cut after each sentence's end (the spaces after it dropped)."""
    start = 0
    for end in _SENTENCE_END_RE.finditer(text):
        yield text[start : end.start() + 1]
        start = end.end()
    yield text[start:]


def trim(text: str, limit: int) -> str:
    """Cut to `limit` characters at a word boundary, ending in an ellipsis."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit * 0.6:  # no nearby space: CJK or a long token, so cut hard
        cut = cut[:space]
    return cut.rstrip(" ,;:-–—(") + "…"


# Function words and filler verbs of abstracts: never part of a key phrase.
_STOP_WORDS = """
    a about above across after again against all almost along also although always among an and any
    are as at be been being between both but by can could do does done each either else enough even
    ever every few for from further given had has have having here how however if in into is it its
    itself just less like many may more most much must near neither no nor not of off often on once
    only or other others otherwise our out over own per rather same several should since so some such
    than that the their them then there these they this those though through thus to too towards under
    until up upon us very via was we well were what when where whereas whether which while who whose
    why will with within without would yet you your able across allows based better case cases
    demonstrate demonstrates derive develop different due effective efficient existing experiments first
    further general high however important improve improves including introduce key large low main
    moreover novel one paper papers present proposed propose proposes provide provides recent results
    second show shows significant significantly simple state study studies three two type types use used
    uses using various way ways whole work works art even new various strong robust extensive
    achieve achieves achieved specific produce produces generate generates enable enables require
    requires lead leads allow obtain obtains remain remains make makes take takes capture captures
    perform performs apply applies state-of-the-art high-quality high-fidelity"""
STOP_WORDS = frozenset(_STOP_WORDS.split())
