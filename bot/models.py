"""Plain data the core passes around: papers, ingest reports, replies, digests."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

from bot.ids import is_canonical_arxiv_id

if TYPE_CHECKING:
    from bot.query.model import RadarRule

AnnounceType = Literal["new", "cross", "replace", "replace-cross"]


@dataclass(slots=True)
class Paper:
    """One paper as parsed from a source or loaded from the store.

    `id` is canonical (see bot.ids): versionless arXiv id, else lower-cased DOI,
    else the link URL.
    """

    id: str
    title: str
    authors: list[str] = field(default_factory=list)
    abstract: str = ""
    categories: list[str] = field(default_factory=list)
    primary_category: str | None = None
    published: dt.date | None = None  # first version / publication date
    updated: dt.date | None = None  # date of the newest version we know
    announced: dt.date | None = None  # arXiv announcement day (feed date)
    version: int | None = None
    announce_type: str | None = None  # new | cross | replace | replace-cross
    doi: str | None = None
    journal_ref: str | None = None
    journal: str | None = None  # journal name for journal-feed items
    url: str | None = None
    pdf_url: str | None = None
    source: str | None = None  # where it came from (feed URL / path)
    comment: str | None = None
    # The preprint this item is a version of, when its source says so (OpenAlex's arXiv
    # location, bioRxiv's `published`): the store links the two (bot.identity).
    preprint_id: str | None = None

    @property
    def is_arxiv(self) -> bool:
        """True for arXiv papers (the id is canonical, so a cheap shape test suffices)."""
        return is_canonical_arxiv_id(self.id)

    def to_json(self) -> dict[str, Any]:
        """The paper as the JSON object of SPEC §3 (dates as ISO strings)."""
        out = asdict(self)
        for key in ("published", "updated", "announced"):
            value = out[key]
            out[key] = value.isoformat() if value else None
        return out


@dataclass(slots=True)
class SourceResult:
    """What ingesting one source did."""

    source: str
    status: Literal["ok", "failed"] = "ok"
    error: str | None = None
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    note: str | None = None  # e.g. "arXiv does not announce on Saturdays"

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "status": self.status,
            "error": self.error,
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
        }


@dataclass(slots=True)
class IngestReport:
    """Totals over every source of one `fetch`."""

    sources: list[SourceResult] = field(default_factory=list)

    @property
    def new(self) -> int:
        return sum(s.new for s in self.sources)

    @property
    def updated(self) -> int:
        return sum(s.updated for s in self.sources)

    @property
    def unchanged(self) -> int:
        return sum(s.unchanged for s in self.sources)

    @property
    def failed(self) -> int:
        return sum(1 for s in self.sources if s.status == "failed")

    def to_json(self) -> dict[str, Any]:
        return {
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "failed": self.failed,
            "sources": [s.to_json() for s in self.sources],
        }


@dataclass(slots=True)
class StoreCounts:
    """What one upsert batch did to the store."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, other: StoreCounts) -> None:
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged


@dataclass(slots=True, frozen=True)
class Caller:
    """Who asked: a chat user in a channel of a workspace (platform-neutral)."""

    platform: str  # slack | discord | console
    workspace: str  # Slack team id, Discord guild id, "local"
    channel: str
    user: str
    # The platform says this member may change the channel (Slack workspace admin or owner,
    # Discord Manage Channels); ACADEMICHUB_ADMINS can say so too (bot.commands).
    admin: bool = False

    @property
    def channel_key(self) -> str:
        """The channel as addressed in config and CLI: `slack:T0LAB/C0PAPERS`."""
        if self.platform == "console":
            return f"console:{self.channel}"
        return f"{self.platform}:{self.workspace}/{self.channel}"

    @property
    def person_key(self) -> str:
        """The caller's personal radar: `slack:T0LAB/@U0ALICE`, `discord:GUILD/@USER`, `console:@me`."""
        if self.platform == "console":
            return f"console:@{self.user}"
        return f"{self.platform}:{self.workspace}/@{self.user}"


def person_of(key: str) -> str | None:
    """The member a key names (`slack:T0LAB/@U0ALICE` -> `U0ALICE`), None for a channel key."""
    last = key.partition(":")[2].rpartition("/")[2]
    return last[1:] if last.startswith("@") and len(last) > 1 else None


@dataclass(slots=True)
class DigestEntry:
    """One numbered paper in a digest."""

    number: int
    paper: Paper
    tldr: str = ""
    matched_authors: list[str] = field(default_factory=list)
    score: float = 0.0

    def to_json(self) -> dict[str, Any]:
        out = {"number": self.number, "tldr": self.tldr, "matched_authors": self.matched_authors}
        out.update(self.paper.to_json())
        return out


class EmptyKind(enum.Enum):
    """Why a digest has no papers; the scheduler retries only NOT_FETCHED."""

    NO_RADAR = "no_radar"
    NO_LISTING = "no_listing"  # a weekend or an arXiv holiday
    NOT_FETCHED = "not_fetched"  # the day's listing is not in the store yet
    NO_MATCH = "no_match"


@dataclass(slots=True)
class Digest:
    """One channel's thread for one announcement day: `entries` go into the thread, `more`
    (numbered on) are the rest of the matches, reached through Show more / `/papers more`."""

    channel: str  # channel key, e.g. console:lab
    date: dt.date
    entries: list[DigestEntry] = field(default_factory=list)
    briefing: str = ""
    total: int = 0  # every match: len(entries) + len(more)
    reason: str | None = None  # why it is empty, for people
    channel_name: str | None = None
    posted: int = 0
    more: list[DigestEntry] = field(default_factory=list)
    id: int | None = None  # the recorded digest's id, once recorded
    empty: EmptyKind | None = None
    cutoff: dt.datetime | None = None  # when its papers were selected (journal items after it go next time)

    @property
    def person(self) -> str | None:
        """The member a personal digest goes to by direct message, None for a channel's."""
        return person_of(self.channel)

    def to_json(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "date": self.date.isoformat(),
            "briefing": self.briefing,
            "total": self.total,
            "reason": self.reason,
            "papers": [e.to_json() for e in self.entries],
            "more": [e.to_json() for e in self.more],
            "posted": self.posted,
        }


@dataclass(slots=True)
class Attachment:
    """A file to hand to the user (exports)."""

    filename: str
    content: bytes
    mimetype: str = "text/plain"


# The one sentence every front end shows when a command fails on our side (details go to the log).
INTERNAL_ERROR = "Something went wrong on our side (it has been logged). Please try again in a minute."


@dataclass(slots=True)
class Reply:
    """A platform-neutral answer to a `/papers` command; adapters render it."""

    text: str
    papers: list[Paper] = field(default_factory=list)
    ephemeral: bool = True
    has_more: bool = False
    error: bool = False
    attachment: Attachment | None = None
    tldrs: dict[str, str] = field(default_factory=dict)  # paper id -> TL;DR when known
    first_number: int = 1  # the number of papers[0]: `/papers more` goes on counting (6, 7, …)
    # A live look-up to run after this answer is sent (Engine.follow_up); its answer is a second message.
    follow_up: LiveRequest | None = None
    # Posted for everyone in the channel besides the (ephemeral) answer: a radar change.
    announcement: str | None = None


@dataclass(frozen=True, slots=True)
class LiveRequest:
    """What to look up on arXiv after answering from the store, and for whom."""

    kind: Literal["author", "paper"]
    command: str  # the /papers text whose answer the look-up may extend
    caller: Caller


@dataclass(frozen=True, slots=True)
class ChannelInfo:
    """What the core knows of a channel (or of a member's personal radar)."""

    key: str
    platform: str
    name: str | None
    rules: tuple[RadarRule, ...]
    schedule: str | None  # "09:00 Europe/Vienna"
    timezone: str
    language: str | None
    include_replacements: bool
    left: bool = False  # a personal radar whose member left the workspace

    @property
    def person(self) -> str | None:
        """The member a personal radar belongs to (`U0ALICE`), None for a channel."""
        return person_of(self.key)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def local_date(self, now: dt.datetime) -> dt.date:
        return now.astimezone(self.zone).date()

    def schedule_time(self) -> dt.time | None:
        if not self.schedule:
            return None
        hh, mm = self.schedule.split()[0].split(":")
        return dt.time(int(hh), int(mm))
