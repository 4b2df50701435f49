"""The digest use-case: each channel's papers for a day — every radar match, once — built,
recorded in the outbox and posted."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from bot.calendar import is_listing_day, no_listing_reason
from bot.channels import Channels
from bot.config import Settings
from bot.delivery import DeliveryService, Outbox, Poster, RecipientGone
from bot.gcpause import cyclic_gc_paused
from bot.library import Library
from bot.models import ChannelInfo, Digest, EmptyKind, Paper
from bot.radar import RadarIndex
from bot.ranking import assemble, rank
from bot.store import deliveries as outbox_repo
from bot.store import papers as paper_repo
from bot.store.db import Database
from bot.summarize import SummaryService

log = logging.getLogger(__name__)

PosterFactory = Callable[[ChannelInfo], Poster]
# Journal items are windowed by arrival; an ingest that committed a moment after the previous
# digest selected its papers may carry arrival times just before that cutoff. Items seen twice
# this way are still posted once (deliveries are unique per channel and paper).
ARRIVAL_SLACK = dt.timedelta(minutes=15)
PERSONAL_BRIEFING_MIN = 5  # a personal digest with fewer papers gets no briefing of its own


class UnknownChannel(LookupError):
    """A channel key that is not configured."""


@dataclass(frozen=True, slots=True)
class Window:
    """A window's papers, their radar index, and which channels already hold which of them."""

    papers: list[Paper]
    index: RadarIndex
    posted_by: dict[str, set[str]]


@dataclass(frozen=True, slots=True)
class DayFacts:
    """What every channel's window for one day needs, read once per build."""

    previous: dict[str, tuple[dt.date, dt.datetime | None]]  # channel -> latest digest before: day, cutoff
    recorded: set[str]  # channels with a digest recorded on the day
    latest_listing: dt.date | None  # the newest arXiv listing day up to the day


class Digests:
    """Builds digests from the store, records them in the outbox and posts them."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        channels: Channels,
        library: Library,
        summaries: SummaryService,
    ) -> None:
        self.db = db
        self.settings = settings
        self.channels = channels
        self.library = library
        self.summaries = summaries
        self.outbox = Outbox(db)
        self.posters: dict[str, PosterFactory] = {}
        self._windows: dict[tuple[dt.date | None, dt.date, dt.datetime | None], Window] = {}
        self._day_facts: dict[dt.date, DayFacts] = {}
        self._channels_with_saves: set[str] | None = None

    def register_poster(self, platform: str, factory: PosterFactory) -> None:
        """Adapters (through the entry point) say how to post to their platform."""
        self.posters[platform] = factory

    def _targets(self, channel: str | None) -> list[ChannelInfo]:
        if channel is None:
            return self.channels.all()
        info = self.channels.info(channel)
        if info is None:
            # Personal radars are not listed: who keeps one is their business.
            known = ", ".join(c.key for c in self.channels.all() if not c.person) or "none"
            raise UnknownChannel(f"no channel {channel!r}; known: {known}")
        return [info]

    def build_all(self, channel: str | None = None, day: dt.date | None = None) -> list[Digest]:
        """Each channel's digest for `day` (default: today in the channel's time zone)."""
        now = dt.datetime.now(dt.UTC)
        return self.build_each([(info, day or info.local_date(now)) for info in self._targets(channel)], now)

    def build_each(
        self, wanted: Sequence[tuple[ChannelInfo, dt.date]], now: dt.datetime | None = None
    ) -> list[Digest]:
        """The digests of these (channel, day) pairs.

        Papers are selected for every channel first, then summarised in one pass per
        language, so the LLM sees each unique paper once: ⌈unique / batch⌉ TL;DR requests
        plus one briefing per digest. Only the thread's papers are summarised; the rest get a
        TL;DR when someone asks for them (Show more).
        """
        now = now or dt.datetime.now(dt.UTC)
        self._forget()
        # Selecting 100 channels' matches allocates tens of thousands of small acyclic objects
        # beside a large live heap (the window's papers, the radar index): full collections
        # walked it for nothing, up to a third of the build.
        with cyclic_gc_paused():
            chosen = [(info, self.select(info, day, now)) for info, day in wanted]
        self._summarize(chosen)
        return [digest for _, digest in chosen]

    def post_all(
        self, channel: str | None = None, day: dt.date | None = None, dry_run: bool = False
    ) -> list[Digest]:
        """Build, then (unless dry-run) record and post every due digest; `posted` says how much."""
        digests = self.build_all(channel, day)
        if not dry_run:
            self.post(digests)
        return digests

    def post(self, digests: Sequence[Digest], *, raise_errors: bool = True) -> list[BaseException]:
        """Record and post digests, channels side by side: Slack and Discord pace each channel,
        not the workspace, so 100 channels' threads take about the time of one. A digest left
        half-posted by a process that died is taken over and finished (its lease is a dead
        owner's). Returns the failures; raises the first of them unless told not to."""
        due = [d for d in digests if d.entries]
        failures: list[BaseException] = []
        for _attempt in range(2):  # the second pass finishes what a dead poster left
            # Recorded and given a poster here, one by one: the platform's first import and
            # the outbox rows are not work for a hundred threads to queue for.
            ready: list[tuple[Digest, Callable[[], int]]] = []
            for digest in due:
                try:
                    job = self._prepare(digest)
                except Exception as exc:
                    log.exception("preparing %s for %s failed", digest.channel, digest.date)
                    failures.append(exc)
                    continue
                if job is not None:
                    ready.append((digest, job))
            if not ready:
                break
            workers = min(len(ready), self.settings.post_concurrency)
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="post") as pool:
                outcomes = list(pool.map(_run_safely, [job for _, job in ready]))
            failures += [o for o in outcomes if isinstance(o, BaseException)]
            for (digest, _job), outcome in zip(ready, outcomes, strict=True):
                if isinstance(outcome, int):
                    digest.posted += outcome
            due = [
                d for (d, _), o in zip(ready, outcomes, strict=True) if o == 0 and not self.outbox.finished(d)
            ]
        if failures and raise_errors:
            raise failures[0]
        return failures

    def _prepare(self, digest: Digest) -> Callable[[], int] | None:
        """Record the digest; the call that posts it (None when another process recorded it away)."""
        digest_id = self.outbox.record(digest)
        if digest_id is None:
            return None
        info = self.channels.info(digest.channel)
        assert info is not None
        if info.left:  # a member who left the workspace is not posted to
            return None
        factory = self.posters.get(info.platform)
        if factory is None:
            raise UnknownChannel(f"no poster for {info.platform} channels in this process")
        stored = self.outbox.stored(info.key, digest.date, info.name) or digest
        poster = factory(info)
        return lambda: self._deliver(digest, digest_id, stored, poster)

    def _deliver(self, digest: Digest, digest_id: int, stored: Digest, poster: Poster) -> int:
        """Post through the outbox; a member who left is marked once and never posted to again."""
        try:
            return DeliveryService(self.db).post(digest_id, stored, poster)
        except RecipientGone:
            self.channels.mark_left(digest.channel)
            digest.reason = "the member has left the workspace"
            return 0

    def build(self, info: ChannelInfo, day: dt.date) -> Digest:
        """One channel's digest, summarised."""
        self._forget()
        digest = self.select(info, day, dt.datetime.now(dt.UTC))
        self._summarize([(info, digest)])
        return digest

    def preview(
        self, info: ChannelInfo, day: dt.date, language: str | None = None, now: dt.datetime | None = None
    ) -> Digest:
        """One channel's digest for a day as a build makes it (recorded, else its radar's pick
        now), but read-only: nothing recorded or posted, no model asked. Thread TL;DRs come from
        the cache or are extractive, the briefing is extractive; `language` overrides the
        channel's. A recorded digest keeps its `id`; a pick has none."""
        # Its own per-build caches: the lab page previews from several threads, beside builds.
        scratch = Digests(self.db, self.settings, self.channels, self.library, self.summaries)
        digest = scratch.select(info, day, now or dt.datetime.now(dt.UTC))
        scratch._summarize([(info, digest)], language=language, use_model=False)
        return digest

    def select(self, info: ChannelInfo, day: dt.date, now: dt.datetime) -> Digest:
        """One channel's matches for a day: a recorded digest as recorded, else fresh from its radar."""
        if info.key in self._facts(day).recorded:
            stored = self.outbox.stored(info.key, day, info.name)
            if stored is not None:
                return stored
        window = self._window(info, day)
        matches = window.index.match(list(info.rules), include_replacements=info.include_replacements)
        candidates = [window.index.by_id[pid] for pid in matches]  # not the whole window: 100 channels add up
        interest: dict[str, float] = {}
        if info.key in self._savers():
            interest = self.library.interest_scores(info.key, candidates)
        ranked = rank(candidates, matches, interest, exclude=window.posted_by.get(info.key, set()))
        digest = assemble(info.key, day, ranked, self.settings.digest_max)
        digest.channel_name = info.name
        digest.cutoff = now
        if not digest.entries:
            digest.empty, digest.reason = self._empty_reason(info, day, window.papers)
        return digest

    def _summarize(
        self, chosen: list[tuple[ChannelInfo, Digest]], *, language: str | None = None, use_model: bool = True
    ) -> None:
        """Fill TL;DRs (one pass per language over the unique papers) and each briefing; without
        `use_model`, from the cache or extractive only (a preview)."""
        by_language: dict[str, list[tuple[ChannelInfo, Digest]]] = {}
        for info, digest in chosen:
            if digest.entries and not digest.briefing:
                wanted = language or info.language or self.settings.language
                by_language.setdefault(wanted, []).append((info, digest))
        tldrs_for = self.summaries.tldrs_for if use_model else self.summaries.cached_or_extractive
        for wanted, pairs in by_language.items():
            missing = [e.paper for _, d in pairs for e in d.entries if not e.tldr]
            tldrs = tldrs_for(missing, wanted) if missing else {}
            for info, digest in pairs:
                for entry in digest.entries:
                    entry.tldr = entry.tldr or tldrs.get(entry.paper.id, "")
                if not digest.person or len(digest.entries) >= PERSONAL_BRIEFING_MIN:
                    radar_terms = [rule.value for rule in info.rules]  # themes are named otherwise
                    digest.briefing = self.summaries.briefing_for(
                        digest.entries, wanted, radar_terms=radar_terms, use_model=use_model
                    )

    def last_digest_days(self) -> dict[str, dt.date]:
        """Every channel's latest recorded digest day."""
        with self.db.reading() as session:
            return outbox_repo.latest_digest_days(session=session)

    def _forget(self) -> None:
        """Drop what one build read once for every channel (the next build reads afresh)."""
        self._windows.clear()
        self._day_facts.clear()
        self._channels_with_saves = None

    def _savers(self) -> set[str]:
        if self._channels_with_saves is None:
            self._channels_with_saves = self.library.channels_with_saves()
        return self._channels_with_saves

    def _facts(self, day: dt.date) -> DayFacts:
        if day not in self._day_facts:
            with self.db.reading() as session:
                previous, recorded = outbox_repo.digest_days(session=session, day=day)
                latest = paper_repo.latest_announcement(session=session, until=day)
            self._day_facts[day] = DayFacts(previous, recorded, latest)
        return self._day_facts[day]

    def _bounds(self, info: ChannelInfo, day: dt.date) -> tuple[dt.date, dt.datetime | None]:
        """The window after the channel's previous digest: listing days after its day, and
        journal items that arrived after its cutoff. A new channel starts with the latest
        listing day (not on a day without one) and the journal items that arrived since."""
        facts = self._facts(day)
        previous = facts.previous.get(info.key)
        if previous is not None:
            after, cutoff = previous
            return after, cutoff - ARRIVAL_SLACK if cutoff is not None else None
        start = facts.latest_listing if facts.latest_listing is not None and is_listing_day(day) else day
        return start - dt.timedelta(days=1), dt.datetime.combine(start, dt.time(), dt.UTC)

    def _window(self, info: ChannelInfo, day: dt.date) -> Window:
        """The window's papers, shared across channels with the same bounds."""
        after, arrived_after = self._bounds(info, day)
        key = (after, day, arrived_after)
        if key not in self._windows:
            with self.db.reading() as session:
                papers = paper_repo.papers_in_window(
                    session=session, after=after, until=day, arrived_after=arrived_after
                )
                posted = outbox_repo.posted_by_channel(session=session, ids=[p.id for p in papers])
            self._windows[key] = Window(papers, RadarIndex(papers), posted)
        return self._windows[key]

    def _empty_reason(self, info: ChannelInfo, day: dt.date, papers: list[Paper]) -> tuple[EmptyKind, str]:
        if not info.rules:
            if info.person:
                return EmptyKind.NO_RADAR, "you have no radar yet: try `/papers subscribe --me cat:cs.LG`"
            return EmptyKind.NO_RADAR, "this channel has no radar yet: try `/papers subscribe cat:cs.LG`"
        if not papers:
            holiday = no_listing_reason(day)
            if holiday:
                return EmptyKind.NO_LISTING, holiday
            return EmptyKind.NOT_FETCHED, f"no papers stored for {day:%a %d %b %Y} yet (has a fetch run?)"
        return EmptyKind.NO_MATCH, f"nothing matched your radar among {len(papers)} papers"


def _run_safely(job: Callable[[], int]) -> int | BaseException:
    try:
        return job()
    except Exception as exc:  # one channel's failure must not stop the others
        log.exception("posting a digest failed")
        return exc
