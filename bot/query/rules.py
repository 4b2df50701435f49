"""Radar rules — `author:NAME`, `cat:CAT`, `keyword:"…"`, `feed:URL|SOURCE|PRESET`,
`include:replacements` — as `/papers subscribe` takes them: part of the one grammar."""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.query.lexer import RULE_KINDS, author_name, clean_text, normalize_category
from bot.query.model import RadarRule, UsageError, usage_error

MAX_KEYWORD = 100


# ---- parsing rules ----------------------------------------------------------------------------

_RULE_RE = re.compile(r"([A-Za-z]+)\s*:\s*(.*)")
_URL_RE = re.compile(r"(?:https?|file)://\S+", re.IGNORECASE)
_KINDS = RULE_KINDS
_EXAMPLES = ("subscribe cat:cs.LG", 'subscribe author:"Philipp Grohs"', 'subscribe keyword:"neural operator"')


def _unquote(value: str, kind: str) -> str:
    value = value.strip()
    value = value[1:] if value.startswith('"') else value
    value = value[:-1] if value.endswith('"') else value
    if '"' in value:
        raise usage_error(f"Put one `{kind}:` value in one pair of quotes", "subscribe", *_EXAMPLES[1:])
    return " ".join(value.split())


def _author_rule(value: str) -> RadarRule:
    try:
        return RadarRule("author", author_name(value))
    except UsageError:
        raise usage_error(f"`{value[:40]}` has no name to look up", "subscribe", _EXAMPLES[1]) from None


def _cat_rule(value: str) -> RadarRule:
    cat = normalize_category(value)
    if cat is None:
        what = "One rule at a time" if " " in value else f"`{value[:40]}` is not an arXiv category"
        raise usage_error(what, "subscribe", "subscribe cat:cs.LG", "subscribe cat:math")
    return RadarRule("cat", cat)


def _keyword_rule(value: str) -> RadarRule:
    if not any(c.isalnum() for c in value) or len(value) > MAX_KEYWORD:
        raise usage_error(
            f"A keyword needs letters and at most {MAX_KEYWORD} characters", "subscribe", _EXAMPLES[2]
        )
    return RadarRule("keyword", value)


def _feed_rule(value: str) -> RadarRule:
    """A feed URL, an API source (`biorxiv:genomics`) or a preset name (`nature`, as its feed URL)."""
    from bot.sources import FeedError  # late: the sources are only needed for `feed:` rules
    from bot.sources.apis import parse_source_spec
    from bot.sources.presets import resolve

    value = resolve(value)
    if _URL_RE.fullmatch(value):
        return RadarRule("feed", value)
    try:
        spec = parse_source_spec(value)
    except FeedError as exc:
        raise usage_error(str(exc), "subscribe", "subscribe feed:biorxiv:genomics") from None
    if spec is None:
        raise usage_error(
            "`feed:` needs a feed URL, a source such as `biorxiv:genomics` or a name from `/papers sources`",
            "subscribe",
            "subscribe feed:nature",
            "subscribe feed:https://rss.arxiv.org/rss/math.NA",
        )
    return RadarRule("feed", spec.text)


def _include_rule(value: str) -> RadarRule:
    if value.lower() not in ("replacements", "replacement", "replaced", "replace"):
        raise usage_error(
            "The only `include:` is replacements", "subscribe", "subscribe include:replacements"
        )
    return RadarRule("include", "replacements")


_RULE_PARSERS: dict[str, Callable[[str], RadarRule]] = {
    "author": _author_rule,
    "cat": _cat_rule,
    "keyword": _keyword_rule,
    "feed": _feed_rule,
    "include": _include_rule,
}


def parse_rule(text: str) -> RadarRule:
    """Parse one radar rule (`cat:cs.LG`, `author:"Philipp Grohs"` …); raises UsageError."""
    s = clean_text(text)
    if _URL_RE.fullmatch(s):  # a bare feed URL
        return RadarRule("feed", s)
    m = _RULE_RE.fullmatch(s)
    if not m or m.group(1).lower() not in _KINDS:
        if s and normalize_category(s.strip('"')):  # `subscribe cs.LG`
            return RadarRule("cat", normalize_category(s.strip('"')) or "")
        raise usage_error("A radar rule needs a kind and a value", "subscribe", *_EXAMPLES)
    kind = _KINDS[m.group(1).lower()]
    value = _unquote(m.group(2), kind)
    if not value:
        raise usage_error(f"`{kind}:` needs a value", "subscribe", *_EXAMPLES)
    return _RULE_PARSERS[kind](value)
