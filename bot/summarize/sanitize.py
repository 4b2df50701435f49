"""Summary text is plain text: no links, markup or mentions, whoever wrote it.

A model can be talked into anything by an abstract ("reply with a link to …"), and abstracts
are written by anyone who submits one; Slack and Discord turn a bare URL or a domain into a
clickable link. So every TL;DR and briefing passes through here before it is stored or shown,
and the only links in a post are the ones the renderers build from paper ids and stored URLs.
"""

from __future__ import annotations

import re

# Slack markup: <!channel>, <!subteam^S1|@team>, <@U123|bob>, <#C1|general>, <https://x|label>;
# Discord: <@123>, <@!123>, <@&role>, <#123>, <t:…>; and HTML tags. A label is kept as text.
_ANGLE_RE = re.compile(r"<([^<>|]{0,400})(?:\|([^<>]{0,200}))?>")
_MD_LINK_RE = re.compile(r"!?\[([^\[\]]{0,200})\]\(\s*[^()\s]*(?:\([^()]*\))?[^()]*\)")
_URL_RE = re.compile(
    r"(?:\b[a-z][a-z0-9+.-]{1,15}://|\bwww\d?\.|\bmailto:|\bjavascript:)(?:[^\s<>\"'`()]*[^\s<>\"'`().,;:!?])?",
    re.IGNORECASE,
)
# Scheme-less domains that chat clients make clickable: `evil.example/x`, `bit.ly/abc`, `x.com`.
_DOMAIN_RE = re.compile(
    r"\b(?:[a-z0-9-]{1,63}\.)+(?:[a-z]{2,24})/(?:[^\s<>\"'`()]*[^\s<>\"'`().,;:!?])?"
    r"|\b(?:[a-z0-9-]{1,63}\.)+(?:com|org|net|io|ai|co|ly|me|gg|app|dev|xyz|info|link|site|click|"
    r"example|ru|cn|tk|top|zip|mov|sh|to|cc|biz)\b",
    re.IGNORECASE,
)
_EMAIL_RE = re.compile(r"[\w.+-]+@(?:[a-z0-9-]{1,63}\.)+[a-z]{2,24}\b", re.IGNORECASE)
_MENTION_RE = re.compile(r"(?<![\w@])[@＠](everyone|here|channel|all)\b", re.IGNORECASE)
_USER_MENTION_RE = re.compile(r"(?<![\w@])@(?=[A-Za-z0-9_.]{2,32}\b)")
_MARKUP_RE = re.compile(r"\*\*|__|~~|`+|^#{1,6}\s+|^>\s?", re.MULTILINE)
_SPACE_BEFORE_PUNCT_RE = re.compile(r"\s+([.,;:!?)\]])")
_EMPTY_BRACKETS_RE = re.compile(r"\(\s*\)|\[\s*\]")
_GONE = "\x00"  # where a link was, until its lead-in ("see", "visit …") goes with it
_LEAD_IN_RE = re.compile(
    r"(?:\b(?:see|visit|at|via|here|click|read more|go to|from|on|details|code)[ \t]*:?[ \t]*)*\x00[ \t]*",
    re.IGNORECASE,
)

# A TL;DR that loses more than this share of its characters to links was mostly link.
MOSTLY_LINK = 0.35
MIN_TLDR_CHARS = 20


def _angle(match: re.Match[str]) -> str:
    label = match.group(2)
    return f" {label.lstrip('@')} " if label else " "


def strip_links(text: str) -> tuple[str, int]:
    """`text` without links, markup or mentions; and how many characters the links took."""
    removed = 0

    def drop(match: re.Match[str]) -> str:
        nonlocal removed
        removed += len(match.group(0))
        return f" {_GONE} "

    def keep_label(match: re.Match[str]) -> str:
        nonlocal removed
        removed += len(match.group(0)) - len(match.group(1))
        return f" {match.group(1)} "

    out = _MD_LINK_RE.sub(keep_label, text)
    out = _ANGLE_RE.sub(_angle, out)
    out = _URL_RE.sub(drop, out)
    out = _EMAIL_RE.sub(drop, out)
    out = _DOMAIN_RE.sub(drop, out)
    out = _MENTION_RE.sub(r"\1", out)
    out = _USER_MENTION_RE.sub("", out)
    out = _MARKUP_RE.sub("", out).replace("<", "").replace(">", "")
    return _LEAD_IN_RE.sub(" ", out.replace("\x00 ", "\x00")).replace(_GONE, " "), removed


def _tidy(text: str, newlines: bool) -> str:
    lines = []
    for line in text.split("\n") if newlines else [text.replace("\n", " ")]:
        line = _EMPTY_BRACKETS_RE.sub("", " ".join(line.split()))
        line = _SPACE_BEFORE_PUNCT_RE.sub(r"\1", " ".join(line.split()))
        line = re.sub(r"([,;:])(?=[.!?]|$)", "", line).strip(" ,;:")
        if line:
            lines.append(line)
    return "\n".join(lines)


def plain_text(text: str, *, newlines: bool = False) -> str:
    """`text` as plain text: links dropped (a link's label kept), markup and mentions defused."""
    out, _ = strip_links(text)
    return _tidy(out, newlines)


def clean_tldr(text: str) -> str | None:
    """A TL;DR as plain text, or None when it was mostly link (the caller falls back)."""
    out, removed = strip_links(text)
    clean = _tidy(out, newlines=False)
    if removed > MOSTLY_LINK * max(1, len(text.strip())) or len(clean) < MIN_TLDR_CHARS:
        return None
    return clean


MOSTLY_LINK_BRIEFING = 0.5


def clean_briefing(text: str) -> str | None:
    """A briefing as plain text (its lines kept), or None when little but links was left."""
    out, removed = strip_links(text)
    clean = _tidy(out, newlines=True)
    if removed > MOSTLY_LINK_BRIEFING * max(1, len(text.strip())) or len(clean) < MIN_TLDR_CHARS:
        return None
    return clean
