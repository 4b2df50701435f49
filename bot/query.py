"""The `/papers` language: `parse(text) -> Command` and `format_command(Command) -> text` (pure).

Every string parses to a Command or raises UsageError with one friendly sentence, never
anything else (the tests fuzz this). The grammar is described in docs/query-language.md.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import TYPE_CHECKING

from bot.ids import canonical_id
from bot.names import parse_author_query

if TYPE_CHECKING:
    from bot.radar import RadarRule

MAX_LENGTH = 500  # longer text is refused, not truncated: a cut query would mean something else
EXPORT_FORMATS = ("bibtex", "ris", "csl-json")
QUERY_COMMANDS = frozenset({"author", "search", "cat", "today"})


class UsageError(ValueError):
    """A query the user has to fix; `message` is one sentence for them, with the right form."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Filters:
    """What a query looks for; every field narrows the result."""

    authors: tuple[str, ...] = ()  # each must match (AND)
    categories: tuple[str, ...] = ()  # any may match (OR); an archive (`math`) means every math.*
    words: tuple[str, ...] = ()  # free words, AND, full text
    phrases: tuple[str, ...] = ()  # exact phrases, AND
    exclude: tuple[str, ...] = ()  # words or phrases that must not appear
    since_days: int | None = None
    since_date: dt.date | None = None


@dataclass(frozen=True)
class Schedule:
    """When a channel's daily thread is posted."""

    time: dt.time
    tz: str


@dataclass(frozen=True)
class Command:
    """One parsed `/papers` command."""

    name: str
    filters: Filters = field(default_factory=Filters)
    share: bool = False
    paper_id: str | None = None
    export_format: str | None = None
    rule: RadarRule | None = None
    index: int | None = None
    schedule: Schedule | None = None  # None with name 'schedule' means off
    language: str | None = None  # None with name 'language' means "show the current one"
    topic: str | None = None  # `help author`

    def is_query(self) -> bool:
        """True for commands that answer with papers from the store."""
        return self.name in QUERY_COMMANDS

    def to_text(self) -> str:
        """The canonical `/papers` text of this command (parse(to_text()) == self)."""
        return format_command(self)


# ---- usage messages -------------------------------------------------------------------------

_USAGE = {
    "help": ("help [command]", "this list, or one command's details"),
    "author": ("author NAME", 'papers by an author: `Grohs`, `"Philipp Grohs"`, `P. Grohs`'),
    "search": ("search WORDS", 'full text: words, "exact phrases", -excluded'),
    "cat": ("cat CATEGORY", "a category (`cat math.NA`) or a whole archive (`cat math`)"),
    "today": ("today", "today's papers on this channel's radar"),
    "more": ("more", "the next batch of your last answer"),
    "paper": ("paper ID", "one paper by arXiv id, arXiv link or DOI, e.g. `paper 2606.16028`"),
    "saved": ("saved", "your reading list (react 🔖 to a paper to save it)"),
    "export": ("export [bibtex|ris|csl-json]", "your reading list as a file (default bibtex)"),
    "radar": ("radar", "this channel's radar rules, numbered, and its schedule"),
    "subscribe": (
        "subscribe RULE",
        'add `author:NAME`, `cat:CAT`, `keyword:"…"`, `feed:URL` or `include:replacements`',
    ),
    "unsubscribe": ("unsubscribe N", "remove rule N, as numbered by `/papers radar`"),
    "schedule": ("schedule HH:MM ZONE | off", "when the daily thread is posted, e.g. `09:00 Europe/Vienna`"),
    "language": ("language CODE", "the language of TL;DRs and briefings here, e.g. `zh`, `de`, `en`"),
    "digest": ("digest now", "post this channel's digest now"),
}
_FILTER_HELP = (
    'Filters for author/search/cat/today: `author:NAME` `cat:CAT` `keyword:"…"` '
    '`since:30d|2w|2026-06-01` `"exact phrase"` `-word` `--share` (show the answer to everyone).'
)


def usage(command_name: str) -> str:
    """One command's usage line; the whole help text for an unknown name."""
    if command_name not in _USAGE:
        return help_text()
    syntax, what = _USAGE[command_name]
    return f"`/papers {syntax}` — {what}."


def help_text() -> str:
    """The help message: every command on one line, then the filters."""
    lines = [f"`/papers {syntax}` — {what}" for syntax, what in _USAGE.values()]
    return "\n".join([*lines, _FILTER_HELP])


def usage_error(what: str, command_name: str, *examples: str) -> UsageError:
    """A UsageError saying what was wrong and showing the right form."""
    tries = (
        " or ".join(f"`/papers {e}`" for e in examples)
        if examples
        else f"`/papers {_USAGE[command_name][0]}`"
    )
    return UsageError(f"{what} — try {tries}.")


# ---- text cleaning and the lexer --------------------------------------------------------------

_QUOTES = str.maketrans(dict.fromkeys("“”„‟″«»〝〞＂", '"'))
# Slack may send links as <https://…> or <https://…|label>.
_SLACK_LINK_RE = re.compile(r"<((?:https?|mailto|file):[^|>\s]*)(?:\|[^>]*)?>")
_SHARE_RE = re.compile(r"(?<!\S)--share(?!\S)", re.IGNORECASE)
_KEY_RE = re.compile(r"([A-Za-z]+):")
_KEYS = {"author": "author", "cat": "cat", "category": "cat", "keyword": "keyword", "kw": "keyword"}
_KEYS |= {"since": "since", "feed": "feed", "include": "include"}
# A word: letters/digits, inner - . ' + / _ allowed (physics-informed, 10.1000/x, C++).
_WORD_RE = re.compile(r"[^\W_]+(?:[-.'+/_][^\W_]+)*\+*")
_SIMPLE_RE = re.compile(r"[^\W_][\w.'-]*")


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
        target = self.exclude if token.neg else (self.phrases if token.quoted else self.words)
        target.extend(terms)

    def filter(self, token: _Token) -> None:
        """A key:value filter."""
        if token.neg:
            raise usage_error(
                "Only words and phrases can be excluded with `-`", "search", "search operator -survey"
            )
        if token.key == "author":
            self.authors.append(author_name(token.value))
        elif token.key == "cat":
            cats = [c for c in token.value.split(",") if c.strip()] or [token.value]  # cat:math.NA,cs.LG
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


# ---- commands -------------------------------------------------------------------------------

_ALIASES = {"authors": "author", "find": "search", "category": "cat", "show": "paper", "list": "saved"}


def parse(text: str) -> Command:
    """Parse the text after `/papers`; raises UsageError with a sentence for the user."""
    # Longer text is refused, not cut: a truncated query would silently mean something else.
    if len(text) > 4 * MAX_LENGTH or len(cleaned := clean_text(text)) > MAX_LENGTH:
        raise usage_error(
            f"That is too long (over {MAX_LENGTH} characters)", "search", "search operator learning"
        )
    share = bool(_SHARE_RE.search(cleaned))
    cleaned = " ".join(_SHARE_RE.sub(" ", cleaned).split())
    head, _, rest = cleaned.partition(" ")
    name = _ALIASES.get(head.lower(), head.lower())
    if name in QUERY_COMMANDS:
        return _query(name, rest, share)
    if name in _HANDLERS:
        return _HANDLERS[name](rest, share)
    if not cleaned:
        return Command("help", share=share)
    if ":" not in head:  # `author:Grohs …` is a search with a filter, not a typo
        _refuse_near_miss(head)
    # An unknown first word starts a search: `/papers operator learning` should just work.
    return _query("search", cleaned, share)


def _refuse_near_miss(word: str) -> None:
    """A mistyped command (`subscibe`) is refused, not searched for."""
    close = difflib.get_close_matches(word.lower(), _USAGE, n=1, cutoff=0.8)
    if close and len(word) >= 4:
        raise UsageError(
            f"Unknown command `{word[:30]}` — did you mean `/papers {_USAGE[close[0]][0]}`? "
            f"To search for the word, use `/papers search {word[:30]}`."
        )


def _query(name: str, rest: str, share: bool) -> Command:
    builder = _Builder()
    positional: list[_Token] = []
    for token in _lex(rest):
        if token.key:
            builder.filter(token)
        elif token.raw.startswith("--"):
            raise usage_error(f"Unknown option `{token.raw[:30]}` (the only option is `--share`)", "search")
        elif token.neg:
            builder.term(token)
        else:
            positional.append(token)
    if name == "author":
        positional = _takeauthor_name(positional, builder)
    elif name == "cat":
        positional = _take_categories(positional, builder)
    for token in positional:
        builder.term(token)
    filters = builder.build()
    if name == "search" and filters == Filters():
        raise usage_error(
            "`/papers search` needs something to look for", "search", "search operator learning"
        )
    return Command(name, filters=filters, share=share)


def _takeauthor_name(positional: list[_Token], builder: _Builder) -> list[_Token]:
    """The name: a first quoted token, or the run of bare tokens before any quoted one."""
    if positional and positional[0].quoted:
        name_tokens, rest = positional[:1], positional[1:]
    else:
        cut = next((i for i, t in enumerate(positional) if t.quoted), len(positional))
        name_tokens, rest = positional[:cut], positional[cut:]
    if name_tokens:
        builder.authors.insert(0, author_name(" ".join(t.value for t in name_tokens)))
    if not builder.authors:
        raise usage_error("`/papers author` needs a name", "author", "author Grohs", 'author "Philipp Grohs"')
    return rest


def _take_categories(positional: list[_Token], builder: _Builder) -> list[_Token]:
    """Bare tokens that are categories; the others stay search terms."""
    rest = []
    for token in positional:
        cat = None if token.quoted else normalize_category(token.value)
        if cat:
            builder.categories.append(cat)
        else:
            rest.append(token)
    if not builder.categories:
        what = (
            f"`{positional[0].value[:40]}` is not an arXiv category"
            if positional
            else "`/papers cat` needs one"
        )
        raise usage_error(what, "cat", "cat math.NA", "cat cs.LG", "cat math")
    return rest


def _no_args(name: str) -> _Handler:
    def handle(rest: str, share: bool) -> Command:
        if rest:
            raise usage_error(f"`/papers {name}` takes nothing after it", name)
        return Command(name, share=share)

    return handle


def _help(rest: str, share: bool) -> Command:
    topic = _ALIASES.get(rest.lower(), rest.lower())
    return Command("help", share=share, topic=topic if topic in _USAGE else None)


def _paper(rest: str, share: bool) -> Command:
    ref = rest.strip('"')
    paper_id = canonical_id(ref) if ref and " " not in ref else None
    if paper_id is None:
        what = f"`{ref[:60]}` is not an arXiv id, arXiv link or DOI" if ref else "`/papers paper` needs an id"
        raise usage_error(what, "paper", "paper 2606.16028", "paper https://arxiv.org/abs/2606.16028")
    return Command("paper", share=share, paper_id=paper_id)


def _export(rest: str, share: bool) -> Command:
    fmt = {"": "bibtex", "bib": "bibtex", "csl": "csl-json", "json": "csl-json"}.get(
        rest.lower(), rest.lower()
    )
    if fmt not in EXPORT_FORMATS:
        raise usage_error(f"`{rest[:30]}` is not an export format", "export", "export bibtex", "export ris")
    return Command("export", share=share, export_format=fmt)


def _subscribe(rest: str, share: bool) -> Command:
    from bot.radar import parse_rule  # late: bot.radar imports this module

    return Command("subscribe", share=share, rule=parse_rule(rest))


def _unsubscribe(rest: str, share: bool) -> Command:
    if rest.isdecimal() and 0 < int(rest) <= 10_000:
        return Command("unsubscribe", share=share, index=int(rest))
    if ":" in rest:  # `unsubscribe cat:cs.LG`: by the rule's text
        from bot.radar import parse_rule  # late: bot.radar imports this module

        return Command("unsubscribe", share=share, rule=parse_rule(rest))
    raise usage_error(
        "`/papers unsubscribe` needs a rule number from `/papers radar`", "unsubscribe", "unsubscribe 2"
    )


_TIME_RE = re.compile(r"(\d{1,2})(?:[:.h](\d{2}))?\s*([ap]m)?", re.IGNORECASE)


@lru_cache(maxsize=1)
def _zones() -> dict[str, str]:
    # Looked up in the tz database's list, never used as a path: user text is not a file name.
    return {z.lower(): z for z in zoneinfo.available_timezones()}


def _clock(text: str) -> dt.time | None:
    """`09:00`, `9:00`, `9am`, `9.30 pm`, `21h30` -> a time; None when it is none."""
    m = _TIME_RE.fullmatch(text)
    if not m:
        return None
    hour, minute, half = int(m.group(1)), int(m.group(2) or 0), (m.group(3) or "").lower()
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "pm" else 0)
    return dt.time(hour, minute) if hour < 24 and minute < 60 else None


def _schedule(rest: str, share: bool) -> Command:
    if rest.lower() == "off":
        return Command("schedule", share=share)
    when, _, zone = rest.rpartition(" ")
    time = _clock(when)
    if time is None:
        raise usage_error(
            "`/papers schedule` needs a time and a time zone", "schedule", "schedule 09:00 Europe/Vienna"
        )
    tz = _zones().get(zone.lower())
    if tz is None:
        raise usage_error(f"`{zone[:40]}` is not a time zone", "schedule", "schedule 09:00 Europe/Vienna")
    return Command("schedule", share=share, schedule=Schedule(time, tz))


_LANG_RE = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*")
_LANG_NAMES = {"english": "en", "german": "de", "deutsch": "de", "chinese": "zh", "french": "fr"}
_LANG_NAMES |= {"spanish": "es", "japanese": "ja", "korean": "ko", "italian": "it", "russian": "ru"}


def _language(rest: str, share: bool) -> Command:
    if not rest:
        return Command("language", share=share)
    code = _LANG_NAMES.get(rest.lower(), rest)
    if not _LANG_RE.fullmatch(code):
        raise usage_error(f"`{rest[:30]}` is not a language code", "language", "language zh", "language de")
    primary, *subtags = code.replace("_", "-").split("-")
    # BCP 47 casing: zh-Hans-CN, pt-BR.
    subtags = [s.upper() if len(s) == 2 else s.title() if len(s) == 4 else s.lower() for s in subtags]
    return Command("language", share=share, language="-".join([primary.lower(), *subtags]))


def _digest(rest: str, share: bool) -> Command:
    if rest.lower() not in ("", "now"):
        raise usage_error("`/papers digest` only knows `now`", "digest", "digest now")
    return Command("digest", share=share)


_Handler = Callable[[str, bool], Command]
_HANDLERS: dict[str, _Handler] = {
    "help": _help,
    "more": _no_args("more"),
    "paper": _paper,
    "saved": _no_args("saved"),
    "export": _export,
    "radar": _no_args("radar"),
    "subscribe": _subscribe,
    "unsubscribe": _unsubscribe,
    "schedule": _schedule,
    "language": _language,
    "digest": _digest,
}


# ---- back to text ---------------------------------------------------------------------------


def quoted(value: str) -> str:
    """The value, in double quotes unless it is one simple word."""
    return value if _SIMPLE_RE.fullmatch(value) else f'"{value}"'


def _format_filters(f: Filters, *, skip_authors: int = 0) -> list[str]:
    out = [f"author:{quoted(a)}" for a in f.authors[skip_authors:]]
    out += [f"cat:{c}" for c in f.categories]
    out += list(f.words) + [f'"{p}"' for p in f.phrases]
    out += [f"-{e}" if _WORD_RE.fullmatch(e) else f'-"{e}"' for e in f.exclude]
    if f.since_days is not None:
        out.append(f"since:{f.since_days}d")
    if f.since_date is not None:
        out.append(f"since:{f.since_date.isoformat()}")
    return out


def format_command(cmd: Command) -> str:
    """Render a Command as canonical `/papers` text; parse(format_command(c)) == c."""
    parts = [cmd.name]
    if cmd.name == "author" and cmd.filters.authors:
        name = cmd.filters.authors[0]
        parts.append(name if _SIMPLE_RE.fullmatch(name) and not cmd.filters.words else f'"{name}"')
        parts += _format_filters(cmd.filters, skip_authors=1)
    elif cmd.name == "cat":  # bare categories parse back as categories
        parts += [*cmd.filters.categories, *_format_filters(replace(cmd.filters, categories=()))]
    elif cmd.is_query():
        parts += _format_filters(cmd.filters)
    elif cmd.name == "schedule":
        parts.append(f"{cmd.schedule.time:%H:%M} {cmd.schedule.tz}" if cmd.schedule else "off")
    elif cmd.name == "digest":
        parts.append("now")
    else:
        rule = cmd.rule.text if cmd.rule else None
        extra = (cmd.topic, cmd.paper_id, cmd.export_format, rule, cmd.index, cmd.language)
        parts += [str(x) for x in extra if x is not None]
    if cmd.share:
        parts.append("--share")
    return " ".join(parts)
