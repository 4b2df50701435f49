"""The digest use-case: build each channel's digest for a day and post it exactly once."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.calendar import is_listing_day, no_listing_reason
from bot.channels import ChannelInfo
from bot.delivery import DeliveryService, Poster
from bot.digest import assemble, parent_title, rank
from bot.models import Digest, DigestEntry, Paper
from bot.radar import RadarIndex
from bot.store import deliveries as outbox
from bot.store import papers as paper_repo

if TYPE_CHECKING:
    from bot.engine import Engine

log = logging.getLogger(__name__)

PosterFactory = Callable[[ChannelInfo], Poster]
# A window of announcement days: its papers, their radar index, and who already posted them.
Window = tuple[list[Paper], RadarIndex, dict[str, set[str]]]


class UnknownChannel(LookupError):
    """A channel key that is not configured."""


class Digests:
    """Builds digests from the store and posts them through platform posters."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.db = engine.db
        self.posters: dict[str, PosterFactory] = {}
        self._windows: dict[tuple[dt.date | None, dt.date], Window] = {}
        self._day_facts: dict[dt.date, tuple[dict[str, dt.date], set[str], dt.date | None]] = {}
        self._channels_with_saves: set[str] | None = None

    def register_poster(self, platform: str, factory: PosterFactory) -> None:
        """Adapters (through the entry point) say how to post to their platform."""
        self.posters[platform] = factory

    def _channels(self, channel: str | None) -> list[ChannelInfo]:
        if channel is None:
            return self.engine.channels.all()
        info = self.engine.channels.info(channel)
        if info is None:
            known = ", ".join(c.key for c in self.engine.channels.all()) or "none"
            raise UnknownChannel(f"no channel {channel!r}; known: {known}")
        return [info]

    def build_all(self, channel: str | None = None, day: dt.date | None = None) -> list[Digest]:
        """Each channel's digest for `day` (default: today in the channel's time zone).

        Papers are selected for every channel first, then summarised in one pass per
        language, so the LLM sees each unique paper once: ⌈unique / batch⌉ TL;DR requests
        plus one briefing per digest.
        """
        now = dt.datetime.now(dt.UTC)
        self._forget()
        chosen = [(info, self.select(info, day or info.local_date(now))) for info in self._channels(channel)]
        self._summarize(chosen)
        return [digest for _, digest in chosen]

    def post_all(
        self, channel: str | None = None, day: dt.date | None = None, dry_run: bool = False
    ) -> list[Digest]:
        """Build, then (unless dry-run) record and post every due digest; `posted` says how much."""
        digests = self.build_all(channel, day)
        if dry_run:
            return digests
        for digest in digests:
            if digest.entries:
                digest.posted = self._post(digest)
        return digests

    def build(self, info: ChannelInfo, day: dt.date) -> Digest:
        """One channel's digest, summarised."""
        self._forget()
        digest = self.select(info, day)
        self._summarize([(info, digest)])
        return digest

    def select(self, info: ChannelInfo, day: dt.date) -> Digest:
        """One channel's papers for a day: a recorded digest as recorded, else fresh from its radar."""
        recorded = self._facts(day)[1]
        if info.key in recorded:
            stored = self._stored(info, day)
            if stored is not None:
                return stored
        papers, index, posted_by = self._window(info, day)
        matches = index.match(list(info.rules), include_replacements=info.include_replacements)
        posted = posted_by.get(info.key, set())
        matched = {pid: (m.score, m.matched_authors) for pid, m in matches.items()}
        candidates = [index.by_id[pid] for pid in matched]  # not the whole day: 100 channels add up
        interest: dict[str, float] = {}
        if info.key in self._savers():
            interest = self.engine.library.interest_scores(info.key, candidates)
        ranked = rank(candidates, matched, interest, exclude=posted)
        digest = assemble(info.key, day, ranked, self.engine.settings.digest_max)
        digest.channel_name = info.name
        if not digest.entries:
            digest.reason = self._empty_reason(info, day, papers)
        return digest

    def _summarize(self, chosen: list[tuple[ChannelInfo, Digest]]) -> None:
        """Fill TL;DRs (one pass per language over the unique papers) and each briefing."""
        by_language: dict[str, list[Digest]] = {}
        for info, digest in chosen:
            if digest.entries and not digest.briefing:
                by_language.setdefault(info.language or self.engine.settings.language, []).append(digest)
        for language, digests in by_language.items():
            missing = [e.paper for d in digests for e in d.entries if not e.tldr]
            tldrs = self.engine.summaries.tldrs_for(missing, language) if missing else {}
            for digest in digests:
                for entry in digest.entries:
                    entry.tldr = entry.tldr or tldrs.get(entry.paper.id, "")
                digest.briefing = self.engine.summaries.briefing_for(digest.entries, language)

    def last_digest_days(self) -> dict[str, dt.date]:
        """Every channel's latest recorded digest day."""
        with self.db.reading() as session:
            return outbox.latest_digest_days(session=session)

    def _forget(self) -> None:
        """Drop what one build read once for every channel (the next build reads afresh)."""
        self._windows.clear()
        self._day_facts.clear()
        self._channels_with_saves = None

    def _savers(self) -> set[str]:
        if self._channels_with_saves is None:
            self._channels_with_saves = self.engine.library.channels_with_saves()
        return self._channels_with_saves

    def _facts(self, day: dt.date) -> tuple[dict[str, dt.date], set[str], dt.date | None]:
        """What every channel's window needs, read once per build: previous digest days,
        digests already recorded for `day`, and the latest announcement day up to `day`."""
        if day not in self._day_facts:
            with self.db.reading() as session:
                previous, recorded = outbox.digest_days(session=session, day=day)
                latest = paper_repo.latest_announcement(session=session, until=day)
            self._day_facts[day] = (previous, recorded, latest)
        return self._day_facts[day]

    def _window(self, info: ChannelInfo, day: dt.date) -> Window:
        """Papers announced after the channel's previous digest, up to `day` (shared across channels)."""
        previous, _recorded, latest = self._facts(day)
        after = previous.get(info.key)
        if after is None:
            # A new channel starts with the latest announcement day, but not on a day without one.
            start = latest if latest is not None and is_listing_day(day) else day
            after = start - dt.timedelta(days=1)
        key = (after, day)
        if key not in self._windows:
            with self.db.reading() as session:
                papers = paper_repo.papers_announced_between(session=session, after=after, until=day)
                posted = outbox.posted_by_channel(session=session, ids=[p.id for p in papers])
            self._windows[key] = (papers, RadarIndex(papers), posted)
        return self._windows[key]

    def _empty_reason(self, info: ChannelInfo, day: dt.date, papers: list[Paper]) -> str:
        if not info.rules:
            return "this channel has no radar yet: try `/papers subscribe cat:cs.LG`"
        if not papers:
            return no_listing_reason(day) or f"no papers stored for {day:%a %d %b %Y} yet (has a fetch run?)"
        return f"nothing matched your radar among {len(papers)} papers"

    def _stored(self, info: ChannelInfo, day: dt.date) -> Digest | None:
        """A digest already recorded for this day, rebuilt from its rows (so re-runs post nothing new)."""
        with self.db.session() as session:
            row = outbox.get_digest(session=session, channel_key=info.key, day=day)
            if row is None:
                return None
            rows = outbox.deliveries_of(session=session, digest_id=row.id)
            papers = paper_repo.get_papers(session=session, ids=[r.paper_id for r in rows])
            briefing = row.briefing or ""
        entries = [
            DigestEntry(
                number=r.number, paper=papers[r.paper_id], tldr=r.tldr, matched_authors=r.matched_authors
            )
            for r in rows
            if r.paper_id in papers
        ]
        return Digest(
            channel=info.key,
            date=day,
            entries=entries,
            briefing=briefing,
            total=len(entries),
            channel_name=info.name,
        )

    def _record(self, digest: Digest) -> int | None:
        """Write the digest and its delivery rows before anything is sent; returns the digest id."""
        with self.db.session() as session:
            row = outbox.get_digest(session=session, channel_key=digest.channel, day=digest.date)
            if row is None:
                row = outbox.create_digest(
                    session=session,
                    channel_key=digest.channel,
                    day=digest.date,
                    briefing=digest.briefing,
                    parent_text=parent_title(digest),
                )
                if row is None:  # another process recorded it a moment ago
                    row = outbox.get_digest(session=session, channel_key=digest.channel, day=digest.date)
                    return row.id if row else None
                kept = outbox.add_deliveries(
                    session=session,
                    digest=row,
                    items=[(e.number, e.paper.id, e.tldr, e.matched_authors) for e in digest.entries],
                )
                kept_ids = {k.paper_id for k in kept}
                digest.entries = [e for e in digest.entries if e.paper.id in kept_ids]
            return row.id

    def _post(self, digest: Digest) -> int:
        digest_id = self._record(digest)
        if digest_id is None:
            return 0
        info = self.engine.channels.info(digest.channel)
        assert info is not None
        factory = self.posters.get(info.platform)
        if factory is None:
            raise UnknownChannel(f"no poster for {info.platform} channels in this process")
        stored = self._stored(info, digest.date) or digest
        return DeliveryService(self.db).post(digest_id, stored, factory(info))
