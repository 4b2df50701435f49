"""What every source module shares: the errors, the parsed-feed value, and how we name ourselves.

Kept apart from the package's __init__ (which picks a parser for any content) so that the
parsers import this, not the package that imports them: no import cycle.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal, Protocol

from bot.models import Paper

# How every request from AcademicHub names itself (feeds, the arXiv API): arXiv asks clients to.
USER_AGENT = "AcademicHub/0.1 (+https://github.com/academichub/academichub)"

FeedKind = Literal[
    "arxiv_rss", "arxiv_api", "journal", "jsonl", "biorxiv", "medrxiv", "pubmed", "crossref", "openalex"
]


class FeedError(Exception):
    """A source could not be read or parsed; str() is one sentence for people."""


class SourceUnavailable(FeedError):
    """The source could not be reached (network error, timeout, HTTP error)."""


@dataclass(slots=True)
class ParsedFeed:
    """The papers of one feed or file, and what kind of source it was."""

    kind: FeedKind
    papers: list[Paper] = field(default_factory=list)
    feed_date: dt.date | None = None  # arXiv announcement day (US/Eastern), RSS/Atom only
    title: str | None = None
    is_arxiv_feed: bool = False  # an rss.arxiv.org announcement feed (empty on weekends/holidays)

    def batches(self) -> Iterator[list[Paper]]:
        """Its papers as one batch."""
        if self.papers:
            yield self.papers

    def parsed(self) -> ParsedFeed:
        return self


class Feed(Protocol):
    """A feed as the ingest takes it: what it says of itself, and its papers in batches —
    a ParsedFeed's all at once, an arXiv feed's parsed one batch at a time (arxiv_rss)."""

    kind: FeedKind
    feed_date: dt.date | None
    is_arxiv_feed: bool

    def batches(self) -> Iterator[list[Paper]]:
        """The papers, in feed order."""
        ...

    def parsed(self) -> ParsedFeed:
        """All of it at once."""
        ...


@dataclass(slots=True)
class JsonlStats:
    """Counts of one JSON-lines stream: filled in while it is being read."""

    lines: int = 0
    papers: int = 0
    bad: int = 0
    errors: list[str] = field(default_factory=list)  # the first few, "line N: reason"
    max_errors: int = 20

    def record_bad(self, line_number: int, reason: str) -> None:
        """Count one unreadable line and keep its reason if there is room."""
        self.bad += 1
        if len(self.errors) < self.max_errors:
            self.errors.append(f"line {line_number}: {reason}")


def malformed_xml(err: ET.ParseError, data: bytes | None = None) -> FeedError:
    """A FeedError for people from an ElementTree parse error."""
    line = err.position[0] if err.position else None
    reason = str(err).split(":", 1)[0]  # expat's "mismatched tag: line 1, column 8"
    if reason == "no element found":  # expat's words for both "empty" and "cut off"
        if data is not None and root_name(data[:65536]) is None:
            return FeedError("not a feed: the document has no root element")
        reason = "the document ends early; was the download cut off?"
    where = f" at line {line}" if line else ""
    return FeedError(f"not a feed: the XML is malformed{where} ({reason})")


_ROOT_RE = re.compile(rb"<([A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)[\s/>]")


def root_name(head: bytes) -> str | None:
    """The local name of the root element, skipping the XML declaration, comments and doctype."""
    text = re.sub(rb"<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>", b"", head, flags=re.DOTALL)
    match = _ROOT_RE.search(text)
    return match.group(2).decode("ascii") if match else None
