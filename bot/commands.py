"""Runs parsed `/papers` commands for a caller and answers with a platform-neutral Reply."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from bot.archive import Archive, Cursors
from bot.channels import Channels
from bot.config import Settings
from bot.delivery import Continuation, Outbox
from bot.digests import Digests, UnknownChannel
from bot.library import AmbiguousUser, Library, NoSaves
from bot.live import LiveArxiv
from bot.models import INTERNAL_ERROR, Caller, LiveRequest, Paper, Reply
from bot.query import Command, UsageError, help_text, parse, usage
from bot.radar import narrow
from bot.signin import Member, SignIn, SignInUnavailable, base_url
from bot.store.search import SearchSpec
from bot.summarize import SummaryService

log = logging.getLogger(__name__)

BATCH = 5
# Changing what a channel receives, or when, is for its admins; anyone may add to a radar.
ADMIN_COMMANDS = frozenset({"unsubscribe", "schedule", "language", "digest"})
WHO_MAY = (
    "Only a channel admin can do that here: a Slack workspace admin or owner, a Discord member "
    "with Manage Channels, or someone listed in ACADEMICHUB_ADMINS."
)


def is_admin(caller: Caller, admins: frozenset[str]) -> bool:
    """The platform says so, or ACADEMICHUB_ADMINS lists the user (bare or qualified id)."""
    return caller.admin or bool(admins & {caller.user, f"{caller.platform}:{caller.workspace}/{caller.user}"})


def _only_asks(command: Command) -> bool:
    """`/papers language` without a code asks which language is set: no change."""
    return command.name == "language" and command.language is None


def spec_for(command: Command, today: dt.date) -> SearchSpec:
    """The store query for a parsed query command."""
    f = command.filters
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


class CommandRunner:
    """One method per command; `run` never raises."""

    def __init__(
        self,
        settings: Settings,
        archive: Archive,
        cursors: Cursors,
        channels: Channels,
        library: Library,
        digests: Digests,
        summaries: SummaryService,
        live: LiveArxiv,
    ) -> None:
        self.settings = settings
        self.archive = archive
        self.cursors = cursors
        self.channels = channels
        self.library = library
        self.digests = digests
        self.summaries = summaries
        self.live = live
        self.outbox = Outbox(archive.db)
        self.clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)  # tests set the time

    def run(self, text: str, caller: Caller) -> Reply:
        """Parse and execute; usage errors and failures become friendly replies."""
        try:
            command = parse(text)
            # A member's own radar (`--me`) is theirs to change, admin or not.
            if command.name in ADMIN_COMMANDS and not command.me and not self._may_change(command, caller):
                return Reply(text=WHO_MAY, error=True)
            reply = self.execute(command, caller)
            # A personal radar is private: its answers are only ever the caller's to see.
            reply.ephemeral = command.me or (reply.ephemeral and not command.share)
            return reply
        except UsageError as exc:
            return Reply(text=exc.message, error=True)
        except Exception:
            log.exception("/papers %r failed for %s", text[:200], caller)
            return Reply(text=INTERNAL_ERROR, error=True)

    def requires_admin(self, text: str) -> bool:
        """True for text that parses to a command only channel admins may run."""
        try:
            command = parse(text)
        except UsageError:
            return False
        return (
            command.name in ADMIN_COMMANDS
            and not command.me
            and not (command.name == "language" and command.language is None)
        )

    def _may_change(self, command: Command, caller: Caller) -> bool:
        if command.name == "language" and command.language is None:  # asking is not changing
            return True
        return is_admin(caller, self.settings.admin_ids)

    def execute(self, command: Command, caller: Caller) -> Reply:
        handler = getattr(self, f"_cmd_{command.name}{'_me' if command.me else ''}", None)
        if handler is None:
            return Reply(text=usage(command.name), error=True)
        reply: Reply = handler(command, caller)
        return reply

    # --- queries ------------------------------------------------------------------
    def spec_for(self, command: Command) -> SearchSpec:
        """The store query for a parsed command, dated by this runner's clock."""
        return spec_for(command, self.clock().date())

    def _answer(self, command: Command, caller: Caller, offset: int) -> Reply:
        papers = self.archive.find(self.spec_for(command), limit=BATCH + 1, offset=offset)
        has_more = len(papers) > BATCH
        papers = papers[:BATCH]
        self.cursors.put(caller, command.to_text(), offset + len(papers))
        follow_up = None
        # The live arXiv fallback is a chat feature, so the runner asks for it and the search
        # does not (the CLI answers from the store): one request per 3 s for the process, and it
        # may fail, which a chat follow-up can say beside what is stored.
        if command.name == "author" and offset == 0 and len(papers) < BATCH and self.live.enabled:
            follow_up = LiveRequest("author", command.to_text(), caller)
        note = "\n(Looking on arXiv for more; they follow in a moment.)" if follow_up else ""
        if not papers:
            text = "No more results." if offset else "No papers found for that query."
            return Reply(text=text + note, follow_up=follow_up)
        first = offset + 1
        header = f"Results {first}–{offset + len(papers)} for `{command.to_text()}`"
        if has_more:
            header += " · `/papers more` for the next batch"
        tldrs = self._tldrs(papers, caller)
        return Reply(
            text=header + note,
            papers=papers,
            has_more=has_more,
            tldrs=tldrs,
            first_number=first,
            follow_up=follow_up,
        )

    def follow_up(self, request: LiveRequest) -> Reply | None:
        """Run a live look-up after the first answer; its answer, or None when it adds nothing."""
        command = parse(request.command)
        if request.kind == "paper":
            return self._paper_live(command, request.caller)
        answer = self.live.authors(command.filters.authors)
        if answer.error:
            return Reply(
                text=f"The live arXiv look-up failed: {answer.error}. The answer above is what is stored."
            )
        if self.archive.store(answer.papers).new == 0:
            return Reply(text="arXiv has nothing beyond the papers above.")
        reply = self._answer(command, request.caller, 0)
        reply.follow_up = None
        reply.text = f"Found more on arXiv and stored them:\n{reply.text}"
        return reply

    def _tldrs(self, papers: list[Paper], caller: Caller) -> dict[str, str]:
        return self.summaries.cached_or_extractive(papers, self._language(caller))

    def _language(self, caller: Caller) -> str:
        return self.channels.language(caller.channel_key) or self.settings.language

    def _cmd_author(self, command: Command, caller: Caller) -> Reply:
        return self._answer(command, caller, 0)

    _cmd_search = _cmd_author
    _cmd_cat = _cmd_author

    def _cmd_more(self, command: Command, caller: Caller) -> Reply:
        """The next batch of whatever the caller asked for last: a query, or a digest's overflow
        (a digest posted after the caller's last question counts as the last thing asked)."""
        cursor = self.cursors.get(caller)
        latest = self.outbox.latest_with_more(caller.channel_key)
        newer = latest is not None and (cursor is None or cursor.updated_at < latest[1])
        if latest is not None and newer and (cursor is None or cursor.digest_id != latest[0]):
            return self.more_of_digest(caller, latest[0])
        if cursor is None:
            return Reply(text="Nothing to continue yet: ask something first, e.g. `/papers author Grohs`.")
        if cursor.digest_id is not None:
            return self.more_of_digest(caller, cursor.digest_id)
        previous = parse(cursor.query)
        if previous.name == "today":
            return self._today(previous, caller, cursor.offset)
        return self._answer(previous, caller, cursor.offset)

    def more_of_digest(self, caller: Caller, digest_id: int) -> Reply:
        """The next 5 of a digest's matches beyond its thread, numbered on (26, 27, …), per caller."""
        cursor = self.cursors.get(caller)
        after = cursor.offset if cursor is not None and cursor.digest_id == digest_id else None
        batch = self.outbox.continuation(digest_id, after, BATCH)
        if batch is None:
            return Reply(text="That digest is no longer stored.", error=True)
        return self._digest_batch(caller, batch)

    def _digest_batch(self, caller: Caller, batch: Continuation) -> Reply:
        day = f"{batch.date:%a %d %b %Y}"
        if not batch.entries:
            self.cursors.put(caller, "", batch.total, digest_id=batch.digest_id)
            return Reply(text=f"That was all {batch.total} papers of {day}'s digest.")
        self.cursors.put(caller, "", batch.last_number, digest_id=batch.digest_id)
        papers = [e.paper for e in batch.entries]
        tldrs = {e.paper.id: e.tldr for e in batch.entries if e.tldr}
        missing = [p for p in papers if p.id not in tldrs]
        tldrs |= self._tldrs(missing, caller) if missing else {}
        first = batch.entries[0].number
        has_more = batch.last_number < batch.total
        text = f"{day}'s digest: {first}–{batch.last_number} of {batch.total}"
        text += " · Show more for the next batch" if has_more else " · that is all of them"
        return Reply(text=text, papers=papers, has_more=has_more, tldrs=tldrs, first_number=first)

    def _cmd_today(self, command: Command, caller: Caller) -> Reply:
        return self._today(command, caller, 0)

    def _today(self, command: Command, caller: Caller, offset: int) -> Reply:
        """Today's digest for this channel — every match, thread and rest — narrowed by the filters."""
        info = self.channels.info(caller.channel_key)
        if info is None or not info.rules:
            return Reply(text="This channel has no radar yet: try `/papers subscribe cat:cs.LG`.")
        digest = self.digests.build(info, info.local_date(self.clock()))
        every = [*digest.entries, *digest.more]
        matching = narrow([e.paper for e in every], command.filters)
        papers = matching[offset : offset + BATCH + 1]
        self.cursors.put(caller, command.to_text(), offset + min(len(papers), BATCH))
        if not papers:
            why = digest.reason if not digest.entries else "no more papers match"
            return Reply(text=f"Nothing for today: {why}.")
        has_more = len(papers) > BATCH
        papers = papers[:BATCH]
        tldrs = {e.paper.id: e.tldr for e in every if e.tldr}
        missing = [p for p in papers if p.id not in tldrs]
        tldrs |= self._tldrs(missing, caller) if missing else {}
        text = f"Today on this channel's radar: {len(matching)} papers ({offset + 1}–{offset + len(papers)})"
        return Reply(text=text, papers=papers, has_more=has_more, tldrs=tldrs, first_number=offset + 1)

    def _cmd_paper(self, command: Command, caller: Caller) -> Reply:
        ref = command.paper_id or ""
        paper = self.archive.show(ref)
        if paper is None:
            if self.live.enabled:
                return Reply(
                    text=f"`{ref}` is not in the store yet; looking it up on arXiv…",
                    follow_up=LiveRequest("paper", command.to_text(), caller),
                )
            return Reply(text=f"No paper `{ref}` in the store.", error=True)
        return Reply(text=f"Paper {paper.id}", papers=[paper], tldrs=self._tldrs([paper], caller))

    def _paper_live(self, command: Command, caller: Caller) -> Reply:
        ref = command.paper_id or ""
        answer = self.live.paper(ref)
        if answer.error:
            return Reply(
                text=f"No paper `{ref}` in the store (the live arXiv look-up failed: {answer.error})."
            )
        if answer.papers:
            self.archive.store(answer.papers)
        paper = self.archive.show(ref)
        if paper is None:
            return Reply(text=f"No paper `{ref}` in the store or on arXiv.", error=True)
        return Reply(
            text=f"Paper {paper.id} (fetched live from arXiv)",
            papers=[paper],
            tldrs=self._tldrs([paper], caller),
        )

    def _cmd_sources(self, command: Command, caller: Caller) -> Reply:
        from bot.sources.presets import catalogue_text

        return Reply(text=catalogue_text())

    def _cmd_help(self, command: Command, caller: Caller) -> Reply:
        return Reply(text=usage(command.topic) if command.topic else help_text())

    # --- reading list ---------------------------------------------------------------
    def _cmd_saved(self, command: Command, caller: Caller) -> Reply:
        papers = self.library.saved(caller.workspace, caller.user)
        if not papers:
            return Reply(
                text="Your reading list is empty: react 🔖 to a paper in a digest thread to save it."
            )
        return Reply(text=f"Your reading list: {len(papers)} papers", papers=papers)

    def _cmd_export(self, command: Command, caller: Caller) -> Reply:
        fmt = command.export_format or "bibtex"
        try:
            attachment = self.library.export(caller.workspace, caller.user, fmt)
        except (NoSaves, AmbiguousUser) as exc:
            return Reply(text=str(exc).capitalize() + ".")
        return Reply(text=f"Your reading list as {fmt}: {attachment.filename}", attachment=attachment)

    # --- channel settings -----------------------------------------------------------
    def _cmd_radar(self, command: Command, caller: Caller) -> Reply:
        info = self.channels.info(caller.channel_key)
        if info is None or not info.rules:
            return Reply(text="This channel has no radar yet: try `/papers subscribe cat:cs.LG`.")
        lines = [f"{i}. `{rule.text}`" for i, rule in enumerate(info.rules, start=1)]
        lines.append(
            f"Schedule: {info.schedule or 'off'} · language: {info.language or self.settings.language}"
        )
        return Reply(text="This channel's radar:\n" + "\n".join(lines))

    def _changed(self, caller: Caller, what: str) -> Reply:
        """An accepted change: the caller's answer, and the same news for the whole channel (the
        adapter names who made it, in its own mention syntax)."""
        return Reply(text=what, announcement=what)

    def _cmd_subscribe(self, command: Command, caller: Caller) -> Reply:
        assert command.rule is not None
        added = self.channels.subscribe(caller.channel_key, command.rule)
        if not added:
            return Reply(
                text=f"Already on the radar: `{command.rule.text}`. `/papers radar` shows every rule."
            )
        return self._changed(caller, f"Added `{command.rule.text}` to this channel's radar.")

    def _cmd_unsubscribe(self, command: Command, caller: Caller) -> Reply:
        index = command.index
        if index is None and command.rule is not None:  # `unsubscribe cat:cs.LG`
            info = self.channels.info(caller.channel_key)
            rules = list(info.rules) if info else []
            index = rules.index(command.rule) + 1 if command.rule in rules else 0
        removed = self.channels.unsubscribe(caller.channel_key, index or 0)
        if removed is None:
            what = (
                f"rule {command.index}" if command.index else f"`{command.rule.text if command.rule else ''}`"
            )
            return Reply(text=f"There is no {what} on this radar; `/papers radar` lists them.", error=True)
        return self._changed(caller, f"Removed `{removed.text}` from this channel's radar.")

    def _cmd_schedule(self, command: Command, caller: Caller) -> Reply:
        if command.schedule is None:
            self.channels.set_schedule(caller.channel_key, None, None)
            return self._changed(caller, "Turned the daily thread off for this channel.")
        s = command.schedule
        self.channels.set_schedule(caller.channel_key, s.time, s.tz)
        return self._changed(
            caller, f"Set the daily thread to {s.time:%H:%M} {s.tz} on arXiv announcement days."
        )

    def _cmd_language(self, command: Command, caller: Caller) -> Reply:
        if command.language is None:
            return Reply(text=f"TL;DRs and briefings here are written in `{self._language(caller)}`.")
        self.channels.set_language(caller.channel_key, command.language)
        return self._changed(caller, f"Set TL;DRs and briefings here to `{command.language}`.")

    # --- the lab page -----------------------------------------------------------------
    def _cmd_web(self, command: Command, caller: Caller) -> Reply:
        settings = self.settings
        key = settings.secret_key.get_secret_value() if settings.secret_key else None
        try:
            signin = SignIn(key)
        except SignInUnavailable:
            return Reply(text="The lab page is not set up yet: an admin has to set ACADEMICHUB_SECRET_KEY.")
        member = Member(caller.platform, caller.workspace, caller.user)
        url = signin.link_url(base_url(settings.public_url, settings.port), member)
        return Reply(text=f"Your personal link to the lab page (valid 15 minutes; do not share it): {url}")

    # --- the caller's personal radar (`--me`): the same settings, keyed by the person ------
    def _own_key(self, caller: Caller) -> str:
        key = caller.person_key
        self.channels.back(key)  # whoever runs a command is in the workspace: posting resumes
        return key

    def _cmd_radar_me(self, command: Command, caller: Caller) -> Reply:
        info = self.channels.info(self._own_key(caller))
        if info is None or not info.rules:
            return Reply(text="You have no radar of your own yet: try `/papers subscribe --me cat:cs.LG`.")
        lines = [f"{i}. `{rule.text}`" for i, rule in enumerate(info.rules, start=1)]
        lines.append(
            f"Schedule: {info.schedule or 'off'} · language: {info.language or self.settings.language}"
        )
        lines.append("Your papers come by direct message on listing days with matches.")
        return Reply(text="Your radar (only you see it):\n" + "\n".join(lines))

    def _cmd_subscribe_me(self, command: Command, caller: Caller) -> Reply:
        assert command.rule is not None
        key = self._own_key(caller)
        added = self.channels.subscribe(key, command.rule)
        info = self.channels.info(key)
        when = f" at {info.schedule}" if info and info.schedule else ""
        verb = "Added to your radar:" if added else "Already on your radar:"
        return Reply(
            text=f"{verb} `{command.rule.text}`. Matches come by direct message{when} on listing days; "
            "`/papers radar --me` shows your rules."
        )

    def _cmd_unsubscribe_me(self, command: Command, caller: Caller) -> Reply:
        key = self._own_key(caller)
        index = command.index
        if index is None and command.rule is not None:  # `unsubscribe --me cat:cs.LG`
            info = self.channels.info(key)
            rules = list(info.rules) if info else []
            index = rules.index(command.rule) + 1 if command.rule in rules else 0
        removed = self.channels.unsubscribe(key, index or 0)
        if removed is None:
            what = (
                f"rule {command.index}" if command.index else f"`{command.rule.text if command.rule else ''}`"
            )
            return Reply(
                text=f"There is no {what} on your radar; `/papers radar --me` lists them.", error=True
            )
        return Reply(text=f"Removed `{removed.text}` from your radar.")

    def _cmd_schedule_me(self, command: Command, caller: Caller) -> Reply:
        key = self._own_key(caller)
        if command.schedule is None:
            self.channels.set_schedule(key, None, None)
            return Reply(text="Your daily direct message is off.")
        self.channels.set_schedule(key, command.schedule.time, command.schedule.tz)  # no zone: keep yours
        info = self.channels.info(key)
        return Reply(text=f"Your direct message comes at {info.schedule if info else '?'} on listing days.")

    def _cmd_language_me(self, command: Command, caller: Caller) -> Reply:
        key = self._own_key(caller)
        if command.language is None:
            info = self.channels.info(key)
            current = (info.language if info else None) or self.settings.language
            return Reply(text=f"TL;DRs and briefings for you are written in `{current}`.")
        self.channels.set_language(key, command.language)
        return Reply(text=f"TL;DRs and briefings for you will be written in `{command.language}`.")

    def _cmd_digest(self, command: Command, caller: Caller) -> Reply:
        try:
            digests = self.digests.post_all(channel=caller.channel_key)
        except UnknownChannel as exc:
            return Reply(text=f"Cannot post here: {exc}.", error=True)
        digest = digests[0]
        if not digest.entries:
            return Reply(text=f"No digest today: {digest.reason}.")
        if digest.posted == 0:
            return Reply(text="Today's digest is already posted in this channel.")
        return Reply(text=f"Posted today's digest: {digest.posted} messages.")
