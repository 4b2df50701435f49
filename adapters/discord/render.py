"""Pure rendering for Discord: embeds within Discord's limits, inert mentions, and id markers.

The same words as the console renderer (bot.digest), shaped as embeds. Every string that
came from a feed, a user or an LLM goes through `inert()` so it cannot ping anyone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import discord
from discord.utils import escape_markdown

from bot.models import Digest, DigestEntry, Paper, Reply
from bot.presentation import author_line, parent_title, source_line, thread_note

# Discord's documented limits (characters).
CONTENT_MAX = 2000
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
EMBEDS_TOTAL_MAX = 6000
THREAD_NAME_MAX = 100
CUSTOM_ID_MAX = 100
EMBEDS_PER_REPLY = 5

BRAND = "AcademicHub"
SAVE_PREFIX = "academichub:save:"
SAVE_BY_MESSAGE = "~"  # the id did not fit in 100 characters: look the paper up by message id
MORE_ID = "academichub:more"
DIGEST_MORE_PREFIX = "academichub:digest-more:"  # + the digest id: Show more under a digest's parent
COLOUR = 0xB31B1B  # arXiv red

# Slack-style reaction names (settings.reaction_names) -> the unicode emoji Discord sends.
EMOJI_BY_NAME = {
    "bookmark": "🔖",
    "bookmark_tabs": "📑",
    "books": "📚",
    "star": "⭐",
    "pushpin": "📌",
    "floppy_disk": "💾",
    "white_check_mark": "✅",
    "heavy_plus_sign": "➕",
}

# `@everyone`, `@here`, `<@123>`, `<@!123>`, `<@&456>`: a zero-width space after the `@`
# breaks the syntax while the text still reads the same.
_MENTION_RE = re.compile(r"@(?=everyone|here|[!&]?\d)", re.IGNORECASE)
_PAPER_MARK_RE = re.compile(rf"^(?:arXiv )?(?P<id>\S+) · {BRAND}$")
_DIGEST_MARK_RE = re.compile(rf"^{BRAND} digest (?P<day>\d{{4}}-\d{{2}}-\d{{2}})\b")


def inert(text: str) -> str:
    """The text with every mention syntax neutralised."""
    return _MENTION_RE.sub("@\u200b", text)


def plain(text: str) -> str:
    """Untrusted text for a markdown field: markdown escaped, mentions inert."""
    return inert(escape_markdown(text))


def cut(text: str, limit: int) -> str:
    """At most `limit` characters, ending in `…` when shortened (never a dangling escape)."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1].rstrip()
    while head.endswith("\\"):  # a cut escape would escape the ellipsis
        head = head[:-1]
    return head + "…"


def paper_marker(paper: Paper) -> str:
    """The footer that lets a thread's history be mapped back to papers after a crash."""
    return f"{'arXiv ' if paper.is_arxiv else ''}{paper.id} · {BRAND}"


def digest_marker(digest: Digest) -> str:
    return f"{BRAND} digest {digest.date.isoformat()}"


def paper_id_from_marker(text: str | None) -> str | None:
    m = _PAPER_MARK_RE.match(text or "")
    return m.group("id") if m else None


def digest_day_from_marker(text: str | None) -> str | None:
    m = _DIGEST_MARK_RE.match(text or "")
    return m.group("day") if m else None


def save_custom_id(paper_id: str) -> str:
    """`academichub:save:<id>`, or the by-message form when the id is too long for Discord."""
    custom_id = SAVE_PREFIX + paper_id
    return custom_id if len(custom_id) <= CUSTOM_ID_MAX else SAVE_PREFIX + SAVE_BY_MESSAGE


def save_emojis(names: Iterable[str]) -> frozenset[str]:
    """The reaction names from the settings as the emoji names Discord reports."""
    return frozenset(EMOJI_BY_NAME.get(n, n).replace("\ufe0f", "") for n in names)


def authors_text(paper: Paper, matched: Sequence[str] = ()) -> str:
    """`A, **B**, C, … et al.`: 8 names, radar-matched ones in bold."""
    names = [f"**{plain(n)}**" if hit else plain(n) for n, hit in author_line(paper, matched)]
    text = ", ".join(names) or "(no authors listed)"
    return text + (", et al." if len(paper.authors) > 8 else "")


def paper_embed(
    paper: Paper, number: int | None, tldr: str = "", matched: Sequence[str] = (), detail: bool = False
) -> discord.Embed:
    """One paper: linked title, authors, source line, TL;DR (and the abstract when `detail`)."""
    title = f"{number:02d}. {paper.title}" if number is not None else paper.title
    url = paper.url if (paper.url or "").startswith(("https://", "http://")) else None
    lines = [authors_text(paper, matched), f"*{plain(source_line(paper))}*"]
    if tldr:
        lines.append(f"**TL;DR:** {plain(tldr)}")
    if detail and paper.abstract:
        lines.append(plain(paper.abstract))
    embed = discord.Embed(
        title=cut(plain(title), TITLE_MAX),
        url=url,
        description=cut("\n".join(lines), DESCRIPTION_MAX),
        colour=COLOUR,
    )
    if detail:
        for name, value in (("DOI", paper.doi), ("Journal", paper.journal_ref or paper.journal)):
            if value:
                embed.add_field(name=name, value=cut(plain(value), FIELD_VALUE_MAX), inline=True)
    return embed.set_footer(text=cut(paper_marker(paper), FOOTER_MAX))


def entry_embed(entry: DigestEntry) -> discord.Embed:
    return paper_embed(entry.paper, entry.number, entry.tldr, entry.matched_authors)


def fit_embeds(embeds: list[discord.Embed], total: int = EMBEDS_TOTAL_MAX) -> list[discord.Embed]:
    """Shorten the longest descriptions until the message's embeds fit Discord's 6,000 in all."""
    over = sum(len(e) for e in embeds) - total
    while over > 0:
        longest = max(embeds, key=lambda e: len(e.description or ""))
        text = longest.description or ""
        if not text:
            break  # only titles and footers left, which are far below the limit
        longest.description = cut(text, max(1, len(text) - over - 1))
        over = sum(len(e) for e in embeds) - total
    return embeds


def parent_content(digest: Digest) -> str:
    """The parent message's text: the title line and the hint."""
    return cut(inert(f"{parent_title(digest)}\n{thread_note(digest)}"), CONTENT_MAX)


def parent_embed(digest: Digest) -> discord.Embed:
    """The briefing, with the digest marker `find_parent` looks for."""
    embed = discord.Embed(
        title="Briefing", description=cut(plain(digest.briefing) or "—", DESCRIPTION_MAX), colour=COLOUR
    )
    return embed.set_footer(text=digest_marker(digest))


def thread_name(digest: Digest) -> str:
    count = len(digest.entries)
    return cut(f"{digest.date:%a %d %b %Y} · {count} paper{'s' if count != 1 else ''}", THREAD_NAME_MAX)


def list_embed(papers: Sequence[Paper], first_number: int = 1) -> discord.Embed:
    """Many papers as one numbered list (a reading list longer than one batch)."""
    lines = []
    for i, paper in enumerate(papers, start=first_number):
        title = plain(cut(paper.title, 150))
        linked = f"[{title}]({paper.url})" if (paper.url or "").startswith("http") else title
        lines.append(f"`{i}.` {linked} · {plain(paper.id)}")
    text = "\n".join(lines)
    if len(text) > DESCRIPTION_MAX:
        text = cut(text[: text.rfind("\n", 0, DESCRIPTION_MAX - 40)], DESCRIPTION_MAX - 40)
        text += f"\n… {len(papers)} in all: `/papers export` has them all"
    return discord.Embed(description=text, colour=COLOUR)


def reply_embeds(reply: Reply) -> list[discord.Embed]:
    """A `/papers` answer's papers: one embed each, or a list when there are many."""
    if not reply.papers:
        return []
    if len(reply.papers) > EMBEDS_PER_REPLY:
        return [list_embed(reply.papers, reply.first_number)]
    detail = len(reply.papers) == 1 and reply.text.startswith("Paper ")
    embeds = [
        paper_embed(p, i, reply.tldrs.get(p.id, ""), detail=detail)
        for i, p in enumerate(reply.papers, start=reply.first_number)
    ]
    return fit_embeds(embeds)


def reply_content(reply: Reply) -> str:
    """The answer's text; the engine writes Discord-compatible markdown, so only mentions are made inert."""
    return cut(inert(reply.text), CONTENT_MAX) or "—"
