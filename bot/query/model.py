"""The parsed form of a `/papers` command, its usage messages, and the way back to text."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace
from typing import Literal

MAX_LENGTH = 500  # longer text is refused, not truncated: a cut query would mean something else
EXPORT_FORMATS = ("bibtex", "ris", "csl-json")
# Other names people type for a format; "" (a bare `/papers export`) means BibTeX.
EXPORT_ALIASES = {"": "bibtex", "bib": "bibtex", "csl": "csl-json", "csljson": "csl-json", "json": "csl-json"}
QUERY_COMMANDS = frozenset({"author", "search", "cat", "today"})
# `--me` turns these from the channel's radar to the caller's own (delivered by direct message).
PERSONAL_COMMANDS = frozenset({"radar", "subscribe", "unsubscribe", "schedule", "language"})

# A word: letters/digits, inner - . ' + / _ allowed (physics-informed, 10.1000/x, C++).
_WORD_RE = re.compile(r"[^\W_]+(?:[-.'+/_][^\W_]+)*\+*")
_SIMPLE_RE = re.compile(r"[^\W_][\w.'-]*")


def export_format(text: str) -> str | None:
    """The export format a name stands for (`bib` -> `bibtex`), or None when it names none."""
    name = text.strip().lower()
    name = EXPORT_ALIASES.get(name, name)
    return name if name in EXPORT_FORMATS else None


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
    """When a channel's daily thread is posted (`tz` None: a personal radar keeps its member's zone)."""

    time: dt.time
    tz: str | None


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
    me: bool = False  # `--me`: the caller's personal radar, not the channel's

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
    "radar": ("radar [--me]", "this channel's radar rules, numbered, and its schedule (`--me`: yours)"),
    "subscribe": (
        "subscribe [--me] RULE",
        'add `author:NAME`, `cat:CAT`, `keyword:"…"`, `feed:URL|NAME` or `include:replacements`',
    ),
    "sources": ("sources", "the named journals and preprint servers `feed:` rules know (`feed:nature`)"),
    "unsubscribe": ("unsubscribe [--me] N", "remove rule N, as numbered by `/papers radar`"),
    "schedule": (
        "schedule [--me] HH:MM ZONE | off",
        "when the daily thread is posted, e.g. `09:00 Europe/Vienna` (`--me`: the zone may be left out)",
    ),
    "language": (
        "language [--me] CODE",
        "the language of TL;DRs and briefings here, e.g. `zh`, `de`, `en`",
    ),
    "digest": ("digest now", "post this channel's digest now"),
    "web": ("web", "your personal sign-in link to the lab page (only you see it)"),
}
_ME_HELP = (
    "`--me` on radar/subscribe/unsubscribe/schedule/language: your own radar, only you see it; "
    "its papers come to you by direct message (08:00 your time on listing days unless you set one)."
)
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
    return "\n".join([*lines, _ME_HELP, _FILTER_HELP])


def usage_error(what: str, command_name: str, *examples: str) -> UsageError:
    """A UsageError saying what was wrong and showing the right form."""
    tries = (
        " or ".join(f"`/papers {e}`" for e in examples)
        if examples
        else f"`/papers {_USAGE[command_name][0]}`"
    )
    return UsageError(f"{what} — try {tries}.")


# ---- back to text ---------------------------------------------------------------------------


def quoted(value: str) -> str:
    """The value, in double quotes unless it is one simple word."""
    return value if _SIMPLE_RE.fullmatch(value) else f'"{value}"'


RuleKind = Literal["author", "cat", "keyword", "feed", "include"]


@dataclass(frozen=True)
class RadarRule:
    """One line of a channel's radar."""

    kind: RuleKind
    value: str

    @property
    def text(self) -> str:
        """The rule as typed in `/papers subscribe`: `author:"Philipp Grohs"`, `cat:cs.LG` …"""
        value = quoted(self.value) if self.kind in ("author", "keyword") else self.value
        return f"{self.kind}:{value}"


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
        parts.append(_format_schedule(cmd.schedule))
    elif cmd.name == "digest":
        parts.append("now")
    else:
        rule = cmd.rule.text if cmd.rule else None
        extra = (cmd.topic, cmd.paper_id, cmd.export_format, rule, cmd.index, cmd.language)
        parts += [str(x) for x in extra if x is not None]
    if cmd.me:
        parts.append("--me")
    if cmd.share:
        parts.append("--share")
    return " ".join(parts)


def _format_schedule(schedule: Schedule | None) -> str:
    if schedule is None:
        return "off"
    return f"{schedule.time:%H:%M} {schedule.tz}" if schedule.tz else f"{schedule.time:%H:%M}"
