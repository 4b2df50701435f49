"""What the lab page shows, gathered from the engine (synchronous: run it off the event loop)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

from adapters.web.i18n import STRINGS, pick_language
from bot.browse import Batch, DayView
from bot.calendar import no_listing_reason
from bot.engine import Engine
from bot.models import ChannelInfo, DigestEntry, Paper
from bot.query import UsageError
from bot.signin import Member

MAX_OFFSET = 10_000
CALENDAR_DAYS = 14
AUTHORS_SHOWN = 12


@dataclass(slots=True)
class Params:
    """The page's state, all in the query string (every control works without JavaScript)."""

    channel: str | None = None
    q: str = ""
    offset: int = 0
    day: dt.date | None = None
    lang: str | None = None
    bad_date: str | None = None  # a `date=` that is no date, said on the page (the default day shown)

    @classmethod
    def from_query(cls, query: Any) -> Params:
        day = _date(query.get("date"))
        return cls(
            channel=query.get("channel") or None,
            q=" ".join(str(query.get("q") or "").split())[:500],
            offset=_int(query.get("offset")),
            day=day,
            lang=query.get("lang") if query.get("lang") in STRINGS else None,
            bad_date=str(query.get("date"))[:40] if query.get("date") and day is None else None,
        )

    def url(self, path: str = "/", **changes: Any) -> str:
        """This state as a link, with some fields changed (None drops one)."""
        state: dict[str, Any] = {
            "channel": self.channel,
            "q": self.q,
            "date": self.day.isoformat() if self.day else None,
            "lang": self.lang,
            "offset": self.offset or None,
        }
        state.update(changes)
        query = urlencode({k: v for k, v in state.items() if v not in (None, "", 0)})
        return f"{path}?{query}" if query else path


def _int(value: Any) -> int:
    try:
        return max(0, min(MAX_OFFSET, int(str(value))))
    except (TypeError, ValueError):
        return 0


def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def safe_href(url: str | None) -> str | None:
    """Only http(s) links from feeds become hrefs: a `javascript:` URL stays out of the page."""
    if not url:
        return None
    return url if urlsplit(url).scheme.lower() in ("http", "https") else None


@dataclass(slots=True)
class Card:
    """One numbered paper as the page shows it."""

    number: str
    id: str
    source: str
    date: str
    title: str
    href: str | None
    authors: list[tuple[str, bool]]
    more_authors: int
    tldr: str
    abstract: str
    pdf: str | None
    saved: bool


def source_label(paper: Paper) -> str:
    """`arXiv (CS.LG)` like the seed page, or the journal's name."""
    if not paper.is_arxiv:
        return paper.journal or "journal"
    cat = paper.primary_category or (paper.categories[0] if paper.categories else "")
    return f"arXiv ({cat.upper()})" if cat else "arXiv"


def card(entry: DigestEntry, saved: set[str]) -> Card:
    paper = entry.paper
    day = paper.announced or paper.published or paper.updated
    pdf = paper.pdf_url or (f"https://arxiv.org/pdf/{paper.id}" if paper.is_arxiv else None)
    href = paper.url or (f"https://arxiv.org/abs/{paper.id}" if paper.is_arxiv else None)
    matched = set(entry.matched_authors)
    return Card(
        number=f"{entry.number:02d}.",
        id=paper.id,
        source=source_label(paper),
        date=day.isoformat() if day else "",
        title=paper.title,
        href=safe_href(href),
        authors=[(name, name in matched) for name in paper.authors[:AUTHORS_SHOWN]],
        more_authors=max(0, len(paper.authors) - AUTHORS_SHOWN),
        tldr=entry.tldr,
        abstract=paper.abstract,
        pdf=safe_href(pdf),
        saved=paper.id in saved,
    )


@dataclass(slots=True)
class CalendarDay:
    day: dt.date
    listing: bool
    reason: str | None
    selected: bool


def calendar_strip(end: dt.date, selected: dt.date) -> list[CalendarDay]:
    """The last two weeks, newest first; days without an arXiv listing carry the reason."""
    days = [end - dt.timedelta(days=i) for i in range(CALENDAR_DAYS)]
    return [CalendarDay(d, (r := no_listing_reason(d)) is None, r, d == selected) for d in days]


@dataclass(slots=True)
class PageData:
    """Everything one render needs (the template reads nothing else)."""

    lang: str
    params: Params
    member: Member | None = None
    channels: list[ChannelInfo] = field(default_factory=list)  # the workspace's, then "My radar"
    channel: ChannelInfo | None = None
    cards: list[Card] = field(default_factory=list)
    batch: Batch | None = None
    view: DayView | None = None
    error: str | None = None
    calendar: list[CalendarDay] = field(default_factory=list)
    archive: list[tuple[dt.date, int]] = field(default_factory=list)
    reading_list: list[Card] = field(default_factory=list)
    day: dt.date | None = None
    status: int = 200

    @property
    def t(self) -> dict[str, str]:
        return STRINGS[self.lang]

    @property
    def workspace_has_channels(self) -> bool:
        return any(c.person is None for c in self.channels)

    def label(self, info: ChannelInfo) -> str:
        """What the selector calls a channel; the member's own radar is "My radar" (我的雷达)."""
        return self.t["my_radar"] if info.person else info.name or info.key

    @property
    def next_url(self) -> str | None:
        if self.batch is None or self.batch.next_offset is None:
            return None
        return self.params.url(offset=self.batch.next_offset)


def gather(engine: Engine, member: Member | None, params: Params, now: dt.datetime) -> PageData:
    """Read what the page shows for a member (or, without one, nothing but the sign-in help)."""
    lang = pick_language(params.lang, None, engine.settings.language)
    if member is None:
        return PageData(lang, params, status=200)
    # The member's personal radar is one more entry, theirs alone: another member's key is not
    # among these, so asking for it answers 404 like another workspace's channel.
    channels = [
        *engine.workspace_channels(member.platform, member.workspace),
        engine.personal_radar(member.personal_key),
    ]
    channel = _chosen(channels, params.channel)
    lang = pick_language(params.lang, channel.language if channel else None, engine.settings.language)
    data = PageData(lang, params, member, channels, channel)
    if params.channel and channel is None:
        data.error, data.status = data.t["no_such_channel"], 404
        return data
    saved_papers = engine.library.saved(member.workspace, member.user)
    saved = {p.id for p in saved_papers}
    data.reading_list = [card(DigestEntry(i, p), saved) for i, p in enumerate(saved_papers, start=1)]
    if channel is None:
        return data
    params.channel = channel.key
    day = data.day = params.day or engine.browse.default_day(channel, now)
    if params.bad_date is not None:
        data.error = data.t["bad_date"].format(value=params.bad_date, day=day.isoformat())
    data.calendar = calendar_strip(channel.local_date(now), day)
    data.archive = engine.digest_archive(channel.key)
    try:
        if params.q:  # a search shows no briefing: the day's digest is not read
            data.batch = engine.search_batch(params.q, params.offset, lang, channel, day)
        else:
            data.view = engine.day_view(channel, day, params.offset, lang)
            data.batch = data.view.batch
    except UsageError as exc:
        data.error, data.status = exc.message, 400
        return data
    data.cards = [card(e, saved) for e in data.batch.entries]
    return data


def _chosen(channels: list[ChannelInfo], wanted: str | None) -> ChannelInfo | None:
    if wanted:
        return next((c for c in channels if c.key == wanted), None)
    return next((c for c in channels if c.rules), channels[0] if channels else None)
