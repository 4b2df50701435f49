"""Journal feeds (RSS 1.0/PRISM, RSS 2.0, Atom) through feedparser: DOI, authors, plain-text abstract."""

from __future__ import annotations

import datetime as dt
import html
import io
import re
import xml.etree.ElementTree as ET
from typing import Any

import feedparser

from bot.ids import abs_url, normalize_doi, pdf_url, split_arxiv_id
from bot.models import Paper
from bot.sources.arxiv_rss import clean, split_authors
from bot.sources.base import FeedError, ParsedFeed, malformed_xml
from bot.sources.latex import decode_latex

_DC = "{http://purl.org/dc/elements/1.1/}"
_TAG_RE = re.compile(r"<!--.*?-->|</?[A-Za-z][^<>]*>", re.DOTALL)
# Inline markup goes without a space: Nature's "S<sub>N</sub>2" is SN2, "<i>cis-</i>regulatory" one word.
_INLINE_RE = re.compile(r"</?(?:sub|sup|i|b|em|strong|span|scp|sc|u|small|tt|font)\b[^<>]*>", re.IGNORECASE)
# A citation line instead of an abstract: Nature's "Nature, Published online: 18 July 2024;
# doi:…", Atypon's "American Journal of Public Health, Volume 105, Issue S2, Page e1-e7, April 2015."
_CITATION_RE = re.compile(
    r"^[^,;]{2,120}, (?:Published online: [^;]{4,40};\s*doi:\s*\S+|(?:Volume|Ahead of Print)[^.]{0,120}?"
    r"(?:\d{4}|Print)\s*\.)\s*"
)
# bioRxiv's dc:creator is one string "Surname, I., Surname, I. J.": every second part is initials.
_INITIALS_RE = re.compile(r"^[A-Z][a-z]?\.(?:[\s-]*[A-Z][a-z]?\.)*$")


def plain_text(value: str | None) -> str:
    """Text without HTML tags and entities, whitespace collapsed."""
    if not value:
        return ""
    if "<" in value:
        value = _TAG_RE.sub(" ", _INLINE_RE.sub("", value))
    if "&" in value:
        value = html.unescape(value)
    return clean(value)


def split_journal_authors(text: str) -> list[str]:
    """Names from one creator string, turning `Surname, I., Surname, I.` into `I. Surname`."""
    parts = [p.strip() for p in text.split(",")]
    pairs = len(parts) >= 2 and len(parts) % 2 == 0
    if pairs and all(_INITIALS_RE.match(p) for p in parts[1::2]):
        names = []
        for surname, initials in zip(parts[::2], parts[1::2], strict=True):
            if surname.isupper() and len(surname) > 1:
                surname = surname.title()  # "LAPALU, N." shouts; names are matched case-insensitively anyway
            names.append(f"{initials} {surname}")
        return names
    return split_authors(text)


def _authors(entry: Any) -> list[str]:
    names = [clean(a.get("name")) for a in entry.get("authors") or [] if a.get("name")]
    if not names and entry.get("author"):
        names = [clean(entry.get("author"))]
    names = [n for n in names if n]
    if len(names) == 1 and "," in names[0]:
        return split_journal_authors(names[0])
    return [decode_latex(n) for n in names]


def _abstract(entry: Any, title: str) -> str:
    summary = plain_text(entry.get("summary"))
    content = max((plain_text(c.get("value")) for c in entry.get("content") or []), key=len, default="")
    if content[:8].lower() == "abstract":
        content = content[8:].lstrip(" :")  # a leading "Abstract" heading, or (MDPI) nothing else
    best = content if len(content) > len(summary) else summary
    best = _CITATION_RE.sub("", best)
    if best.casefold() == title.casefold():  # Nature repeats the title when it has no standfirst
        return ""
    return decode_latex(best) if "\\" in best else best


def _item_journal(entry: Any, title: str, journal: str | None) -> str | None:
    """Atypon puts the article title in prism:publicationName, and the journal in dc:source."""
    name = plain_text(entry.get("prism_publicationname"))
    if name and name.casefold() != title.casefold():
        return name
    if name:
        return plain_text(entry.get("dc_source")) or journal
    return journal


def _date(entry: Any) -> dt.date | None:
    parsed = entry.get("published_parsed")
    if parsed:
        return dt.date(parsed.tm_year, parsed.tm_mon, parsed.tm_mday)
    prism = entry.get("prism_publicationdate") or entry.get("prism_coverdate")
    if prism:
        try:
            return dt.date.fromisoformat(prism.strip()[:10])
        except ValueError:
            pass
    parsed = entry.get("updated_parsed")
    return dt.date(parsed.tm_year, parsed.tm_mon, parsed.tm_mday) if parsed else None


def _dc_identifiers(data: bytes, count: int) -> list[list[str]] | None:
    """Every dc:identifier of every item, in order: feedparser keeps only the last one per item,
    and Science puts the DOI first (`info:doi/…`, then `hwp:resource-id:…`)."""
    if b"purl.org/dc/elements/1.1/" not in data or b"identifier" not in data:
        return None
    try:
        root = ET.fromstring(data)
    except ET.ParseError:
        return None
    items = [el for el in root.iter() if el.tag.rsplit("}", 1)[-1] in ("item", "entry")]
    if len(items) != count:
        return None
    return [[(i.text or "").strip() for i in item.iter(f"{_DC}identifier")] for item in items]


def _doi(entry: Any, identifiers: list[str], link: str, guid: str) -> str | None:
    candidates = [entry.get("prism_doi"), *identifiers, entry.get("dc_identifier")]
    candidates += [value for value in (guid, link) if "doi" in value.lower() or value.startswith("10.")]
    for candidate in candidates:
        doi = normalize_doi(candidate) if candidate else None
        if doi:
            return doi
    return None


def _entry_paper(entry: Any, identifiers: list[str], journal: str | None, source: str) -> Paper | None:
    link = (entry.get("link") or "").strip()
    guid = (entry.get("id") or "").strip()
    doi = _doi(entry, identifiers, link, guid)
    arxiv = split_arxiv_id(link) or split_arxiv_id(guid) or (split_arxiv_id(doi) if doi else None)
    title = plain_text(entry.get("title"))
    journal = _item_journal(entry, title, journal)
    common: dict[str, Any] = {
        "title": decode_latex(title) if "\\" in title else title,
        "authors": _authors(entry),
        "abstract": _abstract(entry, title),
        "source": source,
    }
    if arxiv is not None:  # an aggregator re-publishing arXiv papers: the arXiv id is the identity
        arxiv_id, version = arxiv
        doi = None if doi and doi.startswith("10.48550/") else doi
        return Paper(
            id=arxiv_id, version=version, doi=doi, url=abs_url(arxiv_id), pdf_url=pdf_url(arxiv_id), **common
        )
    ident = doi or link or (guid if guid.startswith(("http://", "https://")) else "")
    if not ident:
        return None
    url = link or (f"https://doi.org/{doi}" if doi else None)
    return Paper(id=ident, doi=doi, journal=journal, published=_date(entry), url=url, **common)


def _bozo_error(exc: BaseException | None, data: bytes) -> FeedError:
    """One sentence for a feed feedparser could not read."""
    if isinstance(exc, feedparser.CharacterEncodingUnknown):
        return FeedError("not a feed: its text encoding could not be recognised")
    try:
        # ElementTree's report: feedparser's line numbers are shifted by the declaration it inserts.
        ET.fromstring(data)
    except ET.ParseError as err:
        return malformed_xml(err, data)
    if exc is None:
        return FeedError("not a feed: the document is neither RSS nor Atom")
    return FeedError(f"not a feed: feedparser could not read it ({exc})")


def parse_journal(data: bytes, source: str) -> ParsedFeed:
    """Parse a journal's RSS 1.0/PRISM, RSS 2.0 or Atom feed into papers (id = DOI, else link)."""
    # A stream, not bytes: feedparser would try to open bytes that look like a path as a file.
    parsed = feedparser.parse(io.BytesIO(data), sanitize_html=False, resolve_relative_uris=False)
    feed_title = plain_text(parsed.feed.get("title")) or None
    journal = plain_text(parsed.feed.get("prism_publicationname")) or feed_title
    identifiers = _dc_identifiers(data, len(parsed.entries))
    papers = []
    for index, entry in enumerate(parsed.entries):
        item_ids = identifiers[index] if identifiers else []
        paper = _entry_paper(entry, item_ids, journal, source)
        if paper is not None:
            papers.append(paper)
    if not papers and (parsed.bozo or not parsed.version):
        raise _bozo_error(parsed.get("bozo_exception"), data)
    return ParsedFeed(kind="journal", papers=papers, title=feed_title)
