"""The database schema as typed SQLAlchemy 2 ORM classes.

Full-text search lives beside these tables: FTS5 virtual tables on SQLite, and on
PostgreSQL three `bigint[]` columns of `papers` under GIN indexes (search_terms,
search_pairs, author_keys; bot/store/lexemes.py); both are created by the Alembic
migrations (migrations/versions), not by `create_all`.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """Declarative base of every AcademicHub table."""


class PaperRow(Base):
    """One paper, by canonical id. `pk` is the integer key the indexes point at."""

    __tablename__ = "papers"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(512), unique=True)
    title: Mapped[str] = mapped_column(Text)
    abstract: Mapped[str] = mapped_column(Text, default="")
    authors: Mapped[list[str]] = mapped_column(JSON, default=list)
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    primary_category: Mapped[str | None] = mapped_column(String(64))
    published: Mapped[dt.date | None] = mapped_column(Date)
    updated: Mapped[dt.date | None] = mapped_column(Date)
    announced: Mapped[dt.date | None] = mapped_column(Date)
    version: Mapped[int | None] = mapped_column(Integer)
    announce_type: Mapped[str | None] = mapped_column(String(16))
    doi: Mapped[str | None] = mapped_column(String(256), index=True)
    journal_ref: Mapped[str | None] = mapped_column(Text)
    journal: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    pdf_url: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(Text)
    comment: Mapped[str | None] = mapped_column(Text)
    preprint_id: Mapped[str | None] = mapped_column(String(512))
    content_hash: Mapped[str] = mapped_column(String(32))
    # A journal item whose DOI belongs to an arXiv paper points at that paper.
    linked_to: Mapped[str | None] = mapped_column(String(512))
    sort_date: Mapped[dt.date | None] = mapped_column(Date)
    # Full-text tokens of the categories (`catcs0it9 catcs9`, see store.lexemes.category_token):
    # indexed with title and abstract, so `cat:cs.IT graph` is one full-text query.
    category_terms: Mapped[str] = mapped_column(Text, default="")
    # When the store first learned of a journal (non-arXiv) item: digests take those by
    # arrival. NULL for arXiv papers, which digests take by listing day.
    arrived_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # bot.identity.title_hash of the title: preprint and journal version meet by title.
    title_hash: Mapped[int | None] = mapped_column(BigInteger)

    # Searches walk papers newest first: ORDER BY sort_date DESC NULLS LAST, pk DESC.
    # SQLite sorts NULL lowest, so a plain index read backwards gives that order (and it
    # rejects NULLS in CREATE INDEX); PostgreSQL sorts NULL highest and needs it spelled out,
    # or every query sorts all its candidates.
    __table_args__ = (
        Index("ix_papers_sort", "sort_date", "pk").ddl_if(dialect="sqlite"),
        # SQLite: a drive's keys sorted by date without reading their rows (migration 0012).
        Index("ix_papers_key_date", "pk", "sort_date", "linked_to").ddl_if(dialect="sqlite"),
        Index("ix_papers_newest", sort_date.desc().nulls_last(), pk.desc()).ddl_if(dialect="postgresql"),
        Index(
            "ix_papers_arrived",
            arrived_at,
            sqlite_where=arrived_at.is_not(None),
            postgresql_where=arrived_at.is_not(None),
        ),
        Index("ix_papers_title_hash", title_hash),
        Index(
            "ix_papers_preprint",
            preprint_id,
            sqlite_where=preprint_id.is_not(None),
            postgresql_where=preprint_id.is_not(None),
        ),
    )


class PaperCategory(Base):
    """Every category of a paper (primary and cross-lists), for `cat:` filters."""

    __tablename__ = "paper_categories"

    category: Mapped[str] = mapped_column(String(64), primary_key=True)
    paper_pk: Mapped[int] = mapped_column(Integer, primary_key=True)

    __table_args__ = ({"sqlite_with_rowid": False},)


class FetchState(Base):
    """Conditional-GET validators per source."""

    __tablename__ = "fetch_state"

    source: Mapped[str] = mapped_column(String(1024), primary_key=True)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    fetched_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str | None] = mapped_column(Text)


class ChannelRow(Base):
    """A chat channel with a radar; `key` is `slack:T0LAB/C0PAPERS` etc."""

    __tablename__ = "channels"

    key: Mapped[str] = mapped_column(String(256), primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    name: Mapped[str | None] = mapped_column(Text)
    schedule: Mapped[str | None] = mapped_column(String(64))  # "09:00 Europe/Vienna" or None
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    language: Mapped[str | None] = mapped_column(String(16))
    include_replacements: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    # A personal radar whose member left the workspace (migration 0006): no longer posted to.
    left_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class RadarRuleRow(Base):
    """One subscription rule of a channel's radar, in the order it was added."""

    __tablename__ = "radar_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel_key: Mapped[str] = mapped_column(ForeignKey("channels.key", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("channel_key", "kind", "value", name="uq_radar_rule"),)


class DigestRow(Base):
    """One channel's thread for one day; the lease makes one process its poster."""

    __tablename__ = "digests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel_key: Mapped[str] = mapped_column(String(256))
    date: Mapped[dt.date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16), default="open")  # open | done
    parent_ref: Mapped[str | None] = mapped_column(Text)  # platform id of the parent message
    thread_ref: Mapped[str | None] = mapped_column(Text)  # thread id where replies go
    parent_text: Mapped[str | None] = mapped_column(Text)
    briefing: Mapped[str | None] = mapped_column(Text)
    # When its papers were selected: the next digest takes journal items that arrived later.
    cutoff: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    lease_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (UniqueConstraint("channel_key", "date", name="uq_digest_channel_date"),)


class DeliveryRow(Base):
    """One paper message of a digest; (channel, paper) is unique: posted once, ever."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    digest_id: Mapped[int] = mapped_column(ForeignKey("digests.id", ondelete="CASCADE"), index=True)
    channel_key: Mapped[str] = mapped_column(String(256))
    paper_id: Mapped[str] = mapped_column(String(512))
    number: Mapped[int] = mapped_column(Integer)
    tldr: Mapped[str] = mapped_column(Text, default="")
    matched_authors: Mapped[list[str]] = mapped_column(JSON, default=list)
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending | sent | held
    message_ref: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    # A paper is never posted twice to a channel, whatever version or feed it comes from: a
    # replacement (v2) or the journal version is the same paper, and a second message would
    # give people two threads and two save counts for it. The database says so, not only code.
    __table_args__ = (UniqueConstraint("channel_key", "paper_id", name="uq_delivery_channel_paper"),)


class SummaryRow(Base):
    """A cached TL;DR per (paper, summarizer key = model + prompt version, language)."""

    __tablename__ = "summaries"

    paper_id: Mapped[str] = mapped_column(String(512), primary_key=True)
    cache_key: Mapped[str] = mapped_column(String(256), primary_key=True)
    language: Mapped[str] = mapped_column(String(16), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class LlmUsageRow(Base):
    """Tokens spent per UTC day, against ACADEMICHUB_LLM_DAILY_TOKENS."""

    __tablename__ = "llm_usage"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    tokens: Mapped[int] = mapped_column(Integer, default=0)
    requests: Mapped[int] = mapped_column(Integer, default=0)


class SaveRow(Base):
    """A reading-list entry; `saved` false is a tombstone that keeps the last choice's time."""

    __tablename__ = "saves"

    workspace: Mapped[str] = mapped_column(String(256), primary_key=True)
    user: Mapped[str] = mapped_column(String(128), primary_key=True)
    paper_id: Mapped[str] = mapped_column(String(512), primary_key=True)
    saved: Mapped[bool] = mapped_column(Boolean)
    channel_key: Mapped[str | None] = mapped_column(String(256))
    event_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    notified_version: Mapped[int | None] = mapped_column(Integer)
    journal_notified: Mapped[str | None] = mapped_column(Text)  # the journal the saver was told of


class CursorRow(Base):
    """The caller's last query per channel, so `/papers more` continues it."""

    __tablename__ = "query_cursors"

    user_key: Mapped[str] = mapped_column(String(256), primary_key=True)
    channel_key: Mapped[str] = mapped_column(String(256), primary_key=True)
    query: Mapped[str] = mapped_column(Text)
    offset: Mapped[int] = mapped_column(Integer, default=0)
    digest_id: Mapped[int | None] = mapped_column(Integer)  # set when `more` continues a digest
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
