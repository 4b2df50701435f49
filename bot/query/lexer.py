"""The `/papers` lexer and filter values: clean text, tokens, categories, names, dates."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from bot.names import parse_author_query
from bot.query.model import _WORD_RE, Filters, usage_error
from bot.stopwords import stop_words_only

# ---- text cleaning and the lexer --------------------------------------------------------------

_QUOTES = str.maketrans(dict.fromkeys("“”„‟″«»〝〞＂", '"'))
# Slack may send links as <https://…> or <https://…|label>.
_SLACK_LINK_RE = re.compile(r"<((?:https?|mailto|file):[^|>\s]*)(?:\|[^>]*)?>")
_SHARE_RE = re.compile(r"(?<!\S)--share(?!\S)", re.IGNORECASE)
_ME_RE = re.compile(r"(?<!\S)--me(?!\S)", re.IGNORECASE)
_KEY_RE = re.compile(r"([A-Za-z]+):")
# The rule keys radar rules take (`subscribe author:…`); a query's filters take them and `since:`.
RULE_KINDS = {"author": "author", "cat": "cat", "category": "cat", "keyword": "keyword", "kw": "keyword"}
RULE_KINDS |= {"feed": "feed", "include": "include"}
_KEYS = {**RULE_KINDS, "since": "since"}


@dataclass(frozen=True, slots=True)
class _Token:
    raw: str
    value: str
    key: str | None = None  # canonical filter key (author, cat …) when given as key:value
    neg: bool = False
    quoted: bool = False


def clean_text(text: str) -> str:
    """Drop control and format characters, unify quotes and spaces, unwrap Slack links."""
    text = unicodedata.normalize("NFC", _SLACK_LINK_RE.sub(r"\1", text)).translate(_QUOTES)
    text = "".join(c if unicodedata.category(c)[0] != "C" else " " for c in text)
    return " ".join(text.split())


def _read_value(text: str, i: int) -> tuple[str, bool, int]:
    """The quoted or bare value starting at i: (value, quoted, end). An unclosed quote ends the text."""
    if i < len(text) and text[i] == '"':
        end = text.find('"', i + 1)
        return (text[i + 1 :], True, len(text)) if end < 0 else (text[i + 1 : end], True, end + 1)
    end = i
    while end < len(text) and not text[end].isspace() and text[end] != '"':
        end += 1
    return text[i:end], False, end


def _lex(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    while i < len(text):
        if text[i].isspace():
            i += 1
            continue
        start = i
        neg = text[i] == "-" and i + 1 < len(text) and text[i + 1] not in " -"
        i += neg
        key = None
        m = _KEY_RE.match(text, i)
        if m and m.group(1).lower() in _KEYS:
            key, i = _KEYS[m.group(1).lower()], m.end()
            if text[i : i + 1] == " " and not _KEY_RE.match(text, i + 1):  # `author: Grohs`
                i += 1
        value, quoted, i = _read_value(text, i)
        tokens.append(_Token(text[start:i], value, key, neg, quoted))
    return tokens


# ---- filter values ------------------------------------------------------------------------

_ARCHIVES = frozenset({
    "math", "cs", "stat", "physics", "cond-mat", "astro-ph", "hep-th", "hep-ph", "hep-ex", "hep-lat",
    "gr-qc", "quant-ph", "nucl-th", "nucl-ex", "math-ph", "nlin", "q-bio", "q-fin", "eess", "econ",
    "alg-geom", "funct-an", "dg-ga", "q-alg", "chao-dyn", "solv-int", "patt-sol", "adap-org",
    "comp-gas", "cmp-lg", "mtrl-th", "supr-con", "atom-ph", "chem-ph", "plasm-ph", "acc-phys", "ao-sci",
    "bayes-an"
})  # fmt: skip
_CAT_RE = re.compile(r"([A-Za-z][A-Za-z-]*)(?:\.([A-Za-z][A-Za-z-]*|\*))?")


def normalize_category(text: str) -> str | None:
    """arXiv's spelling of a category or archive (`cs.lg` -> `cs.LG`, `MATH` -> `math`), or None."""
    m = _CAT_RE.fullmatch(text.strip())
    if not m or m.group(1).lower() not in _ARCHIVES:
        return None
    archive, subject = m.group(1).lower(), m.group(2)
    if subject is None or subject == "*":
        return archive
    # cond-mat and physics subject classes are lower-case (cond-mat.mes-hall); the rest upper.
    return f"{archive}.{subject.lower() if archive in ('cond-mat', 'physics') else subject.upper()}"


def category_items(value: str) -> list[str]:
    """The items of a comma list of categories (`math.NA,cs.LG`), blanks left out."""
    return [c for c in value.split(",") if c.strip()]


def _category(text: str) -> str:
    cat = normalize_category(text)
    if cat is None:
        what = f"`{text[:40]}` is not an arXiv category" if text.strip() else "`cat:` needs a category"
        raise usage_error(what, "cat", "cat math.NA", "cat cs.LG", "cat math")
    return cat


def author_name(text: str) -> str:
    name = " ".join(text.split())
    if not name:
        raise usage_error("`/papers author` needs a name", "author", "author Grohs", 'author "Philipp Grohs"')
    try:
        parse_author_query(name)
    except ValueError:
        raise usage_error(f"`{name[:40]}` has no name to look up", "author", "author P. Grohs") from None
    return name


_SINCE_RE = re.compile(r"(\d{1,6})([dwmy])", re.IGNORECASE)
_UNIT_DAYS = {"d": 1, "w": 7, "m": 30, "y": 365}


def _since(text: str) -> tuple[int | None, dt.date | None]:
    m = _SINCE_RE.fullmatch(text.strip())
    if m:
        days = int(m.group(1)) * _UNIT_DAYS[m.group(2).lower()]
        if days <= 36500:  # a century; more overflows dates
            return days, None
    else:
        try:
            return None, dt.date.fromisoformat(text.strip())
        except ValueError:
            pass
    raise usage_error(
        f"`since:{text[:20]}` is not a time span", "search", "search since:30d", "search since:2026-06-01"
    )


def _phrase(text: str) -> str | None:
    phrase = " ".join(text.split())
    return phrase if any(c.isalnum() for c in phrase) else None


class _Builder:
    """Collects filters while parsing one query."""

    def __init__(self) -> None:
        self.authors: list[str] = []
        self.categories: list[str] = []
        self.words: list[str] = []
        self.phrases: list[str] = []
        self.exclude: list[str] = []
        self.since: tuple[int | None, dt.date | None] = (None, None)

    def term(self, token: _Token) -> None:
        """A free word or quoted phrase (or its exclusion)."""
        if token.quoted:
            terms = [p] if (p := _phrase(token.value)) else []
        else:
            terms = _WORD_RE.findall(token.value)
        # A term of stop words alone is dropped, wanted or excluded: PostgreSQL's keys have
        # none, so it matched nothing there, and FTS5 holds them, so it matched nearly every
        # paper (`search model "of the"` found nothing on one store and model papers on the
        # other; `-Loop,and` is `-Loop -and`: `cat cs.AI -Loop,and` found none on SQLite).
        terms = [t for t in terms if not stop_words_only(t)]
        if token.neg:
            self.exclude.extend(terms)
        else:
            (self.phrases if token.quoted else self.words).extend(terms)

    def filter(self, token: _Token) -> None:
        """A key:value filter."""
        if token.neg:
            raise usage_error(
                "Only words and phrases can be excluded with `-`", "search", "search operator -survey"
            )
        if token.key == "author":
            self.authors.append(author_name(token.value))
        elif token.key == "cat":
            cats = category_items(token.value) or [token.value]  # cat:math.NA,cs.LG
            self.categories.extend(_category(c) for c in cats)
        elif token.key == "keyword":
            if not (phrase := _phrase(token.value)):
                raise usage_error(
                    "`keyword:` needs a word or phrase", "search", 'search keyword:"neural operator"'
                )
            self.term(_Token(token.raw, phrase, quoted=" " in phrase))
        elif token.key == "since":
            self.since = _since(token.value)
        else:
            raise usage_error(
                f"`{token.key}:` only works in a radar rule", "subscribe", f"subscribe {token.key}:…"
            )

    def build(self) -> Filters:
        """The collected filters, de-duplicated in order."""

        def uniq(items: list[str]) -> tuple[str, ...]:
            return tuple(dict.fromkeys(items))

        return Filters(
            uniq(self.authors), uniq(self.categories), uniq(self.words), uniq(self.phrases),
            uniq(self.exclude), *self.since,
        )  # fmt: skip
