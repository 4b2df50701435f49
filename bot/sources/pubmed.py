"""PubMed through NCBI E-utilities: esearch (by entry date) for PMIDs, then efetch XML in batches.

id = the lower-cased DOI, else https://pubmed.ncbi.nlm.nih.gov/PMID/; a structured abstract is
joined with its labels ("OBJECTIVES: … METHODS: …").
"""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable

from bot.ids import normalize_doi
from bot.models import Paper
from bot.sources.apis import ApiOptions, RateLimiter, collect_pages, get, query_string
from bot.sources.base import FeedError, malformed_xml

BATCH = 200  # PMIDs per efetch: NCBI asks for batches rather than one request per record
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_INITIALS_RE = re.compile(r"[A-Z](?: [A-Z])*")


def _text(element: ET.Element | None) -> str:
    """All the text of an element (inline <i>, <sub> … included), whitespace collapsed."""
    return " ".join("".join(element.itertext()).split()) if element is not None else ""


def _month(value: str) -> int:
    value = value.strip().lower()
    return int(value) if value.isdigit() else _MONTHS.get(value[:3], 1)


def _date(element: ET.Element | None) -> dt.date | None:
    """A PubDate/ArticleDate (Year, Month as `Jun` or `06`, optional Day) or a MedlineDate."""
    if element is None:
        return None
    year = element.findtext("Year")
    if not year:
        medline = (element.findtext("MedlineDate") or "").split()  # "2001 Jun-Jul"
        if not medline or not medline[0][:4].isdigit():
            return None
        year, month = medline[0][:4], medline[1][:3] if len(medline) > 1 else "1"
        return dt.date(int(year), _month(month), 1)
    try:
        return dt.date(int(year), _month(element.findtext("Month") or "1"), int(element.findtext("Day") or 1))
    except ValueError:
        return None


def _author(author: ET.Element) -> str:
    collective = _text(author.find("CollectiveName"))
    if collective:
        return collective
    given = " ".join((author.findtext("ForeName") or author.findtext("Initials") or "").split())
    if _INITIALS_RE.fullmatch(given):  # "A R" -> "A. R."
        given = " ".join(f"{letter}." for letter in given.split())
    return " ".join(f"{given} {author.findtext('LastName') or ''}".split())


def _abstract(article: ET.Element) -> str:
    parts = []
    for piece in article.findall("Abstract/AbstractText"):
        text = _text(piece)
        label = (piece.get("Label") or "").strip()
        if text:
            parts.append(f"{label}: {text}" if label else text)
    return " ".join(parts)


def _doi(citation_article: ET.Element | None, pubmed_data: ET.Element | None) -> str | None:
    ids: Iterable[ET.Element] = (
        pubmed_data.iterfind("ArticleIdList/ArticleId") if pubmed_data is not None else ()
    )
    for element in ids:
        if element.get("IdType") == "doi" and (doi := normalize_doi(element.text)):
            return doi
    if citation_article is not None:
        for element in citation_article.iterfind("ELocationID"):
            if element.get("EIdType") == "doi" and (doi := normalize_doi(element.text)):
                return doi
    return None


def _paper(record: ET.Element, source: str) -> Paper | None:
    citation = record.find("MedlineCitation")
    article = citation.find("Article") if citation is not None else None
    pmid = (citation.findtext("PMID") or "").strip() if citation is not None else ""
    if article is None or not pmid:
        return None
    doi = _doi(article, record.find("PubmedData"))
    url = f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/"
    published = _date(article.find("ArticleDate")) or _date(article.find("Journal/JournalIssue/PubDate"))
    return Paper(
        id=doi or url,
        title=_text(article.find("ArticleTitle")).removesuffix(".") or _text(article.find("VernacularTitle")),
        authors=[name for name in map(_author, article.iterfind("AuthorList/Author")) if name],
        abstract=_abstract(article),
        published=published,
        doi=doi,
        journal=_text(article.find("Journal/Title")) or None,
        url=url,
        source=source,
    )


def parse(data: bytes, source: str) -> list[Paper]:
    """Papers from an efetch `PubmedArticleSet` (pure)."""
    try:
        root = ET.fromstring(data.lstrip())
    except ET.ParseError as err:
        raise malformed_xml(err, data) from None
    if root.tag != "PubmedArticleSet":
        raise FeedError(f"PubMed: expected a PubmedArticleSet, got <{root.tag}>")
    return [p for p in (_paper(r, source) for r in root.iter("PubmedArticle")) if p is not None]


def parse_esearch(data: bytes) -> tuple[list[str], int]:
    """(PMIDs, total count) from an esearch answer, JSON or XML (pure)."""
    head = data.lstrip()[:1]
    if head == b"{":
        try:
            result = json.loads(data)["esearchresult"]
        except (ValueError, KeyError, TypeError):
            raise FeedError("PubMed: the esearch answer is not E-utilities JSON") from None
        if "ERROR" in result:
            raise FeedError(f"PubMed refused the search: {result['ERROR']}")
        return [str(i) for i in result.get("idlist", [])], int(result.get("count") or 0)
    try:
        root = ET.fromstring(data.lstrip())
    except ET.ParseError as err:
        raise malformed_xml(err, data) from None
    ids = [(i.text or "").strip() for i in root.iterfind("IdList/Id")]
    return [i for i in ids if i], int(root.findtext("Count") or 0)


def fetch(query: str, options: ApiOptions, source: str) -> list[Paper]:
    """PMIDs entered in the window, then their records in batches, within NCBI's rate limit (I/O)."""
    base = options.base("pubmed")
    limiter = RateLimiter(0.1 if options.ncbi_api_key else 0.34, options.sleep, options.clock)
    polite: dict[str, object] = {"tool": "academichub", "email": options.contact_email}
    polite["api_key"] = options.ncbi_api_key
    since, until = options.window()
    search: dict[str, object] = {"db": "pubmed", "term": query, "datetype": "edat", "retmode": "json"}
    search |= {"mindate": since.strftime("%Y/%m/%d"), "maxdate": until.strftime("%Y/%m/%d")}
    search |= {"retmax": options.max_papers} | polite
    limiter.wait()
    ids, _count = parse_esearch(get(f"{base}/esearch.fcgi?{query_string(search)}", options))
    batches = [ids[i : i + BATCH] for i in range(0, len(ids), BATCH)]

    def page() -> list[Paper] | None:
        if not batches:
            return None
        params = {"db": "pubmed", "id": ",".join(batches.pop(0)), "retmode": "xml", **polite}
        limiter.wait()
        return parse(get(f"{base}/efetch.fcgi?{query_string(params)}", options), source)

    return collect_pages(page, f"PubMed `{query}`", options.max_papers)
