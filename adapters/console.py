"""The console adapter: digests and replies rendered to a terminal with rich (demo, --dry-run)."""

from __future__ import annotations

import itertools
import sys
from typing import TYPE_CHECKING, TextIO

from rich.console import Console
from rich.markup import escape
from rich.text import Text

from bot.delivery import PostedRef
from bot.models import Digest, DigestEntry, Paper, Reply
from bot.presentation import author_line, parent_title, source_line, thread_note

if TYPE_CHECKING:
    from bot.engine import Engine
    from bot.models import ChannelInfo


def _authors(paper: Paper, matched: list[str]) -> Text:
    text = Text()
    for i, (name, hit) in enumerate(author_line(paper, matched)):
        if i:
            text.append(", ")
        text.append(name, style="bold" if hit else "")
    if len(paper.authors) > 8:
        text.append(", et al.")
    return text


def render_entry(console: Console, entry: DigestEntry) -> None:
    """One paper as in chat: number, title, authors, source line, TL;DR, links."""
    paper = entry.paper
    console.print(Text(f"{entry.number:02d}. ", style="bold cyan") + Text(paper.title, style="bold"))
    console.print(Text("    ") + _authors(paper, entry.matched_authors))
    console.print(Text("    " + source_line(paper), style="dim"))
    if entry.tldr:
        console.print(Text("    TL;DR: ") + Text(entry.tldr))
    links = [f"[abs] {paper.url}"] if paper.url else []
    if paper.pdf_url:
        links.append(f"[pdf] {paper.pdf_url}")
    console.print(Text("    " + "  ".join(links), style="blue"))
    console.print()


def render_parent(console: Console, digest: Digest) -> None:
    console.rule(Text(parent_title(digest), style="bold"))
    if digest.briefing:
        console.print(Text(digest.briefing))
    console.print(Text(thread_note(digest), style="dim"))
    console.print()


def render_digest(console: Console, digest: Digest) -> None:
    """A whole digest, parent and entries, or why it is empty."""
    if not digest.entries:
        console.print(
            Text(f"{digest.channel} · {digest.date:%a %d %b %Y}: nothing to post — {digest.reason}")
        )
        return
    render_parent(console, digest)
    for entry in digest.entries:
        render_entry(console, entry)
    if digest.more:
        console.print(Text(f"… and {len(digest.more)} more: /papers more", style="dim"))


def render_reply(console: Console, reply: Reply) -> None:
    """A `/papers` answer: its text, then the papers in digest form."""
    console.print(Text(reply.text, style="red" if reply.error else ""))
    for number, paper in enumerate(reply.papers, start=reply.first_number):
        render_entry(console, DigestEntry(number=number, paper=paper, tldr=reply.tldrs.get(paper.id, "")))


class ConsolePoster:
    """Posts a digest thread to the terminal; the outbox keeps it exactly-once."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(file=sys.stdout, highlight=False, soft_wrap=True)
        self._ids = itertools.count(1)

    def find_parent(self, digest: Digest) -> PostedRef | None:
        return None  # a terminal keeps no history to reconcile with

    def post_parent(self, digest: Digest) -> PostedRef:
        render_parent(self.console, digest)
        ref = f"console-{next(self._ids)}"
        return PostedRef(message=ref, thread=ref)

    def existing_entries(self, digest: Digest, parent: PostedRef) -> dict[str, str]:
        return {}

    def post_entry(self, digest: Digest, entry: DigestEntry, parent: PostedRef) -> str:
        render_entry(self.console, entry)
        return f"console-{next(self._ids)}"


class ConsolePlatform:
    """The `console` platform plug-in; also the terminal renderer the CLI uses."""

    name = "console"

    def poster_to(self, stream: TextIO) -> ConsolePoster:
        return ConsolePoster(Console(file=stream, highlight=False, soft_wrap=True))

    def render_digests(self, digests: list[Digest], stream: TextIO | None = None) -> None:
        console = Console(file=stream or sys.stdout, highlight=False, soft_wrap=True)
        for digest in digests:
            render_digest(console, digest)

    def render_papers(self, papers: list[Paper]) -> None:
        render_reply(Console(highlight=False, soft_wrap=True), Reply(text="", papers=papers))

    def poster(self, engine: Engine, channel: ChannelInfo) -> ConsolePoster:
        return ConsolePoster()

    def member_zone(self, engine: Engine, key: str) -> str | None:
        return None  # `console:@me` runs on UTC unless `/papers schedule --me HH:MM ZONE` says otherwise

    def send_direct_message(self, engine: Engine, workspace: str, user: str, text: str) -> None:
        Console(highlight=False, soft_wrap=True).print(Text(f"→ {user}: {text}"))

    def run(self, engine: Engine) -> int:
        console = Console(highlight=False)
        console.print(escape("Type /papers commands (Ctrl-D to quit)."))
        from bot.models import Caller

        caller = Caller(platform="console", workspace="local", channel="lab", user="me")
        for line in sys.stdin:
            text = line.strip().removeprefix("/papers").strip()
            reply = engine.handle(text, caller)
            render_reply(console, reply)
            if reply.follow_up is not None:  # a terminal can wait for the live look-up
                more = engine.follow_up(reply.follow_up)
                if more is not None:
                    render_reply(console, more)
        return 0


platform = ConsolePlatform()
