"""`parse(text) -> Command`: the `/papers` commands, one small parser each."""

from __future__ import annotations

import datetime as dt
import difflib
import re
import zoneinfo
from collections.abc import Callable
from dataclasses import replace
from functools import lru_cache

from bot.ids import canonical_id
from bot.query.lexer import (
    _ME_RE,
    _SHARE_RE,
    _Builder,
    _lex,
    _Token,
    author_name,
    category_items,
    clean_text,
    normalize_category,
)
from bot.query.model import (
    _USAGE,
    MAX_LENGTH,
    PERSONAL_COMMANDS,
    QUERY_COMMANDS,
    Command,
    Filters,
    Schedule,
    UsageError,
    export_format,
    usage_error,
)
from bot.query.rules import parse_rule

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
    me = bool(_ME_RE.search(cleaned))
    cleaned = " ".join(_ME_RE.sub(" ", _SHARE_RE.sub(" ", cleaned)).split())
    command = _parse_command(cleaned, share)
    if command.name == "schedule" and command.schedule and command.schedule.tz is None and not me:
        raise usage_error(
            "`/papers schedule` needs a time and a time zone", "schedule", "schedule 09:00 Europe/Vienna"
        )
    if not me:
        return command
    if command.name not in PERSONAL_COMMANDS:
        raise usage_error(
            "`--me` goes with radar, subscribe, unsubscribe, schedule or language",
            "subscribe",
            'subscribe --me author:"Philipp Grohs"',
            "radar --me",
        )
    return replace(command, me=True)


def _parse_command(cleaned: str, share: bool) -> Command:
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
        # `cat cs.CL,cs.CV` as `cat:cs.CL,cs.CV` is written: a list, if every item is a category.
        items = [] if token.quoted else [normalize_category(c) for c in category_items(token.value)]
        if items and all(items):
            builder.categories += [c for c in items if c]
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
    fmt = export_format(rest)
    if fmt is None:
        raise usage_error(f"`{rest[:30]}` is not an export format", "export", "export bibtex", "export ris")
    return Command("export", share=share, export_format=fmt)


def _subscribe(rest: str, share: bool) -> Command:
    return Command("subscribe", share=share, rule=parse_rule(rest))


def _unsubscribe(rest: str, share: bool) -> Command:
    if rest.isdecimal() and 0 < int(rest) <= 10_000:
        return Command("unsubscribe", share=share, index=int(rest))
    if ":" in rest:  # `unsubscribe cat:cs.LG`: by the rule's text
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
    if " " not in rest and (alone := _clock(rest)) is not None:  # a zone is needed unless `--me`
        return Command("schedule", share=share, schedule=Schedule(alone, None))
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


def _web(rest: str, share: bool) -> Command:
    if share:  # the link signs its holder in as the caller: it must never be shown to a channel
        raise usage_error("The sign-in link is personal and cannot be shared", "web")
    return _no_args("web")(rest, share)


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
    "sources": _no_args("sources"),
    "web": _web,
}
