"""The arXiv API (export.arxiv.org/api/query): a pure Atom parser and a rate-limited live client."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import arxiv
import requests

from bot.ids import abs_url, normalize_doi, pdf_url, split_arxiv_id
from bot.models import Paper
from bot.sources import FeedError, SourceUnavailable, malformed_xml
from bot.sources.arxiv_rss import clean
from bot.sources.http import USER_AGENT, retry_after_seconds
from bot.sources.latex import decode_latex

log = logging.getLogger(__name__)

_ATOM = "{http://www.w3.org/2005/Atom}"
_ARXIV = "{http://arxiv.org/schemas/atom}"
ARXIV_INTERVAL = 3.0  # arXiv's API terms: at most one request every three seconds
_RETRY_STATUSES = frozenset({429, 503})


def _date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00")).date()
    except ValueError:
        return None


def _first(items: list[str]) -> str | None:
    return items[0] if items else None


def _api_error(entry: ET.Element) -> str | None:
    """The API reports a bad request as a feed whose single entry is titled "Error"."""
    entry_id = entry.findtext(f"{_ATOM}id") or ""
    if clean(entry.findtext(f"{_ATOM}title")) != "Error" and "/api/errors" not in entry_id:
        return None
    return clean(entry.findtext(f"{_ATOM}summary")) or "unknown error"


def _entry_paper(entry: ET.Element, source: str) -> Paper | None:
    ident = split_arxiv_id(entry.findtext(f"{_ATOM}id") or "")
    if ident is None:
        return None
    arxiv_id, version = ident
    categories = [c.get("term", "") for c in entry.iter(f"{_ATOM}category") if c.get("term")]
    primary = entry.find(f"{_ARXIV}primary_category")
    authors = [clean(a.findtext(f"{_ATOM}name")) for a in entry.iter(f"{_ATOM}author")]
    comment = clean(entry.findtext(f"{_ARXIV}comment"))
    return Paper(
        id=arxiv_id,
        title=decode_latex(clean(entry.findtext(f"{_ATOM}title"))),
        authors=[decode_latex(a) for a in authors if a],
        abstract=decode_latex(clean(entry.findtext(f"{_ATOM}summary"))),
        categories=categories,
        primary_category=primary.get("term") if primary is not None else _first(categories),
        published=_date(entry.findtext(f"{_ATOM}published")),
        updated=_date(entry.findtext(f"{_ATOM}updated")),
        version=version,
        doi=normalize_doi(entry.findtext(f"{_ARXIV}doi")),
        journal_ref=clean(entry.findtext(f"{_ARXIV}journal_ref")) or None,
        comment=comment or None,
        url=abs_url(arxiv_id),
        pdf_url=pdf_url(arxiv_id),
        source=source,
    )


def api_error_message(data: bytes) -> str | None:
    """The message of an arXiv API error feed, or None when the bytes are not one."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError:
        return None
    for entry in root.iter(f"{_ATOM}entry"):
        reason = _api_error(entry)
        if reason is not None:
            return reason
    return None


def parse_api_atom(data: bytes, source: str) -> list[Paper]:
    """Parse an arXiv API Atom response (legacy or 2026 form); an error feed raises FeedError."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as err:
        raise malformed_xml(err, data) from None
    if root.tag != f"{_ATOM}feed":
        raise FeedError(f"not an arXiv API response: the root element is <{root.tag}>, not an Atom feed")
    papers = []
    for entry in root.iter(f"{_ATOM}entry"):
        reason = _api_error(entry)
        if reason is not None:
            raise FeedError(f"the arXiv API rejected the request: {reason}")
        paper = _entry_paper(entry, source)
        if paper is not None:
            papers.append(paper)
    return papers


class RateLimiter:
    """At most one call per `interval` seconds, across every thread that shares it."""

    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self._clock = clock
        self._lock = threading.Lock()
        self._last: float | None = None

    def wait(self) -> None:
        """Block until the next call is allowed, then claim it."""
        with self._lock:  # held while sleeping so that waiting callers queue up in order
            now = self._clock()
            if self._last is not None and now - self._last < self.interval:
                time.sleep(self.interval - (now - self._last))
            self._last = self._clock()


# One limiter for the whole process: arXiv counts requests per client machine, not per object.
ARXIV_LIMITER = RateLimiter(ARXIV_INTERVAL)


class _LimitedSession(requests.Session):
    """A requests session that waits for the limiter, names us, times out, and keeps the last reply."""

    def __init__(self, limiter: RateLimiter, user_agent: str, timeout: float) -> None:
        super().__init__()
        self.limiter = limiter
        self.user_agent = user_agent
        self.timeout = timeout
        self.last_response: requests.Response | None = None

    def request(self, method: str, url: Any, *args: Any, **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.get("headers") or {})
        headers["User-Agent"] = self.user_agent  # the arxiv package sends its own name otherwise
        kwargs["headers"] = headers
        kwargs.setdefault("timeout", self.timeout)
        self.limiter.wait()
        response = super().request(method, url, *args, **kwargs)
        self.last_response = response
        return response


def result_to_paper(result: arxiv.Result, source: str) -> Paper:
    """A Paper from an `arxiv.Result` (the package's parsed API entry)."""
    ident = split_arxiv_id(result.entry_id)
    if ident is None:
        raise FeedError(f"the arXiv API returned an entry without an arXiv id: {result.entry_id}")
    arxiv_id, version = ident
    return Paper(
        id=arxiv_id,
        title=decode_latex(clean(result.title)),
        authors=[decode_latex(clean(a.name)) for a in result.authors if a.name],
        abstract=decode_latex(clean(result.summary)),
        categories=list(result.categories),
        primary_category=result.primary_category or _first(result.categories),
        published=result.published.date() if result.published != dt.datetime.min else None,
        updated=result.updated.date() if result.updated != dt.datetime.min else None,
        version=version,
        doi=normalize_doi(result.doi),
        journal_ref=clean(result.journal_ref) or None,
        comment=clean(result.comment) or None,
        url=abs_url(arxiv_id),
        pdf_url=pdf_url(arxiv_id),
        source=source,
    )


class ArxivClient:
    """Search the arXiv API through the `arxiv` package, one request per interval, with retries."""

    def __init__(
        self,
        api_url: str,
        timeout: float,
        user_agent: str = USER_AGENT,
        *,
        limiter: RateLimiter | None = None,
        max_retries: int = 3,
        max_wait: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.api_url = api_url.rstrip("?")
        self.max_retries = max_retries
        self.max_wait = max_wait
        self._sleep = sleep
        self._session = _LimitedSession(limiter or ARXIV_LIMITER, user_agent, timeout)
        # The package retries without looking at Retry-After and keeps its own per-object delay;
        # both are turned off and done here, and its session is swapped for the rate-limited one.
        self._client = arxiv.Client(page_size=100, delay_seconds=0.0, num_retries=0)
        self._client.query_url_format = self.api_url + "?{}"
        self._client._session = self._session

    def search(self, query: str, max_results: int = 25) -> list[Paper]:
        """Papers matching an arXiv API query such as `au:Grohs AND cat:cs.LG`."""
        return self._run(arxiv.Search(query=query, max_results=max_results))

    def by_ids(self, ids: list[str]) -> list[Paper]:
        """The papers with these arXiv ids (versioned or not), in the API's order."""
        if not ids:
            return []
        return self._run(arxiv.Search(id_list=list(ids), max_results=len(ids)))

    def _run(self, search: arxiv.Search) -> list[Paper]:
        self._client.page_size = max(1, min(search.max_results or 100, 2000))
        for attempt in range(self.max_retries + 1):
            try:
                results = list(self._client.results(search))
            except arxiv.HTTPError as err:
                self._raise_or_wait(err.status, attempt)
                continue
            except arxiv.UnexpectedEmptyPageError:
                self._raise_or_wait(503, attempt)  # arXiv's known flaky empty page: worth a retry
                continue
            except requests.Timeout:
                raise SourceUnavailable(
                    f"the arXiv API timed out after {self._session.timeout:g} s"
                ) from None
            except requests.RequestException as err:
                log.warning("arXiv API request failed: %r", err)
                raise SourceUnavailable(
                    f"the arXiv API at {self.api_url} is unreachable; check the network or "
                    "ACADEMICHUB_ARXIV_API_URL"
                ) from None
            return self._papers(results)
        raise SourceUnavailable("the arXiv API is busy (HTTP 503/429); try again in a few minutes")

    def _papers(self, results: list[arxiv.Result]) -> list[Paper]:
        for result in results:
            if "/api/errors" in result.entry_id:  # an error feed answered with HTTP 200
                raise FeedError(f"the arXiv API rejected the request: {clean(result.summary)}")
        return [result_to_paper(r, self.api_url) for r in results]

    def _raise_or_wait(self, status: int, attempt: int) -> None:
        """Sleep before the next try on 429/503; raise for anything else or when out of tries."""
        response = self._session.last_response
        reason = api_error_message(response.content) if response is not None else None
        if reason:
            raise FeedError(f"the arXiv API rejected the request: {reason}")
        if status not in _RETRY_STATUSES:
            raise SourceUnavailable(f"HTTP {status} from the arXiv API at {self.api_url}")
        if attempt >= self.max_retries:
            raise SourceUnavailable(
                f"the arXiv API is busy (HTTP {status}) after {attempt + 1} tries; try again later"
            )
        header = response.headers.get("Retry-After") if response is not None else None
        wait = retry_after_seconds(header)
        wait = min(wait if wait is not None else 2.0 * 2**attempt, self.max_wait)
        log.info("arXiv API answered %s; retrying in %.1f s", status, wait)
        self._sleep(wait)
