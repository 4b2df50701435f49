"""Canonical paper ids: arXiv (new and old style, with or without version), DOI, URL."""

from __future__ import annotations

import re
from urllib.parse import unquote

# New-style ids: YYMM.NNNN (2007–2014) or YYMM.NNNNN (2015–).
_NEW = r"\d{4}\.\d{4,5}"
# Old-style ids: archive(.SUBJ)?/YYMMNNN, e.g. math/0601001, math.NA/0601001, hep-th/9901001.
_OLD = r"[a-z][a-z\-]*(?:\.[A-Za-z\-]{2,})?/\d{7}"
_ARXIV_RE = re.compile(rf"^(?P<id>{_NEW}|{_OLD})(?:v(?P<v>\d+))?$")
_ARXIV_URL_RE = re.compile(
    rf"^(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html|format)/(?P<id>{_NEW}|{_OLD})"
    r"(?:v(?P<v>\d+))?(?:\.pdf)?/?(?:[?#].*)?$",
    re.IGNORECASE,
)
_DOI_RE = re.compile(r"(10\.\d{4,9}/\S+)")
_DOI_PREFIX_RE = re.compile(r"^(?:doi:\s*|info:doi/|https?://(?:dx\.)?doi\.org/)", re.IGNORECASE)
_ARXIV_DOI_RE = re.compile(r"^10\.48550/arxiv\.(.+)$", re.IGNORECASE)
# Canonical arXiv ids: 2606.16028 (new style) or math/0601001 (old style, archive only).
_ARXIV_CANONICAL = re.compile(r"\d{4}\.\d{4,5}$|[a-z][a-z\-]*/\d{7}$")


def is_canonical_arxiv_id(paper_id: str) -> bool:
    """True for a canonical (versionless, normalised) arXiv id; a cheap shape test."""
    return _ARXIV_CANONICAL.match(paper_id) is not None


def split_arxiv_id(text: str) -> tuple[str, int | None] | None:
    """Return (versionless id, version) for any arXiv id form, or None."""
    s = unquote(text.strip())
    s = re.sub(r"^(?:oai:arxiv\.org:|arxiv:)", "", s, flags=re.IGNORECASE)
    m = _ARXIV_URL_RE.match(s) or _ARXIV_RE.match(s)
    if not m:
        doi = _ARXIV_DOI_RE.match(_DOI_PREFIX_RE.sub("", s))
        if doi:
            return split_arxiv_id(doi.group(1))
        return None
    base = m.group("id")
    if "/" in base:
        archive, number = base.split("/", 1)
        # The subject class after the archive (math.NA/0601001) is not part of the identity.
        base = f"{archive.split('.')[0].lower()}/{number}"
    version = int(m.group("v")) if m.group("v") else None
    return base, version


def is_arxiv_id(text: str) -> bool:
    """True when the text is a versionless or versioned arXiv id (any form)."""
    return split_arxiv_id(text) is not None


def normalize_doi(text: str | None) -> str | None:
    """A DOI lower-cased, without `doi:`/`https://doi.org/` prefixes, or None."""
    if not text:
        return None
    s = _DOI_PREFIX_RE.sub("", unquote(text.strip()))
    m = _DOI_RE.search(s)
    if not m:
        return None
    return m.group(1).rstrip(".,;)").lower()


def canonical_id(text: str) -> str | None:
    """Canonical id for an arXiv id, DOI or URL the user typed; None if none fits."""
    s = text.strip()
    if not s:
        return None
    arxiv = split_arxiv_id(s)
    if arxiv:
        return arxiv[0]
    doi = normalize_doi(s) if ("10." in s) else None
    if doi:
        return doi
    if re.match(r"^https?://", s, re.IGNORECASE):
        return s
    return None


def abs_url(arxiv_id: str) -> str:
    return f"https://arxiv.org/abs/{arxiv_id}"


def pdf_url(arxiv_id: str) -> str:
    return f"https://arxiv.org/pdf/{arxiv_id}"
