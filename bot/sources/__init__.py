"""Paper sources: fetch(url) -> bytes is I/O (bot.sources.http); parse(bytes) -> papers is pure.

`parse_any` recognises what it was given from the content, never from the file name;
`read_any` does the same, and leaves an arXiv feed's items to be parsed batch by batch.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterator
from typing import IO

import orjson

from bot.models import Paper
from bot.sources.base import (
    USER_AGENT,
    Feed,
    FeedError,
    FeedKind,
    JsonlStats,
    ParsedFeed,
    SourceUnavailable,
    malformed_xml,
    root_name,
)

__all__ = [
    "USER_AGENT",
    "Feed",
    "FeedError",
    "FeedKind",
    "JsonlStats",
    "ParsedFeed",
    "SourceUnavailable",
    "is_json_document",
    "iter_jsonl_papers",
    "malformed_xml",
    "parse_any",
    "read_any",
]


def iter_jsonl_papers(
    stream: IO[bytes],
    source: str,
    stats: JsonlStats | None = None,
    on_bad: Callable[[int, str], None] | None = None,
) -> Iterator[Paper]:
    """Stream papers from arXiv JSON lines in constant memory, skipping (and counting) bad lines."""
    from bot.sources.jsonl import paper_from_record

    stats = stats if stats is not None else JsonlStats()
    for number, raw in enumerate(stream, 1):
        stats.lines += 1
        if not raw.strip():
            continue
        try:
            record = orjson.loads(raw)  # 3x the standard library on the million-record path
            if not isinstance(record, dict):
                raise ValueError("the line is not a JSON object")
            paper = paper_from_record(record, source)
        except (ValueError, KeyError, TypeError, AttributeError, IndexError) as err:
            reason = str(err) or type(err).__name__
            stats.record_bad(number, reason)
            if on_bad is not None:
                on_bad(number, reason)
            continue
        stats.papers += 1
        yield paper


# rss.arxiv.org feeds: announce types or oai guids, or (an empty weekend feed) arXiv's own link or title.
_ARXIV_RSS_RE = re.compile(
    rb"arxiv:announce_type|oai:arXiv\.org:|<title>[^<]*updates on arXiv\.org"
    rb"|(?:<link>|<id>|href=[\"'])\s*https?://rss\.arxiv\.org/"
)
_ARXIV_API_MARKS = (b"a9.com/-/spec/opensearch", b"arxiv:primary_category", b"arxiv.org/api/")


# The first key of a scholarly API's answer (bioRxiv, Crossref, OpenAlex list or work, E-utilities).
_API_JSON_RE = re.compile(
    rb'^\{\s*"(?:messages|status|message-type|meta|results|header|esearchresult)"\s*:'
    rb'|^\{\s*"id"\s*:\s*"https://openalex\.org/W'
)


def is_json_document(head: bytes) -> bool:
    """True when JSON starts one document (pretty-printed, or an API's answer), not JSON lines."""
    first = head.lstrip().split(b"\n", 1)[0].strip()
    return first == b"{" or _API_JSON_RE.match(first) is not None


def _parse_jsonl_bytes(data: bytes, source: str) -> ParsedFeed:
    first = data.lstrip().split(b"\n", 1)[0]
    try:
        record = json.loads(first)
    except ValueError:
        raise FeedError("not a feed: JSON that is not arXiv JSON lines (one record per line)") from None
    if not isinstance(record, dict) or "id" not in record or "title" not in record:
        raise FeedError("not a feed: JSON that holds no arXiv records (no id and title)")
    stats = JsonlStats()
    papers = list(iter_jsonl_papers(io.BytesIO(data), source, stats))
    if not papers and stats.bad:
        raise FeedError(f"not a feed: none of the {stats.bad} JSON lines is an arXiv record")
    return ParsedFeed(kind="jsonl", papers=papers)


def _api_document(doc: dict[str, object], data: bytes, source: str) -> ParsedFeed | None:
    """A saved answer of a scholarly API, recognised by its keys; None when it is none of them."""
    if "messages" in doc and "collection" in doc:
        from bot.sources import biorxiv

        papers = biorxiv.parse(data, source)
        medrxiv = bool(papers) and all(p.url and "medrxiv" in p.url for p in papers)
        return ParsedFeed(kind="medrxiv" if medrxiv else "biorxiv", papers=papers)
    if "message-type" in doc:
        from bot.sources import crossref

        return ParsedFeed(kind="crossref", papers=crossref.parse(data, source))
    if "results" in doc or str(doc.get("id", "")).startswith("https://openalex.org/W"):
        from bot.sources import openalex

        return ParsedFeed(kind="openalex", papers=openalex.parse(data, source))
    if "esearchresult" in doc:
        raise FeedError(_ESEARCH_ONLY)
    return None


_ESEARCH_ONLY = (
    "not a feed: a PubMed search result holds PMIDs, not papers; use `pubmed:QUERY` as the source, "
    "or save the efetch XML"
)


def _parse_json(data: bytes, source: str) -> ParsedFeed:
    """One JSON document of an API, else arXiv JSON lines."""
    try:
        doc = orjson.loads(data)  # JSON lines fail here at the second line, after one record
    except orjson.JSONDecodeError:
        doc = None
    if isinstance(doc, dict):
        parsed = _api_document(doc, data, source)
        if parsed is not None:
            return parsed
    return _parse_jsonl_bytes(data, source)


def _read_xml(data: bytes, source: str) -> Feed:
    head = data[:65536]
    root = root_name(head)
    if root == "PubmedArticleSet":
        from bot.sources import pubmed

        return ParsedFeed(kind="pubmed", papers=pubmed.parse(data, source))
    if root == "eSearchResult":
        raise FeedError(_ESEARCH_ONLY)
    if root == "OAI-PMH":
        raise FeedError("not a feed: this is an arXiv OAI-PMH response, which is not a supported source")
    if root == "error":
        raise FeedError("not a feed: the server sent an error document instead of a feed")
    if root in ("rss", "feed") and _ARXIV_RSS_RE.search(head):
        from bot.sources.arxiv_rss import ArxivFeedReader

        return ArxivFeedReader(data, source)
    if root == "feed" and any(mark in head for mark in _ARXIV_API_MARKS):
        from bot.sources.arxiv_api import parse_api_atom

        return ParsedFeed(kind="arxiv_api", papers=parse_api_atom(data, source))
    from bot.sources.journal_rss import parse_journal

    return parse_journal(data, source)


def parse_any(data: bytes, source: str) -> ParsedFeed:
    """Recognise a feed or JSON-lines file by its content and parse it into papers."""
    return read_any(data, source).parsed()


def read_any(data: bytes, source: str) -> Feed:
    """Recognise a feed or JSON-lines file by its content and read what it says of itself;
    its papers come from `batches()` (an arXiv feed's parsed as they are taken)."""
    stripped = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped:
        raise FeedError("the file is empty")
    if stripped[:1] == b"[":
        raise FeedError("not a feed: a JSON array, not arXiv JSON lines or RSS/Atom")
    if stripped[:1] == b"{":
        return _parse_json(stripped, source)
    if stripped[:2] in (b"\xff\xfe", b"\xfe\xff"):
        from bot.sources.journal_rss import parse_journal

        return parse_journal(data, source)  # UTF-16: leave the decoding to feedparser
    if stripped[:1] != b"<":
        raise FeedError("not a feed: the content is neither XML nor JSON lines")
    return _read_xml(data, source)
