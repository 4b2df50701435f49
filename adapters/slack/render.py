"""Block Kit for digests and `/papers` answers; every outside string is escaped here."""

from __future__ import annotations

import re
from typing import Any

from bot.models import Digest, DigestEntry, Paper, Reply
from bot.presentation import author_line, parent_title, source_line, thread_note

Block = dict[str, Any]

SAVE_ACTION = "academichub_save"  # always saves: a replayed or repeated click changes nothing
UNSAVE_ACTION = "academichub_unsave"  # always removes
MORE_ACTION = "academichub_more"
DIGEST_MORE_ACTION = "academichub_digest_more"  # value: the digest id
LINK_ACTION_PREFIX = "academichub_open_"
PAPER_EVENT = "academichub_paper"
DIGEST_EVENT = "academichub_digest"

# Slack's documented limits (Block Kit reference); going over makes chat.postMessage fail.
SECTION_LIMIT = 3000
HEADER_LIMIT = 150
BUTTON_LIMIT = 75
MAX_BLOCKS = 50
TEXT_LIMIT = 3000  # the notification fallback; Slack allows more, people read less
AUTHOR_LIMIT = 8

_PARTIAL_ENTITY = re.compile(r"&[a-z]{0,3}$")


def escape(text: str) -> str:
    """Slack's three control characters as entities: no `<!channel>`, `<@U…>` or link can form."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    """Undo Slack's escaping of slash-command text (`&amp;` last, so `&amp;lt;` stays `&lt;`)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def clip(escaped: str, limit: int) -> str:
    """Cut escaped text to `limit` characters with an ellipsis, never inside an entity."""
    if len(escaped) <= limit:
        return escaped
    cut = _PARTIAL_ENTITY.sub("", escaped[: limit - 1])
    return cut + "…"


def safe_url(url: str | None) -> str | None:
    """An http(s) URL usable inside `<url|label>`, or None; `|`, `<`, `>` and spaces are encoded."""
    if not url or not url.startswith(("https://", "http://")) or len(url) > 2000:
        return None
    for raw, encoded in (("|", "%7C"), ("<", "%3C"), (">", "%3E"), (" ", "%20"), ("\n", "")):
        url = url.replace(raw, encoded)
    return url.replace("&", "&amp;")


def abs_url(paper: Paper) -> str | None:
    return paper.url or (f"https://arxiv.org/abs/{paper.id}" if paper.is_arxiv else None)


def pdf_url(paper: Paper) -> str | None:
    return paper.pdf_url or (f"https://arxiv.org/pdf/{paper.id}" if paper.is_arxiv else None)


def mrkdwn(text: str) -> Block:
    return {"type": "mrkdwn", "text": text}


def plain(text: str, limit: int) -> Block:
    return {"type": "plain_text", "text": clip(escape(text), limit), "emoji": True}


def author_text(paper: Paper, matched: list[str]) -> str:
    """Authors escaped, radar-matched ones bold, 8 names then `et al.`."""
    names = [f"*{escape(name)}*" if hit else escape(name) for name, hit in author_line(paper, matched)]
    if len(paper.authors) > AUTHOR_LIMIT:
        names.append("et al.")
    return ", ".join(names)


def paper_text(number: int, paper: Paper, tldr: str, matched: list[str]) -> str:
    """One paper as mrkdwn: title linked to its abs page, authors, source line, TL;DR."""
    title = clip(escape(" ".join(paper.title.split())), 500)
    link = safe_url(abs_url(paper))
    head = f"*{number:02d}. <{link}|{title}>*" if link else f"*{number:02d}. {title}*"
    lines = [head, clip(author_text(paper, matched), 900), f"_{escape(source_line(paper))}_"]
    if tldr:
        lines.append("TL;DR: " + clip(escape(tldr), 900))
    return clip("\n".join(lines), SECTION_LIMIT)


def paper_buttons(paper: Paper) -> Block:
    """`[abs] [pdf] [Save]`; the Save button carries the paper id."""
    elements: list[Block] = []
    for label, url in (("abs", abs_url(paper)), ("pdf", pdf_url(paper))):
        if url and url.startswith(("https://", "http://")) and len(url) <= 3000:
            elements.append(
                {
                    "type": "button",
                    "action_id": f"{LINK_ACTION_PREFIX}{label}",
                    "text": plain(label, BUTTON_LIMIT),
                    "url": url,
                }
            )
    elements.append(save_button(paper.id))
    return {"type": "actions", "elements": elements}


def save_button(paper_id: str, *, unsave: bool = False) -> Block:
    """The button that does what it says: "🔖 Save" saves, "Remove" removes (never a toggle)."""
    return {
        "type": "button",
        "action_id": UNSAVE_ACTION if unsave else SAVE_ACTION,
        "text": plain("Remove from reading list" if unsave else "🔖 Save", BUTTON_LIMIT),
        "value": paper_id[:2000],
    }


def entry_blocks(number: int, paper: Paper, tldr: str = "", matched: list[str] | None = None) -> list[Block]:
    return [
        {"type": "section", "text": mrkdwn(paper_text(number, paper, tldr, matched or []))},
        paper_buttons(paper),
    ]


def entry_fallback(entry: DigestEntry) -> str:
    """The notification text of a paper reply (plain, escaped)."""
    names = ", ".join(entry.paper.authors[:3]) + (" et al." if len(entry.paper.authors) > 3 else "")
    return clip(escape(f"{entry.number:02d}. {entry.paper.title} — {names}"), TEXT_LIMIT)


def digest_key(digest: Digest) -> str:
    """The digest's identity in message metadata: `<channel_key>|<date>`."""
    return f"{digest.channel}|{digest.date.isoformat()}"


def parent_message(digest: Digest) -> dict[str, Any]:
    """chat.postMessage arguments of the parent: title, briefing, hint, digest metadata."""
    title = parent_title(digest)
    blocks: list[Block] = [{"type": "header", "text": plain(title, HEADER_LIMIT)}]
    if digest.briefing:
        blocks.append({"type": "section", "text": mrkdwn(clip(escape(digest.briefing), SECTION_LIMIT))})
    blocks.append({"type": "context", "elements": [mrkdwn(escape(thread_note(digest)))]})
    if digest.more and digest.id is not None:
        more = {"type": "button", "action_id": DIGEST_MORE_ACTION, "text": plain("Show more", BUTTON_LIMIT)}
        blocks.append({"type": "actions", "elements": [{**more, "value": str(digest.id)}]})
    return {
        "text": clip(escape(f"{title}\n{digest.briefing}".strip()), TEXT_LIMIT),
        "blocks": blocks,
        "metadata": {"event_type": DIGEST_EVENT, "event_payload": {"digest": digest_key(digest)}},
    }


def entry_message(digest: Digest, entry: DigestEntry) -> dict[str, Any]:
    """chat.postMessage arguments of one paper reply, with its paper metadata."""
    return {
        "text": entry_fallback(entry),
        "blocks": entry_blocks(entry.number, entry.paper, entry.tldr, entry.matched_authors),
        "metadata": {
            "event_type": PAPER_EVENT,
            "event_payload": {"paper_id": entry.paper.id, "digest": digest_key(digest)},
        },
    }


def reply_message(reply: Reply) -> dict[str, Any]:
    """A `/papers` answer as response_url arguments: text, papers with Save buttons, Show more."""
    lead = ("⚠️ " if reply.error else "") + escape(reply.text)
    blocks: list[Block] = [{"type": "section", "text": mrkdwn(clip(lead, SECTION_LIMIT))}]
    for number, paper in enumerate(reply.papers, start=reply.first_number):
        if len(blocks) + 3 > MAX_BLOCKS:
            break
        blocks.extend(entry_blocks(number, paper, reply.tldrs.get(paper.id, "")))
    if reply.has_more:
        more = {"type": "button", "action_id": MORE_ACTION, "text": plain("Show more", BUTTON_LIMIT)}
        blocks.append({"type": "actions", "elements": [{**more, "value": "more"}]})
    return {"text": clip(lead, TEXT_LIMIT), "blocks": blocks}
