"""The Engine: AcademicHub's use-cases, wired once by `build_engine(settings)`.

Adapters and the CLI call only this (and the plain data in bot.models); they never see
a database session. Everything here is synchronous; async adapters bridge with
`asyncio.to_thread`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence

from bot.archive import Archive, Cursors, StoreLoading
from bot.browse import Batch, Browse, DayView
from bot.channels import Channels
from bot.commands import CommandRunner, spec_for
from bot.config import ConfigError, FileConfig, Settings, load_file_config, load_settings
from bot.digests import Digests
from bot.ingest import USER_AGENT, Ingestor, Progress
from bot.library import Library
from bot.live import LiveArxiv
from bot.models import INTERNAL_ERROR, Caller, ChannelInfo, Digest, IngestReport, LiveRequest, Paper, Reply
from bot.query import UsageError, parse
from bot.sources.apis import ApiOptions
from bot.sources.arxiv_api import ArxivClient
from bot.store import deliveries as outbox
from bot.store import replay as replay_repo
from bot.store import state as state_repo
from bot.store.db import Database
from bot.store.search import SearchSpec
from bot.summarize import SummaryService, build_summary_service

log = logging.getLogger(__name__)


class DbTldrCache:
    """TL;DR cache in the `summaries` table: a paper is summarised once per model, prompt and language."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, ids: Sequence[str], key: str, language: str) -> dict[str, str]:
        with self.db.session() as session:
            return state_repo.get_summaries(session=session, ids=list(ids), key=key, language=language)

    def put(self, items: Mapping[str, str], key: str, language: str) -> None:
        with self.db.session() as session:
            state_repo.put_summaries(session=session, items=items, key=key, language=language)


class DbTokenBudget:
    """Tokens per UTC day in the `llm_usage` table, shared by every process."""

    def __init__(self, db: Database, limit: int) -> None:
        self.db = db
        self.limit = limit

    def used_today(self) -> int:
        with self.db.session() as session:
            return state_repo.tokens_used(session=session, day=dt.datetime.now(dt.UTC).date())

    def add(self, tokens: int) -> None:
        with self.db.session() as session:
            state_repo.add_tokens(session=session, day=dt.datetime.now(dt.UTC).date(), tokens=tokens)


class Engine:
    """Every use-case of AcademicHub, platform-neutral: it wires the services (each gets what
    it needs, never the Engine) and is the one facade adapters and the CLI see."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        file_config: FileConfig,
        summaries: SummaryService,
        arxiv: ArxivClient | None = None,
    ) -> None:
        self.settings = settings
        self.db = db
        self.file_config = file_config
        self.summaries = summaries
        self.ingestor = Ingestor(
            db,
            timeout=settings.http_timeout,
            arxiv_rss_url=settings.arxiv_rss_url,
            apis=ApiOptions.from_settings(settings),
            max_feed_bytes=int(settings.max_feed_mb * 1_000_000),
            fetch_deadline=settings.fetch_deadline,
        )
        self.archive = Archive(db)
        self.channels = Channels(db)
        self.library = Library(db)
        self.digests = Digests(db, settings, self.channels, self.library, summaries)
        self.commands = CommandRunner(
            settings,
            self.archive,
            Cursors(db),
            self.channels,
            self.library,
            self.digests,
            summaries,
            LiveArxiv(arxiv),
        )
        self.browse = Browse(
            db,
            self.channels,
            self.digests,
            self.library,
            summaries,
            self.search,
            lambda: self.commands.clock(),
        )

    @property
    def arxiv(self) -> ArxivClient | None:
        """The live arXiv client behind `/papers author` and `/papers paper` (None: no live look-ups)."""
        return self.commands.live.client

    @arxiv.setter
    def arxiv(self, client: ArxivClient | None) -> None:
        self.commands.live.client = client

    # --- papers -----------------------------------------------------------------
    def ingest(self, sources: Sequence[str] | None = None, progress: Progress | None = None) -> IngestReport:
        """Read the given sources (or the configured ones) into the store."""
        if sources is None:
            sources = [s.url for s in self.file_config.sources]
        return self.ingestor.run(list(sources), progress)

    def show(self, ref: str) -> Paper | None:
        """One stored paper by any form of its id (SPEC §4)."""
        return self.archive.show(ref)

    def search(self, text: str, limit: int = 5, offset: int = 0) -> list[Paper]:
        """Papers for a `/papers` query (author, search, cat, paper ID, filters), from the store
        only; raises UsageError."""
        command = parse(text)
        if command.name == "paper":
            paper = self.show(command.paper_id or "")
            return [paper] if paper is not None and offset == 0 else []
        if not command.is_query():
            raise UsageError(
                f"`{text.strip()}` is not a search; try `author Grohs` or `search operator learning`."
            )
        spec = spec_for(command, dt.datetime.now(dt.UTC).date())
        return self.find(spec, limit=limit, offset=offset)

    def find(self, spec: SearchSpec, limit: int = 5, offset: int = 0) -> list[Paper]:
        """Run a search spec against the store."""
        return self.archive.find(spec, limit=limit, offset=offset)

    # --- chat -------------------------------------------------------------------
    def handle(self, text: str, caller: Caller) -> Reply:
        """Answer any `/papers …` text: a reply or a usage message, never an exception."""
        return self.commands.run(text, caller)

    def follow_up(self, request: LiveRequest) -> Reply | None:
        """The second answer of a command that asked arXiv live (Reply.follow_up): run it after
        the first answer is out; never raises."""
        try:
            return self.commands.follow_up(request)
        except Exception:
            log.exception("live follow-up %r failed", request)
            return None

    def requires_admin(self, text: str) -> bool:
        """Does this `/papers` text change a channel (admins only)? Adapters then ask the platform."""
        return self.commands.requires_admin(text)

    def more_of_digest(self, caller: Caller, digest_id: int) -> Reply:
        """The digest's Show more button: the caller's next batch of its matches beyond the thread."""
        try:
            return self.commands.more_of_digest(caller, digest_id)
        except Exception:
            log.exception("show more of digest %s failed for %s", digest_id, caller)
            return Reply(text=INTERNAL_ERROR, error=True)

    def first_request(self, key: str) -> bool:
        """True the first time a signed platform request is seen; False for a replay, in any process."""
        with self.db.session() as session:
            return replay_repo.first_sight(session=session, key=key, now=dt.datetime.now(dt.UTC))

    # --- reading list -------------------------------------------------------------
    def paper_for_message(self, message_ref: str) -> str | None:
        """The paper id a posted digest message carries (for reactions and buttons)."""
        with self.db.reading() as session:
            row = outbox.find_delivery_by_message(session=session, message_ref=message_ref)
            return row.paper_id if row else None

    def save(
        self,
        caller: Caller,
        paper_ref: str,
        saved: bool,
        event_at: dt.datetime | None = None,
    ) -> bool:
        """Save or unsave a paper for the caller; the latest event wins. Returns the state now."""
        paper, state = self.library.set_saved(
            caller.workspace, caller.user, paper_ref, saved, event_at=event_at, channel_key=caller.channel_key
        )
        return state if paper else False

    def toggle_save(self, caller: Caller, paper_ref: str) -> bool:
        """The Save button: flip the caller's state for the paper; returns the new state."""
        return self.library.toggle(caller.workspace, caller.user, paper_ref, channel_key=caller.channel_key)

    # --- digests ----------------------------------------------------------------
    def build_digests(self, channel: str | None = None, day: dt.date | None = None) -> list[Digest]:
        """Build (not post) the due digests; see bot.digests."""
        return self.digests.build_all(channel=channel, day=day)

    # --- the lab page (read-only) ----------------------------------------------------
    def workspace_channels(self, platform: str, workspace: str) -> list[ChannelInfo]:
        """The channels of one workspace or guild, with their radars."""
        return self.browse.channels(platform, workspace)

    def personal_radar(self, key: str) -> ChannelInfo:
        """A member's personal radar (`slack:T0LAB/@U0BOB`); an empty one when they have none yet."""
        return self.browse.personal(key)

    def day_view(self, channel: ChannelInfo, day: dt.date, offset: int = 0, language: str = "en") -> DayView:
        """A channel's digest for a day, five papers from `offset`, with its briefing."""
        return self.browse.day(channel, day, offset, language)

    def search_batch(
        self,
        text: str,
        offset: int = 0,
        language: str = "en",
        channel: ChannelInfo | None = None,
        day: dt.date | None = None,
    ) -> Batch:
        """Five numbered papers for any `/papers` query from `offset` (`today` reads `day`'s digest)."""
        return self.browse.search(text, offset, language, channel, day)

    def digest_archive(self, channel_key: str) -> list[tuple[dt.date, int]]:
        """A channel's recorded digests, newest first, as (day, papers)."""
        return self.browse.archive(channel_key)

    def close(self) -> None:
        self.db.dispose()


def build_engine(
    settings: Settings | None = None, *, file_config: FileConfig | None = None, upgrade: bool = True
) -> Engine:
    """The Engine from settings (default: the environment); raises ConfigError for bad settings."""
    settings = settings or load_settings()
    if file_config is None:
        file_config = load_file_config(settings)
    db = Database(settings.database_url)
    if upgrade:
        db.ensure_schema()
    budget = DbTokenBudget(db, settings.llm_daily_tokens)
    summaries = build_summary_service(settings, DbTldrCache(db), budget)
    arxiv = ArxivClient(api_url=settings.arxiv_api_url, timeout=settings.http_timeout, user_agent=USER_AGENT)
    engine = Engine(settings, db, file_config, summaries, arxiv)
    engine.channels.seed(file_config.channels)
    return engine


__all__ = ["ConfigError", "Engine", "StoreLoading", "build_engine"]
