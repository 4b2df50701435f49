"""Crossref: a journal's newest works (`/journals/{issn}/works`), JATS abstracts as plain text."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from typing import Any

from bot.ids import normalize_doi, split_arxiv_id
from bot.models import Paper
from bot.sources.apis import ApiOptions, collect_pages, get, query_string
from bot.sources.base import FeedError

ROWS = 100
_JATS_TITLE_RE = re.compile(r"<(?:jats:)?title[^>]*>(.*?)</(?:jats:)?title>", re.DOTALL)
_BLOCK_RE = re.compile(r"</?(?:jats:)?(?:p|sec|list|list-item|title|break)\b[^>]*>")
_TAG_RE = re.compile(r"</?[A-Za-z][\w:.-]*(?:\s[^<>]*)?/?>")
_ABSTRACT_HEADINGS = ("abstract", "summary", "graphical abstract", "resumo", "resumen", "résumé")


def jats_text(value: str | None, doi: str | None = None) -> str:
    """Plain text from a JATS abstract: headings kept as `Heading:`, the `Abstract` one dropped."""
    if not value:
        return ""

    def heading(m: re.Match[str]) -> str:
        title = " ".join(_TAG_RE.sub("", m.group(1)).split())
        return " " if title.casefold() in _ABSTRACT_HEADINGS or not title else f" {title}: "

    text = _JATS_TITLE_RE.sub(heading, value)
    text = _TAG_RE.sub("", _BLOCK_RE.sub(" ", text))
    text = " ".join(html.unescape(text).split())
    if doi:  # some publishers glue the item's own DOI link before the text
        text = re.sub(rf"^(?:https?://(?:dx\.)?doi\.org/)?{re.escape(doi)}", "", text, flags=re.I).strip()
    return text


def _plain(value: str) -> str:
    """A title or journal name without markup (<scp>, <i>) or entities (`&amp;`)."""
    return " ".join(html.unescape(_TAG_RE.sub("", value)).split())


def _first(values: Any) -> str:
    return _plain(values[0]) if isinstance(values, list) and values and isinstance(values[0], str) else ""


def _date(item: dict[str, Any]) -> dt.date | None:
    for key in ("published-online", "published-print", "published", "issued", "posted", "created"):
        parts = ((item.get(key) or {}).get("date-parts") or [[None]])[0]
        if parts and parts[0]:
            year, month, day = [*parts, 1, 1][:3]
            try:
                return dt.date(int(year), int(month or 1), int(day or 1))
            except (TypeError, ValueError):
                continue
    return None


def _authors(item: dict[str, Any]) -> list[str]:
    names = []
    for author in item.get("author") or []:
        name = " ".join(f"{author.get('given') or ''} {author.get('family') or ''}".split())
        names.append(name or " ".join(str(author.get("name") or "").split()))
    return [n for n in names if n]


def _preprint(item: dict[str, Any]) -> str | None:
    """The preprint a journal article says it has (`relation.has-preprint`): arXiv id or DOI."""
    for relation in (item.get("relation") or {}).get("has-preprint") or []:
        ident = str(relation.get("id") or "")
        arxiv = split_arxiv_id(ident)
        if arxiv:
            return arxiv[0]
        doi = normalize_doi(ident)
        if doi:
            return doi
    return None


def paper_from_item(item: dict[str, Any], source: str) -> Paper | None:
    """One work as a Paper; None without a DOI or a title."""
    doi = normalize_doi(item.get("DOI"))
    title = _first(item.get("title"))
    if not doi or not title:
        return None
    preprint = item.get("type") == "posted-content"  # bioRxiv, SSRN …: a server, not a journal
    return Paper(
        id=doi,
        title=title,
        authors=_authors(item),
        abstract=jats_text(item.get("abstract"), doi),
        published=_date(item),
        doi=doi,
        journal=None if preprint else (_first(item.get("container-title")) or None),
        url=item.get("URL") or f"https://doi.org/{doi}",
        source=source,
        preprint_id=_preprint(item),
    )


def message(data: bytes) -> dict[str, Any]:
    """The `message` of a Crossref answer, checked."""
    try:
        doc = json.loads(data)
    except ValueError:
        raise FeedError("Crossref: the answer is not JSON") from None
    if not isinstance(doc, dict) or "message-type" not in doc or not isinstance(doc.get("message"), dict):
        raise FeedError("Crossref: the answer has no `message`")
    return doc


def parse(data: bytes, source: str) -> list[Paper]:
    """Papers from a saved work-list or single-work answer (pure)."""
    doc = message(data)
    items = doc["message"].get("items") if doc["message-type"] == "work-list" else [doc["message"]]
    return [p for p in (paper_from_item(i, source) for i in items or [] if isinstance(i, dict)) if p]


def fetch(issn: str, options: ApiOptions, source: str) -> list[Paper]:
    """The journal's works published in the window, newest first, by deep-paging cursor (I/O)."""
    since, until = options.window()
    cursor: str | None = "*"
    base = f"{options.base('crossref')}/journals/{issn}/works"

    def page() -> list[Paper] | None:
        nonlocal cursor
        if cursor is None:
            return None
        params = {
            "filter": f"from-pub-date:{since.isoformat()},until-pub-date:{until.isoformat()}",
            "sort": "published",
            "order": "desc",
            "rows": ROWS,
            "cursor": cursor,
            "mailto": options.contact_email,
        }
        doc = message(get(f"{base}?{query_string(params)}", options))
        items = doc["message"].get("items") or []
        cursor = doc["message"].get("next-cursor") if len(items) == ROWS else None
        return [p for p in (paper_from_item(i, source) for i in items) if p]

    return collect_pages(page, f"Crossref {issn}", options.max_papers)
