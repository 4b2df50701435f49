"""Runs parsed `/papers` commands for a caller and answers with a platform-neutral Reply."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.digests import UnknownChannel
from bot.library import AmbiguousUser, NoSaves
from bot.models import Caller, Paper, Reply
from bot.query import Command, UsageError, help_text, parse, usage
from bot.radar import narrow
from bot.sources import FeedError
from bot.store import papers as paper_repo
from bot.store import state as state_repo
from bot.store.search import SearchSpec

if TYPE_CHECKING:
    from bot.engine import Engine

log = logging.getLogger(__name__)

BATCH = 5
OOPS = "Something went wrong on our side (it has been logged). Please try again in a minute."


def user_key(caller: Caller) -> str:
    return f"{caller.platform}:{caller.workspace}/{caller.user}"


class CommandRunner:
    """One method per command; `run` never raises."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)  # tests set the time

    def run(self, text: str, caller: Caller) -> Reply:
        """Parse and execute; usage errors and failures become friendly replies."""
        try:
            command = parse(text)
            reply = self.execute(command, caller)
            reply.ephemeral = reply.ephemeral and not command.share
            return reply
        except UsageError as exc:
            return Reply(text=exc.message, error=True)
        except Exception:
            log.exception("/papers %r failed for %s", text[:200], caller)
            return Reply(text=OOPS, error=True)

    def execute(self, command: Command, caller: Caller) -> Reply:
        handler = getattr(self, f"_cmd_{command.name}", None)
        if handler is None:
            return Reply(text=usage(command.name), error=True)
        reply: Reply = handler(command, caller)
        return reply

    # --- queries ------------------------------------------------------------------
    def spec_for(self, command: Command, today: dt.date | None = None) -> SearchSpec:
        """The store query for a parsed command."""
        f = command.filters
        today = today or self.clock().date()
        since = f.since_date
        if f.since_days is not None:
            since = today - dt.timedelta(days=f.since_days)
        return SearchSpec(
            authors=f.authors,
            categories=f.categories,
            words=f.words,
            phrases=f.phrases,
            exclude=f.exclude,
            since=since,
            phrase_first=command.name == "search",
        )

    def _answer(self, command: Command, caller: Caller, offset: int) -> Reply:
        spec = self.spec_for(command)
        papers = self.engine.find(spec, limit=BATCH + 1, offset=offset)
        note = ""
        if command.name == "author" and offset == 0 and len(papers) < BATCH and self.engine.arxiv:
            papers, note = self._author_live(command, spec, papers)
        has_more = len(papers) > BATCH
        papers = papers[:BATCH]
        self._remember(caller, command.to_text(), offset + len(papers))
        if not papers:
            text = "No more results." if offset else "No papers found for that query."
            return Reply(text=(text + note).strip())
        first = offset + 1
        header = f"Results {first}–{offset + len(papers)} for `{command.to_text()}`"
        if has_more:
            header += " · `/papers more` for the next batch"
        tldrs = self._tldrs(papers, caller)
        return Reply(text=header + note, papers=papers, has_more=has_more, tldrs=tldrs, first_number=first)

    def _author_live(self, command: Command, spec: SearchSpec, found: list[Paper]) -> tuple[list[Paper], str]:
        """Too little in the store: ask the arXiv API, store what comes back, and say so."""
        assert self.engine.arxiv is not None
        query = " AND ".join(f'au:"{name}"' for name in command.filters.authors)
        try:
            live = self.engine.arxiv.search(query, max_results=25)
        except FeedError as exc:
            return found, f"\n(The live arXiv lookup failed: {exc}. Showing what is stored.)"
        with self.engine.db.session() as session:
            counts = paper_repo.upsert_papers(session=session, papers=live)
        if counts.new == 0:
            return found, ""
        return self.engine.find(
            spec, limit=BATCH + 1
        ), f"\n({counts.new} more found live on arXiv and stored.)"

    def _tldrs(self, papers: list[Paper], caller: Caller) -> dict[str, str]:
        return self.engine.summaries.cached_or_extractive(papers, self._language(caller))

    def _language(self, caller: Caller) -> str:
        info = self.engine.channels.info(caller.channel_key)
        return (info.language if info else None) or self.engine.settings.language

    def _remember(self, caller: Caller, query: str, offset: int) -> None:
        with self.engine.db.session() as session:
            state_repo.put_cursor(
                session=session,
                user_key=user_key(caller),
                channel_key=caller.channel_key,
                query=query,
                offset=offset,
            )

    def _cmd_author(self, command: Command, caller: Caller) -> Reply:
        return self._answer(command, caller, 0)

    _cmd_search = _cmd_author
    _cmd_cat = _cmd_author

    def _cmd_more(self, command: Command, caller: Caller) -> Reply:
        with self.engine.db.session() as session:
            cursor = state_repo.get_cursor(
                session=session, user_key=user_key(caller), channel_key=caller.channel_key
            )
            saved = (cursor.query, cursor.offset) if cursor else None
        if saved is None:
            return Reply(text="Nothing to continue yet: ask something first, e.g. `/papers author Grohs`.")
        previous = parse(saved[0])
        if previous.name == "today":
            return self._today(previous, caller, saved[1])
        return self._answer(previous, caller, saved[1])

    def _cmd_today(self, command: Command, caller: Caller) -> Reply:
        return self._today(command, caller, 0)

    def _today(self, command: Command, caller: Caller, offset: int) -> Reply:
        """Today's digest for this channel, narrowed by the command's filters."""
        info = self.engine.channels.info(caller.channel_key)
        if info is None or not info.rules:
            return Reply(text="This channel has no radar yet: try `/papers subscribe cat:cs.LG`.")
        digest = self.engine.digests.build(info, info.local_date(self.clock()))
        matching = narrow([e.paper for e in digest.entries], command.filters)
        papers = matching[offset : offset + BATCH + 1]
        self._remember(caller, command.to_text(), offset + min(len(papers), BATCH))
        if not papers:
            why = digest.reason if not digest.entries else "no more papers match"
            return Reply(text=f"Nothing for today: {why}.")
        has_more = len(papers) > BATCH
        papers = papers[:BATCH]
        tldrs = {e.paper.id: e.tldr for e in digest.entries}
        text = f"Today on this channel's radar: {len(matching)} papers ({offset + 1}–{offset + len(papers)})"
        return Reply(text=text, papers=papers, has_more=has_more, tldrs=tldrs, first_number=offset + 1)

    def _cmd_paper(self, command: Command, caller: Caller) -> Reply:
        ref = command.paper_id or ""
        paper = self.engine.show(ref)
        note = ""
        if paper is None and self.engine.arxiv:
            try:
                live = self.engine.arxiv.by_ids([ref])
            except FeedError as exc:
                live, note = [], f" (the live arXiv lookup failed: {exc})"
            if live:
                with self.engine.db.session() as session:
                    paper_repo.upsert_papers(session=session, papers=live)
                paper = self.engine.show(ref)
                note = " (fetched live from arXiv)"
        if paper is None:
            return Reply(text=f"No paper `{ref}` in the store{note}.", error=True)
        return Reply(text=f"Paper {paper.id}{note}", papers=[paper], tldrs=self._tldrs([paper], caller))

    def _cmd_help(self, command: Command, caller: Caller) -> Reply:
        return Reply(text=usage(command.topic) if command.topic else help_text())

    # --- reading list ---------------------------------------------------------------
    def _cmd_saved(self, command: Command, caller: Caller) -> Reply:
        papers = self.engine.library.saved(caller.workspace, caller.user)
        if not papers:
            return Reply(
                text="Your reading list is empty: react 🔖 to a paper in a digest thread to save it."
            )
        return Reply(text=f"Your reading list: {len(papers)} papers", papers=papers)

    def _cmd_export(self, command: Command, caller: Caller) -> Reply:
        fmt = command.export_format or "bibtex"
        try:
            attachment = self.engine.library.export(caller.workspace, caller.user, fmt)
        except (NoSaves, AmbiguousUser) as exc:
            return Reply(text=str(exc).capitalize() + ".")
        return Reply(text=f"Your reading list as {fmt}: {attachment.filename}", attachment=attachment)

    # --- channel settings -----------------------------------------------------------
    def _cmd_radar(self, command: Command, caller: Caller) -> Reply:
        info = self.engine.channels.info(caller.channel_key)
        if info is None or not info.rules:
            return Reply(text="This channel has no radar yet: try `/papers subscribe cat:cs.LG`.")
        lines = [f"{i}. `{rule.text}`" for i, rule in enumerate(info.rules, start=1)]
        lines.append(
            f"Schedule: {info.schedule or 'off'} · language: {info.language or self.engine.settings.language}"
        )
        return Reply(text="This channel's radar:\n" + "\n".join(lines))

    def _cmd_subscribe(self, command: Command, caller: Caller) -> Reply:
        assert command.rule is not None
        added = self.engine.channels.subscribe(caller.channel_key, command.rule)
        verb = "Added" if added else "Already on the radar:"
        return Reply(text=f"{verb} `{command.rule.text}`. `/papers radar` shows every rule.", ephemeral=False)

    def _cmd_unsubscribe(self, command: Command, caller: Caller) -> Reply:
        index = command.index
        if index is None and command.rule is not None:  # `unsubscribe cat:cs.LG`
            info = self.engine.channels.info(caller.channel_key)
            rules = list(info.rules) if info else []
            index = rules.index(command.rule) + 1 if command.rule in rules else 0
        removed = self.engine.channels.unsubscribe(caller.channel_key, index or 0)
        if removed is None:
            what = (
                f"rule {command.index}" if command.index else f"`{command.rule.text if command.rule else ''}`"
            )
            return Reply(text=f"There is no {what} on this radar; `/papers radar` lists them.", error=True)
        return Reply(text=f"Removed `{removed.text}`.")

    def _cmd_schedule(self, command: Command, caller: Caller) -> Reply:
        if command.schedule is None:
            self.engine.channels.set_schedule(caller.channel_key, None, None)
            return Reply(text="Daily thread off for this channel.")
        s = command.schedule
        self.engine.channels.set_schedule(caller.channel_key, s.time, s.tz)
        return Reply(text=f"Daily thread at {s.time:%H:%M} {s.tz} on arXiv announcement days.")

    def _cmd_language(self, command: Command, caller: Caller) -> Reply:
        if command.language is None:
            return Reply(text=f"TL;DRs and briefings here are written in `{self._language(caller)}`.")
        self.engine.channels.set_language(caller.channel_key, command.language)
        return Reply(text=f"TL;DRs and briefings here will be written in `{command.language}`.")

    def _cmd_digest(self, command: Command, caller: Caller) -> Reply:
        try:
            digests = self.engine.digests.post_all(channel=caller.channel_key)
        except UnknownChannel as exc:
            return Reply(text=f"Cannot post here: {exc}.", error=True)
        digest = digests[0]
        if not digest.entries:
            return Reply(text=f"No digest today: {digest.reason}.")
        if digest.posted == 0:
            return Reply(text="Today's digest is already posted in this channel.")
        return Reply(text=f"Posted today's digest: {digest.posted} messages.")
