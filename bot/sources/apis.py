"""Source kinds served by scholarly APIs (`biorxiv:`, `medrxiv:`, `pubmed:`, `crossref:`, `openalex:`).

`parse_source_spec` turns the text of a `[[sources]]` url, `fetch --source` or `feed:` rule into a
checked `SourceSpec` (pure); bot.sources.scholarly reads it page by page (I/O, through bot.sources.http).
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeVar
from urllib.parse import quote, urlencode

from bot.sources.base import USER_AGENT, FeedError, SourceUnavailable

if TYPE_CHECKING:
    from bot.config import Settings

T = TypeVar("T")
ApiKind = Literal["biorxiv", "medrxiv", "pubmed", "crossref", "openalex"]
API_KINDS: tuple[ApiKind, ...] = ("biorxiv", "medrxiv", "pubmed", "crossref", "openalex")
DEFAULT_BASE_URLS: dict[str, str] = {
    "biorxiv": "https://api.biorxiv.org",
    "medrxiv": "https://api.biorxiv.org",
    "pubmed": "https://eutils.ncbi.nlm.nih.gov/entrez/eutils",
    "crossref": "https://api.crossref.org",
    "openalex": "https://api.openalex.org",
}

_ISSN_RE = re.compile(r"(\d{4})-?(\d{3}[\dXx])")
_ORCID_RE = re.compile(r"(?:https?://orcid\.org/)?(\d{4}-\d{4}-\d{4}-\d{3}[\dXx])", re.IGNORECASE)
_OPENALEX_AUTHOR_RE = re.compile(r"(?:https?://openalex\.org/)?([Aa]\d{4,12})")


class SourceSpecError(FeedError):
    """A source line that names no valid source (a wrong ISSN, an unknown subject, an empty query)."""


class IncompleteSource(SourceUnavailable):
    """Some pages arrived before the source failed; `papers` holds what did arrive."""

    def __init__(self, message: str, papers: list[Any]) -> None:
        super().__init__(message)
        self.papers = papers  # Papers once the source module has turned its rows into them


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """One API source: its kind and its argument (subject, query, ISSN, `author:ID` …)."""

    kind: ApiKind
    value: str = ""  # the subject (biorxiv/medrxiv), the query (pubmed), the ISSN (crossref)
    scope: str | None = None  # openalex: "author" | "source"

    @property
    def text(self) -> str:
        """The canonical text of the source (what papers carry as their `source`)."""
        if self.kind == "openalex":
            return f"openalex:{self.scope}:{self.value}"
        return f"{self.kind}:{self.value}" if self.value else self.kind


@dataclass(slots=True)
class ApiOptions:
    """How to be polite to the APIs, and which window of dates to ask for."""

    timeout: float = 20.0
    contact_email: str | None = None
    ncbi_api_key: str | None = None
    base_urls: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_BASE_URLS))
    since: dt.date | None = None
    until: dt.date | None = None
    lookback_days: int = 7
    max_papers: int = 1000
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic  # what pacing measures gaps with; tests pass a fake

    @property
    def user_agent(self) -> str:
        """Crossref's and OpenAlex's polite pools want a contact in the User-Agent."""
        if self.contact_email:
            return f"{USER_AGENT[:-1]}; mailto:{self.contact_email})"
        return USER_AGENT

    def window(self) -> tuple[dt.date, dt.date]:
        """The dates to ask for: since the last fetch (or `lookback_days`), through today."""
        until = self.until or dt.datetime.now(dt.UTC).date()
        since = self.since or until - dt.timedelta(days=self.lookback_days)
        return min(since, until), until

    @classmethod
    def from_settings(cls, settings: Settings) -> ApiOptions:
        """The options the settings ask for (contact address, NCBI key, API base URLs)."""
        key = settings.ncbi_api_key.get_secret_value() if settings.ncbi_api_key else None
        bases = {
            "biorxiv": settings.biorxiv_api_url,
            "medrxiv": settings.biorxiv_api_url,
            "pubmed": settings.pubmed_api_url,
            "crossref": settings.crossref_api_url,
            "openalex": settings.openalex_api_url,
        }
        return cls(
            timeout=settings.http_timeout,
            contact_email=settings.contact_email,
            ncbi_api_key=key,
            base_urls=bases,
        )

    def base(self, kind: str) -> str:
        return self.base_urls.get(kind, DEFAULT_BASE_URLS[kind]).rstrip("/")


class RateLimiter:
    """At most one request per `interval` seconds (NCBI: 3 a second, 10 with an API key)."""

    def __init__(
        self,
        interval: float,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval = interval
        self.sleep = sleep
        self.clock = clock
        self._last: float | None = None
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = self.clock()
            if self._last is not None and now - self._last < self.interval:
                self.sleep(self.interval - (now - self._last))
            self._last = self.clock()


def get(url: str, options: ApiOptions) -> bytes:
    """One GET through the shared fetcher (timeout, 429/503 back-off honouring Retry-After)."""
    from bot.sources.http import fetch  # late: http imports this package

    result = fetch(url, timeout=options.timeout, user_agent=options.user_agent, sleep=options.sleep)
    return result.data or b""


def query_string(params: Mapping[str, object]) -> str:
    """URL parameters, skipping empty ones; `:` `,` `|` kept readable (OpenAlex filters use them)."""
    return urlencode({k: v for k, v in params.items() if v not in (None, "")}, safe=":,|*/", quote_via=quote)


# ---- spec parsing ------------------------------------------------------------------------------


def valid_issn(text: str) -> str | None:
    """`1234-567X` when the text is an ISSN with a right check digit, else None."""
    m = _ISSN_RE.fullmatch(text.strip())
    if not m:
        return None
    digits = (m.group(1) + m.group(2)).upper()
    total = sum(int(d) * w for d, w in zip(digits[:7], range(8, 1, -1), strict=True))
    check = (11 - total % 11) % 11
    expected = "X" if check == 10 else str(check)
    return f"{digits[:4]}-{digits[4:]}" if digits[7] == expected else None


def valid_orcid(text: str) -> str | None:
    """The bare ORCID iD when the text is one (ISO 7064 11,2 check), else None."""
    m = _ORCID_RE.fullmatch(text.strip())
    if not m:
        return None
    orcid = m.group(1).upper()
    digits = orcid.replace("-", "")
    total = 0
    for d in digits[:-1]:
        total = (total + int(d)) * 2
    check = (12 - total % 11) % 11
    return orcid if digits[-1] == ("X" if check == 10 else str(check)) else None


def _issn_or_fail(value: str, kind: str) -> str:
    issn = valid_issn(value)
    if issn is None:
        what = "has a wrong check digit" if _ISSN_RE.fullmatch(value.strip()) else "is not an ISSN"
        raise SourceSpecError(f"{kind}: `{value[:40]}` {what}; write it like 0028-0836 (Nature)")
    return issn


def _subject(kind: ApiKind, value: str) -> str:
    from bot.sources.presets import subjects  # the subject lists are data, with the presets

    wanted = " ".join(value.replace("_", " ").replace("+", " ").split()).casefold()
    if not wanted:
        return ""
    known = subjects(kind)
    if wanted not in known:
        close = difflib.get_close_matches(wanted, known, n=1, cutoff=0.6)
        hint = f"did you mean {kind}:{close[0]}? " if close else ""
        raise SourceSpecError(
            f"{kind}: `{value[:40]}` is not a {kind} subject; {hint}`/papers sources` lists them"
        )
    return wanted


def _openalex(value: str) -> SourceSpec:
    scope, _, ident = value.partition(":")
    scope, ident = scope.strip().lower(), ident.strip()
    if scope == "author":
        orcid = valid_orcid(ident)
        m = _OPENALEX_AUTHOR_RE.fullmatch(ident)
        if orcid is None and m is None:
            raise SourceSpecError(
                f"openalex:author: `{ident[:40]}` is neither an OpenAlex author id (A5023888391) "
                "nor an ORCID iD (0000-0002-1825-0097)"
            )
        return SourceSpec("openalex", orcid or (m.group(1).upper() if m else ""), "author")
    if scope == "source":
        return SourceSpec("openalex", _issn_or_fail(ident, "openalex:source"), "source")
    raise SourceSpecError(
        "openalex: needs `author:ID`, `author:ORCID` or `source:ISSN`, e.g. openalex:source:1049-5258"
    )


def parse_source_spec(text: str) -> SourceSpec | None:
    """The API source a line names, None when it names none (a URL, a path, `arxiv:…`)."""
    kind, sep, value = text.strip().partition(":")
    kind = kind.lower()
    if kind not in API_KINDS or (sep and value.startswith("//")):
        return None
    value = value.strip()
    if kind in ("biorxiv", "medrxiv"):
        return SourceSpec(kind, _subject(kind, value))
    if kind == "pubmed":
        query = " ".join(value.split())
        if not query:
            raise SourceSpecError('pubmed: needs a search, e.g. pubmed:"deep learning"[tiab] AND radiology')
        return SourceSpec("pubmed", query)
    if kind == "crossref":
        return SourceSpec("crossref", _issn_or_fail(value, "crossref"))
    return _openalex(value)


# ---- fetching ----------------------------------------------------------------------------------


def collect_pages(pages: Callable[[], list[T] | None], what: str, limit: int) -> list[T]:
    """Call `pages` until it returns None or `limit` items are in; a failure keeps what arrived."""
    papers: list[T] = []
    while len(papers) < limit:
        try:
            page = pages()
        except SourceUnavailable as exc:
            if not papers:
                raise
            raise IncompleteSource(f"{exc} (after {len(papers)} records of {what})", papers) from None
        if page is None:
            break
        papers.extend(page)
    return papers
