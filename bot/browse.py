"""Read-only use-cases of the lab page: a workspace's channels, a day's digest in batches, the
archive of recorded digests, and searches numbered like the chat answers.

Nothing here posts, summarises with a model or changes the store: a page view must cost no
LLM tokens and leave no trace. TL;DRs come from the cache or the extractive summariser.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from bot.calendar import no_listing_reason, previous_listing_day
from bot.channels import Channels, platform_of
from bot.digests import Digests
from bot.library import Library
from bot.models import ChannelInfo, Digest, DigestEntry, Paper
from bot.query import UsageError, parse
from bot.radar import RadarRule, match_paper, narrow
from bot.store import archive as repo
from bot.store.db import Database
from bot.summarize import SummaryService

SearchPapers = Callable[[str, int, int], list[Paper]]  # (text, limit, offset): the engine's search

BATCH = 5  # like the seed page and `/papers more`: 01–05, then 06–10
PICKS_KEPT = 64  # previews kept: (channel, day, language) a page shows


@dataclass(slots=True)
class Batch:
    """One batch of numbered papers (entries numbered from offset + 1) and whether more follow."""

    entries: list[DigestEntry] = field(default_factory=list)
    offset: int = 0
    has_more: bool = False
    total: int | None = None  # known for a day's digest, not for a search

    @property
    def next_offset(self) -> int | None:
        return self.offset + len(self.entries) if self.has_more else None


@dataclass(slots=True)
class DayView:
    """A channel's digest for one day, as the page shows it."""

    channel: ChannelInfo
    day: dt.date
    recorded: bool  # a digest was posted (else: what the radar would pick now)
    briefing: str
    batch: Batch
    reason: str | None = None  # why there is nothing, for people
    no_listing: str | None = None  # arXiv's calendar: why this day has no listing


class Browse:
    """What the lab page reads, through the engine's services."""

    def __init__(
        self,
        db: Database,
        channels: Channels,
        digests: Digests,
        library: Library,
        summaries: SummaryService,
        search: SearchPapers,
        clock: Callable[[], dt.datetime],
    ) -> None:
        self.db = db
        self.channels_service = channels
        self.digests = digests
        self.library = library
        self.summaries = summaries
        self.search_papers = search
        self.clock = clock
        # The radar's pick for an unrecorded day costs a pass over that day's papers (~0.5 s for
        # 2,000): kept until the store changes, so "Another batch" and reloads don't pay it again.
        self._previews: OrderedDict[tuple[object, ...], Digest] = OrderedDict()
        self._lock = threading.Lock()

    def channels(self, platform: str, workspace: str) -> list[ChannelInfo]:
        """The channels of one workspace (a member never sees another workspace's), without the
        members' personal radars: each is only its own member's to see (`personal`)."""
        prefix = f"{platform}:{workspace}/"
        every = self.channels_service.all()  # two queries
        return [info for info in every if info.key.startswith(prefix) and info.person is None]

    def personal(self, key: str) -> ChannelInfo:
        """A member's personal radar by its key (`slack:T0LAB/@U0BOB`); an empty one, not yet
        stored, when they have none, so the page can say how to start it."""
        info = self.channels_service.info(key)
        if info is not None:
            return info
        return ChannelInfo(key, platform_of(key), None, (), None, "UTC", None, False)

    def archive(self, channel_key: str, limit: int = 60) -> list[tuple[dt.date, int]]:
        """Recorded digests of a channel, newest first: (day, papers)."""
        with self.db.reading() as session:
            return repo.digest_archive(session=session, channel_key=channel_key, limit=limit)

    def default_day(self, info: ChannelInfo, now: dt.datetime) -> dt.date:
        """Today when it has a listing, else the latest listing day before it."""
        return previous_listing_day(info.local_date(now))

    def day(self, info: ChannelInfo, day: dt.date, offset: int = 0, language: str = "en") -> DayView:
        """The channel's digest for `day`: as recorded, else as its radar picks it now (unsent)."""
        digest = self._preview(info, day, language)
        matches = [*digest.entries, *digest.more]  # the thread, then what "Show more" reaches
        shown = [replace(e) for e in matches[offset : offset + BATCH]]
        self._fill_tldrs(shown, language)  # beyond the thread, TL;DRs are made when shown
        batch = Batch(shown, offset, offset + BATCH < len(matches), len(matches))
        recorded = digest.id is not None
        return DayView(info, day, recorded, digest.briefing, batch, digest.reason, no_listing_reason(day))

    def _preview(self, info: ChannelInfo, day: dt.date, language: str) -> Digest:
        """The digest use-case's read-only build, kept while the store is unchanged."""
        with self.db.reading() as session:
            marker = repo.store_marker(session=session)
        key = (info.key, info.rules, info.include_replacements, day, language, marker)
        with self._lock:
            cached = self._previews.get(key)
        if cached is None:
            cached = self.digests.preview(info, day, language, self.clock())
            with self._lock:
                self._previews[key] = cached
                while len(self._previews) > PICKS_KEPT:
                    self._previews.popitem(last=False)
        return cached

    def search(
        self,
        text: str,
        offset: int = 0,
        language: str = "en",
        channel: ChannelInfo | None = None,
        day: dt.date | None = None,
    ) -> Batch:
        """Any `/papers` query as numbered batches; raises UsageError for text that is not one."""
        command = parse(text)
        if command.name == "today":
            if channel is None:
                raise UsageError("`today` needs a channel: pick one above.")
            day = day or self.default_day(channel, self.clock())
            digest = self._preview(channel, day, language)
            everything = [*digest.entries, *digest.more]
            keep = {p.id for p in narrow([e.paper for e in everything], command.filters)}
            matching = [e for e in everything if e.paper.id in keep]
            shown = [replace(e, number=n) for n, e in enumerate(matching, start=1)][offset : offset + BATCH]
            self._fill_tldrs(shown, language)
            return Batch(shown, offset, offset + BATCH < len(matching), len(matching))
        if not command.is_query() and command.name != "paper":  # `paper ID` shows one stored paper
            raise UsageError(
                'The box takes searches such as `author:"Philipp Grohs" cat:math.NA` or '
                "`search operator learning`; change a radar from chat with `/papers subscribe`."
            )
        papers = self.search_papers(text, BATCH + 1, offset)
        rules = [RadarRule("author", name) for name in command.filters.authors]
        entries = [
            DigestEntry(number, paper, matched_authors=self._matched(paper, rules))
            for number, paper in enumerate(papers[:BATCH], start=offset + 1)
        ]
        self._fill_tldrs(entries, language)
        return Batch(entries, offset, len(papers) > BATCH)

    def saved_ids(self, workspace: str, user: str) -> set[str]:
        return {p.id for p in self.library.saved(workspace, user)}

    @staticmethod
    def _matched(paper: Paper, rules: list[RadarRule]) -> list[str]:
        match = match_paper(paper, rules) if rules else None
        return list(match.matched_authors) if match else []

    def _fill_tldrs(self, entries: list[DigestEntry], language: str) -> None:
        missing = [e.paper for e in entries if not e.tldr]
        if missing:
            tldrs = self.summaries.cached_or_extractive(missing, language)
            for entry in entries:
                entry.tldr = entry.tldr or tldrs.get(entry.paper.id, "")
