"""OpenAlex works: an author across every venue, or one journal by ISSN.

Abstracts come as an inverted index (word -> positions) and are rebuilt; a work that OpenAlex
also knows as an arXiv or bioRxiv preprint gets `preprint_id`, so the store links the two.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from bot.ids import abs_url, normalize_doi, pdf_url, split_arxiv_id
from bot.models import Paper
from bot.sources.apis import ApiOptions, collect_pages, get, query_string
from bot.sources.base import FeedError
from bot.sources.journal_rss import plain_text

PER_PAGE = 100


def abstract_from_index(index: Any) -> str:
    """The abstract from OpenAlex's `abstract_inverted_index`."""
    if not isinstance(index, dict):
        return ""
    words: dict[int, str] = {}
    for word, positions in index.items():
        for position in positions or []:
            words[int(position)] = word
    return " ".join(" ".join(words[i] for i in sorted(words)).split())


def _preprint_of(url: str | None) -> str | None:
    """The canonical id of an arXiv or bioRxiv/medRxiv preprint a URL or DOI points at."""
    if not url:
        return None
    arxiv = split_arxiv_id(url)
    if arxiv:
        return arxiv[0]
    doi = normalize_doi(url)
    return doi if doi and doi.startswith("10.1101/") else None


def _locations(work: dict[str, Any]) -> list[dict[str, Any]]:
    found = [work.get("primary_location"), *(work.get("locations") or [])]
    return [loc for loc in found if isinstance(loc, dict)]


def _preprint_id(work: dict[str, Any], own: str) -> str | None:
    ids = work.get("ids") or {}
    candidates = [
        ids.get("arxiv"),
        *(url for loc in _locations(work) for url in (loc.get("landing_page_url"), loc.get("pdf_url"))),
    ]
    for candidate in candidates:
        preprint = _preprint_of(candidate)
        if preprint and preprint != own:
            return preprint
    return None


def _journal(work: dict[str, Any]) -> str | None:
    source = (work.get("primary_location") or {}).get("source") or {}
    if source.get("type") in ("journal", "conference", "book series", "ebook platform"):
        return plain_text(source.get("display_name")) or None
    return None


def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def paper_from_work(work: dict[str, Any], source: str) -> Paper | None:
    """One work as a Paper (id: arXiv id for an arXiv work, else DOI, else the OpenAlex URL)."""
    title = plain_text(work.get("title") or work.get("display_name"))
    if not title:
        return None
    doi = normalize_doi(work.get("doi"))
    arxiv = split_arxiv_id(doi) if doi else None
    authors = [
        plain_text((a.get("author") or {}).get("display_name") or a.get("raw_author_name"))
        for a in work.get("authorships") or []
    ]
    common: dict[str, Any] = {
        "title": title,
        "authors": [a for a in authors if a],
        "abstract": abstract_from_index(work.get("abstract_inverted_index")),
        "published": _date(work.get("publication_date")),
        "updated": _date(work.get("updated_date")),
        "source": source,
    }
    if arxiv:  # OpenAlex's record of an arXiv paper: the arXiv id is the identity
        return Paper(id=arxiv[0], url=abs_url(arxiv[0]), pdf_url=pdf_url(arxiv[0]), **common)
    ident = doi or str(work.get("id") or "")
    if not ident:
        return None
    preprint = doi is not None and doi.startswith("10.1101/")
    location = work.get("best_oa_location") or {}
    return Paper(
        id=ident,
        doi=doi,
        journal=None if preprint else _journal(work),
        url=(work.get("primary_location") or {}).get("landing_page_url")
        or (f"https://doi.org/{doi}" if doi else ident),
        pdf_url=location.get("pdf_url") or None,
        preprint_id=None if preprint else _preprint_id(work, ident),
        **common,
    )


def document(data: bytes) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        raise FeedError("OpenAlex: the answer is not JSON") from None


def works(doc: Any) -> list[dict[str, Any]]:
    """The works of an answer: a `results` list or one work (pure)."""
    if isinstance(doc, dict) and isinstance(doc.get("results"), list):
        return [w for w in doc["results"] if isinstance(w, dict)]
    if isinstance(doc, dict) and str(doc.get("id", "")).startswith("https://openalex.org/W"):
        return [doc]
    raise FeedError("OpenAlex: the answer holds neither `results` nor a work")


def parse(data: bytes, source: str) -> list[Paper]:
    """Papers from a saved works list or single work (pure)."""
    return [p for p in (paper_from_work(w, source) for w in works(document(data))) if p]


def _filter(scope: str, value: str) -> str:
    if scope == "source":
        return f"primary_location.source.issn:{value}"
    if value.upper().startswith("A"):
        return f"authorships.author.id:{value.upper()}"
    return f"authorships.author.orcid:https://orcid.org/{value}"


def fetch(scope: str, value: str, options: ApiOptions, source: str) -> list[Paper]:
    """The works of an author or a journal published in the window, by cursor paging (I/O)."""
    since, until = options.window()
    cursor: str | None = "*"
    when = f"from_publication_date:{since.isoformat()},to_publication_date:{until.isoformat()}"

    def page() -> list[Paper] | None:
        nonlocal cursor
        if cursor is None:
            return None
        params = {
            "filter": f"{_filter(scope, value)},{when}",
            "sort": "publication_date:desc",
            "per-page": PER_PAGE,
            "cursor": cursor,
            "mailto": options.contact_email,
        }
        doc = document(get(f"{options.base('openalex')}/works?{query_string(params)}", options))
        results = works(doc)
        cursor = (doc.get("meta") or {}).get("next_cursor") if len(results) == PER_PAGE else None
        return [p for p in (paper_from_work(w, source) for w in results) if p]

    return collect_pages(page, f"OpenAlex {scope} {value}", options.max_papers)
