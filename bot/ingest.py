"""Ingest use-case: read sources (fetch is I/O, parse is pure), store papers, report per source."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from itertools import islice
from pathlib import Path
from typing import IO

from bot.calendar import listing_day_of, no_listing_reason
from bot.gcpause import cyclic_gc_paused
from bot.models import IngestReport, Paper, SourceResult
from bot.sources import (
    USER_AGENT,
    Feed,
    FeedError,
    JsonlStats,
    ParsedFeed,
    is_json_document,
    iter_jsonl_papers,
    read_any,
)
from bot.sources.apis import ApiOptions, IncompleteSource, SourceSpec, parse_source_spec
from bot.sources.http import FETCH_DEADLINE, MAX_FEED_MB, fetch
from bot.sources.presets import resolve as resolve_preset
from bot.sources.scholarly import fetch_source
from bot.store import papers as paper_repo
from bot.store import state as state_repo
from bot.store.db import Database, StoreError

log = logging.getLogger(__name__)

BULK_BATCH = 5000
ARXIV_RSS = "https://rss.arxiv.org/rss/"
Progress = Callable[[str, int], None]  # (source, papers so far)


def _local_path(source: str) -> Path | None:
    if source.startswith("file://"):
        return Path(source[len("file://") :])
    if "://" in source:
        return None
    return Path(source).expanduser()


@contextmanager
def _open_local(path: Path) -> Iterator[IO[bytes]]:
    """The file's bytes, gunzipped when it is gzip (the demo's bundled day is)."""
    with path.open("rb") as raw:
        if raw.peek(2)[:2] == b"\x1f\x8b":
            with gzip.GzipFile(fileobj=raw) as unzipped:
                yield io.BufferedReader(unzipped)
        else:
            yield raw


def _looks_like_json_lines(stream: IO[bytes]) -> bool:
    head = stream.peek(4096) if hasattr(stream, "peek") else b""
    return head.lstrip()[:1] == b"{" and not is_json_document(head)


def _batches(papers: Iterator[Paper], size: int) -> Iterator[list[Paper]]:
    while batch := list(islice(papers, size)):
        yield batch


class Ingestor:
    """Reads each source and upserts its papers; one failing source never stops the others."""

    def __init__(
        self,
        db: Database,
        timeout: float,
        arxiv_rss_url: str = ARXIV_RSS,
        apis: ApiOptions | None = None,
        *,
        max_feed_bytes: int = MAX_FEED_MB * 1_000_000,
        fetch_deadline: float = FETCH_DEADLINE,
    ) -> None:
        self.db = db
        self.timeout = timeout
        self.arxiv_rss_url = arxiv_rss_url
        self.apis = apis or ApiOptions(timeout=timeout)
        self.max_feed_bytes = max_feed_bytes
        self.fetch_deadline = fetch_deadline

    def locate(self, source: str) -> str:
        """Where to read a source: `arxiv:cs.LG+math.NA` and rss.arxiv.org URLs go to
        ACADEMICHUB_ARXIV_RSS_URL (a mirror, or a local server in tests); the rest as given."""
        if source.startswith("arxiv:"):
            return self.arxiv_rss_url + source.removeprefix("arxiv:")
        if source.startswith(ARXIV_RSS) and self.arxiv_rss_url != ARXIV_RSS:
            return self.arxiv_rss_url + source.removeprefix(ARXIV_RSS)
        return source

    def run(self, sources: Sequence[str], progress: Progress | None = None) -> IngestReport:
        report = IngestReport()
        for source in sources:
            try:
                result = self.ingest_one(source, progress)
            except (FeedError, StoreError) as exc:
                result = SourceResult(source=source, status="failed", error=str(exc))
            except Exception as exc:  # a bug or a database fault must not hide the other sources
                log.exception("ingest of %s failed", source)
                result = SourceResult(source=source, status="failed", error=f"unexpected error: {exc}")
            report.sources.append(result)
        return report

    def ingest_one(self, source: str, progress: Progress | None = None) -> SourceResult:
        resolved = resolve_preset(source)  # `nature` -> its feed URL: papers carry the URL as source
        if resolved != source:
            result = self.ingest_one(resolved, progress)
            result.source = source
            return result
        spec = parse_source_spec(source)
        if spec is not None:
            return self._ingest_api(source, spec)
        path = _local_path(self.locate(source))
        if path is not None:
            if not path.is_file():
                raise FeedError(f"no such file: {path}")
            with _open_local(path) as stream:
                if _looks_like_json_lines(stream):
                    return self._ingest_stream(source, stream, progress)
                data = stream.read()
            # Parsing a day allocates ~10^5 objects freed by reference counting; collections
            # over the whole heap made parsing 2,000 items take 60-240 ms instead of 60-100 ms.
            # A feed is at most ACADEMICHUB_MAX_FEED_MB; streamed back-fills keep the collector.
            with cyclic_gc_paused():
                return self._store_feed(source, read_any(data, source))
        return self._ingest_url(source)

    def _ingest_url(self, source: str) -> SourceResult:
        with self.db.session() as session:
            known = state_repo.get_fetch_state(session=session, source=source)
            etag, modified = (known.etag, known.last_modified) if known else (None, None)
        fetched = fetch(
            self.locate(source),
            timeout=self.timeout,
            user_agent=USER_AGENT,
            etag=etag,
            last_modified=modified,
            max_bytes=self.max_feed_bytes,
            deadline=self.fetch_deadline,
        )
        if fetched.data is None:  # 304: nothing changed since the last fetch
            return SourceResult(source=source, note="not modified since the last fetch")
        # fetch() has gunzipped a .gz body already, under the same byte cap as any other.
        with cyclic_gc_paused():
            result = self._store_feed(source, read_any(fetched.data, source))
        with self.db.session() as session:
            state_repo.put_fetch_state(
                session=session,
                source=source,
                etag=fetched.etag,
                last_modified=fetched.last_modified,
                status="ok",
            )
        return result

    def _store_feed(self, source: str, feed: Feed) -> SourceResult:
        """Store a feed's papers in one transaction. An arXiv feed is parsed batch by batch as
        it is stored (SQLite indexes one batch while the next is parsed); a malformed item
        further on raises FeedError, and the transaction keeps nothing."""
        result = SourceResult(source=source)
        with self.db.session() as session:
            counts = paper_repo.upsert_batches(session=session, batches=feed.batches())
        result.new, result.updated, result.unchanged = counts.new, counts.updated, counts.unchanged
        if feed.is_arxiv_feed and not (counts.new or counts.updated or counts.unchanged):
            day = feed.feed_date or listing_day_of(dt.datetime.now(dt.UTC))
            result.note = no_listing_reason(day) or "the arXiv feed is empty"
        return result

    def _ingest_stream(self, source: str, stream: IO[bytes], progress: Progress | None) -> SourceResult:
        """Stream JSON lines in batches: a million-record back-fill in constant memory."""
        result = SourceResult(source=source)
        stats = JsonlStats()
        papers = iter_jsonl_papers(stream, source, stats)
        with self.db.bulk_loading() as bulk_session:
            # Parsed here, in the loader's thread: a parsing thread beside it made every row
            # SQLite hands back wait for the GIL (up to the 5 ms switch interval), and the
            # full-text work that is worth a second core runs in its own process (fulltext.py).
            # One batch ahead: the next batch's preparation (PostgreSQL's search keys, in a
            # second process) runs while this one is stored. A file of one batch prepares
            # nothing: starting that process (~1 s) would cost more than it saves.
            batches = _batches(papers, BULK_BATCH)
            batch, following = next(batches, None), next(batches, None)
            if batch is not None and following is not None:
                bulk_session.prepare(batch)
            while batch is not None:
                if following is not None:
                    bulk_session.prepare(following)
                with bulk_session(batch) as session:
                    counts = paper_repo.upsert_papers(session=session, papers=batch)
                result.new += counts.new
                result.updated += counts.updated
                result.unchanged += counts.unchanged
                if progress:
                    progress(source, result.new + result.updated + result.unchanged)
                batch, following = following, next(batches, None)  # parsed while keys are made
        if stats.bad:
            if not stats.papers:
                raise FeedError(f"no paper in {stats.lines} lines of JSON ({stats.errors[0]})")
            result.note = f"{stats.bad} malformed lines skipped (first: {stats.errors[0]})"
        return result

    def _ingest_api(self, source: str, spec: SourceSpec) -> SourceResult:
        """A scholarly API: the dates since the last good fetch; what arrived before a failure is kept."""
        with self.db.session() as session:
            known = state_repo.get_fetch_state(session=session, source=spec.text)
        since = None
        if known is not None and known.status == "ok" and known.fetched_at is not None:
            since = known.fetched_at.date() - dt.timedelta(days=1)  # a day's overlap: late-indexed items
        try:
            feed = fetch_source(spec, replace(self.apis, since=since))
        except IncompleteSource as exc:
            result = self._store_feed(source, ParsedFeed(kind=spec.kind, papers=exc.papers))
            result.status, result.error = "failed", str(exc)
            return result  # the window stays where it was, so the next fetch asks again
        result = self._store_feed(source, feed)
        with self.db.session() as session:
            state_repo.put_fetch_state(
                session=session, source=spec.text, etag=None, last_modified=None, status="ok"
            )
        return result
