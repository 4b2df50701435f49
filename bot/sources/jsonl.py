"""arXiv metadata as JSON lines: the Kaggle `arxiv-metadata-oai-snapshot` and daily-listing shapes.

This is the million-record bulk path, so it avoids regexes per record: LaTeX is decoded
only when a backslash is present, and version dates are split by hand.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from bot.ids import abs_url, normalize_doi, pdf_url, split_arxiv_id
from bot.models import Paper
from bot.sources.arxiv_rss import split_authors
from bot.sources.latex import decode_latex

_MONTHS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}


_NEW_ID_RE = re.compile(r"(\d{4}\.\d{4,5})(?:v(\d+))?")


def _name(value: Any) -> str:
    """An author name from a list: cleaned only when it needs it (most do not)."""
    name = str(value).strip()
    if "  " in name or "\n" in name:
        name = " ".join(name.split())
    return decode_latex(name) if "\\" in name else name


def _text(value: Any) -> str:
    """Whitespace-collapsed text with LaTeX accents decoded ("" for null)."""
    if not value:
        return ""
    text = str(value)
    # Kaggle text is hard-wrapped; listing text usually is not, and the scan is cheaper than a split.
    if "\n" in text or "  " in text or "\t" in text or text[0] == " " or text[-1] == " ":
        text = " ".join(text.split())
    return decode_latex(text) if "\\" in text else text


def _version_date(created: str) -> dt.date | None:
    """The date of a Kaggle version stamp such as `Mon, 2 Apr 2007 19:18:42 GMT`."""
    parts = created.split()
    if len(parts) < 4 or parts[2] not in _MONTHS:
        return None
    return dt.date(int(parts[3]), _MONTHS[parts[2]], int(parts[1]))


def _canonical(raw_id: Any) -> tuple[str, int | None]:
    fast = _NEW_ID_RE.fullmatch(raw_id) if isinstance(raw_id, str) else None
    if fast:  # the common case, without the general parser's URL and prefix handling
        return fast.group(1), int(fast.group(2)) if fast.group(2) else None
    ident = split_arxiv_id(str(raw_id))
    if ident is None:
        raise ValueError(f"not an arXiv id: {raw_id!r}")
    return ident


def _kaggle_paper(record: dict[str, Any], source: str) -> Paper:
    arxiv_id, version = _canonical(record["id"])
    versions = record.get("versions") or []
    first = _version_date(versions[0]["created"]) if versions else None
    last = _version_date(versions[-1]["created"]) if versions else None
    if last is None and record.get("update_date"):
        last = dt.date.fromisoformat(record["update_date"])
    categories = (record.get("categories") or "").split()
    return Paper(
        id=arxiv_id,
        title=_text(record.get("title")),
        authors=split_authors(record.get("authors") or ""),
        abstract=_text(record.get("abstract")),
        categories=categories,
        primary_category=categories[0] if categories else None,
        published=first,
        updated=last,
        version=len(versions) or version,
        doi=normalize_doi(record.get("doi")),
        journal_ref=_text(record.get("journal-ref")) or None,
        comment=_text(record.get("comments")) or None,
        url=abs_url(arxiv_id),
        pdf_url=pdf_url(arxiv_id),
        source=source,
    )


def _listing_paper(record: dict[str, Any], source: str) -> Paper:
    arxiv_id, version = _canonical(record["id"])
    categories = [str(c) for c in record.get("categories") or []]
    # Scraped author lists carry stray punctuation entries (e.g. "NVIDIA", ":", "Aaron Blakeman").
    names = [_name(a) for a in record.get("authors") or [] if a]
    authors = [n for n in names if n and (n[0].isalnum() or any(ch.isalnum() for ch in n))]
    return Paper(
        id=arxiv_id,
        title=_text(record.get("title")),
        authors=authors,
        abstract=_text(record.get("summary") or record.get("abstract")),
        categories=categories,
        primary_category=categories[0] if categories else None,
        version=version,
        comment=_text(record.get("comment")) or None,
        url=abs_url(arxiv_id),
        pdf_url=pdf_url(arxiv_id),
        source=source,
    )


def paper_from_record(record: dict[str, Any], source: str) -> Paper:
    """A Paper from one JSON object of either shape; ValueError/KeyError/TypeError when it is not one."""
    if isinstance(record.get("categories"), list):
        paper = _listing_paper(record, source)
    else:
        paper = _kaggle_paper(record, source)
    if not paper.title:
        raise ValueError(f"record {record['id']!r} has no title")
    return paper
