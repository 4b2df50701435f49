"""bioRxiv and medRxiv through the `details` API: rows are versions, papers are DOIs.

A paper's id is its own 10.1101 DOI; `doi` is its journal version's DOI when `published` names one
(just as an arXiv paper's `doi` is its journal DOI); the server goes in `source`, not `journal`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from typing import Any
from urllib.parse import quote

from bot.ids import normalize_doi
from bot.models import Paper
from bot.sources.apis import ApiOptions, IncompleteSource, collect_pages, get
from bot.sources.base import FeedError

SERVERS = {"biorxiv": "bioRxiv", "medrxiv": "medRxiv"}
PAGE = 100  # the API's fixed page size
# Section headings the API glues to their text ("BackgroundNumerous …", "…cells.MethodsWe …").
_HEADING_RE = re.compile(
    r"(?:^|(?<=[.!?)\]]))\s*(Background|BACKGROUND|Motivation|Summary|Objectives?|OBJECTIVES?|Aims?|"
    r"Methods?|METHODS?|Findings|Results|RESULTS|Conclusions?|CONCLUSIONS?|Interpretation|"
    r"Significance|Importance|Availability and [Ii]mplementation|Contact|Supplementary [Ii]nformation|"
    r"Funding)((?:\s*(?:&|/|and)\s*(?:Aims?|Objectives?|Purpose|Methods))?)(?=[A-Z])"
)


def _text(value: Any) -> str:
    """NFC text (the API sends some names with combining diaeresis), whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFC", str(value or "")).split())


def _abstract(value: Any) -> str:
    text = _text(value)
    return _HEADING_RE.sub(
        lambda m: (" " if m.start() else "") + m.group(1) + m.group(2) + ": ", text
    ).strip()


def _author(name: str) -> str:
    """`Durrieu, L.` -> `L. Durrieu`; a name without a comma stays as it is."""
    surname, _, given = name.partition(",")
    return f"{given.strip()} {surname.strip()}".strip() if given.strip() else surname.strip()


def _authors(value: Any) -> list[str]:
    return [_author(n) for n in _text(value).split(";") if n.strip()]


def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _version(row: dict[str, Any]) -> int:
    try:
        return int(row.get("version") or 1)
    except (TypeError, ValueError):
        return 1


def document(data: bytes) -> dict[str, Any]:
    """The API's JSON object, checked to be a `details` answer."""
    try:
        doc = json.loads(data)
    except ValueError:
        raise FeedError("bioRxiv: the API answered with something that is not JSON") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("collection"), list):
        raise FeedError("bioRxiv: the API answer has no `collection` of papers")
    return doc


def papers_from_rows(rows: list[dict[str, Any]], source: str) -> list[Paper]:
    """One paper per DOI: the newest version's text, first and newest dates, its journal DOI."""
    by_doi: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        doi = normalize_doi(row.get("doi"))
        if doi and _text(row.get("title")):
            by_doi.setdefault(doi, []).append(row)
    papers = []
    for doi, versions in by_doi.items():
        versions.sort(key=_version)
        newest = versions[-1]
        dates = [d for d in (_date(v.get("date")) for v in versions) if d]
        journal_doi = next(
            (
                normalize_doi(v.get("published"))
                for v in reversed(versions)
                if normalize_doi(v.get("published"))
            ),
            None,
        )
        server = str(newest.get("server") or "bioRxiv")
        subject = _text(newest.get("category")).lower()
        url = f"https://www.{server.lower()}.org/content/{doi}v{_version(newest)}"
        papers.append(
            Paper(
                id=doi,
                title=_text(newest.get("title")),
                authors=_authors(newest.get("authors")),
                abstract=_abstract(newest.get("abstract")),
                categories=[subject] if subject else [],
                primary_category=subject or None,
                published=min(dates) if dates else None,
                updated=max(dates) if dates else None,
                version=_version(newest),
                doi=journal_doi,
                url=url,
                pdf_url=url + ".full.pdf",
                source=source,
            )
        )
    return papers


def parse(data: bytes, source: str) -> list[Paper]:
    """Papers from one saved `details` page (pure)."""
    return papers_from_rows(document(data)["collection"], source)


def fetch(server: str, subject: str, options: ApiOptions, source: str) -> list[Paper]:
    """Every version posted in the window, cursor page by cursor page, as papers (I/O)."""
    since, until = options.window()
    base = f"{options.base(server)}/details/{server}/{since.isoformat()}/{until.isoformat()}"
    category = f"?category={quote(subject.replace(' ', '_'))}" if subject else ""
    cursor = 0
    done = False

    def page() -> list[dict[str, Any]] | None:
        nonlocal cursor, done
        if done:
            return None
        doc = document(get(f"{base}/{cursor}{category}", options))
        rows = [r for r in doc["collection"] if isinstance(r, dict)]
        message = (doc.get("messages") or [{}])[0]
        total = int(message.get("total") or 0) if str(message.get("total") or "0").isdigit() else 0
        cursor += len(rows)
        done = not rows or cursor >= total
        return rows

    try:
        rows = collect_pages(page, SERVERS[server], options.max_papers)
    except IncompleteSource as exc:
        raise IncompleteSource(str(exc), papers_from_rows(exc.papers, source)) from None
    return papers_from_rows(rows, source)
