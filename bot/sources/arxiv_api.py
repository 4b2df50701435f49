"""The arXiv API (export.arxiv.org/api/query): a pure Atom parser and a rate-limited live client."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from urllib.parse import urlencode

import requests
import tenacity

from bot.ids import abs_url, normalize_doi, pdf_url, split_arxiv_id
from bot.models import Paper
from bot.sources.arxiv_rss import clean
from bot.sources.base import USER_AGENT, FeedError, SourceUnavailable, malformed_xml
from bot.sources.http import retry_after_seconds
from bot.sources.latex import decode_latex

log = logging.getLogger(__name__)

_ATOM = "{http://www.w3.org/2005/Atom}"
_ARXIV = "{http://arxiv.org/schemas/atom}"
ARXIV_INTERVAL = 3.0  # arXiv's API terms: at most one request every three seconds
_RETRY_STATUSES = frozenset({429, 503})
_PAGE_MAX = 2000  # the API's largest page


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


class _Busy(Exception):
    """arXiv answered 429/503: worth another try after `wait` seconds (None: back off)."""

    def __init__(self, status: int, wait: float | None) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.wait = wait


def query_url(api_url: str, args: dict[str, str]) -> str:
    """The API URL for one page; parameters as the arXiv API user manual names them."""
    return f"{api_url}?{urlencode(args)}"


class ArxivClient:
    """Search the arXiv API, one request per interval across the process, retrying 429/503.

    The requests are made here rather than through the `arxiv` package's Client: that client
    has no public way to set the User-Agent or a shared rate limit, and its retries ignore
    Retry-After. Its Atom parsing is replaced by `parse_api_atom`, which the fixtures test.
    """

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
        self.timeout = timeout
        self.user_agent = user_agent
        self.max_retries = max_retries
        self.max_wait = max_wait
        self._limiter = limiter or ARXIV_LIMITER
        self._session = requests.Session()
        self._retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(_Busy),
            stop=tenacity.stop_after_attempt(max_retries + 1),
            wait=self._wait_before_retry,
            sleep=sleep,
            before_sleep=self._log_retry,
            reraise=True,
        )

    def search(self, query: str, max_results: int = 25) -> list[Paper]:
        """Papers matching an arXiv API query such as `au:Grohs AND cat:cs.LG`."""
        return self._run({"search_query": query}, max_results)

    def by_ids(self, ids: list[str]) -> list[Paper]:
        """The papers with these arXiv ids (versioned or not), in the API's order."""
        if not ids:
            return []
        return self._run({"id_list": ",".join(ids)}, len(ids))

    def _run(self, args: dict[str, str], max_results: int) -> list[Paper]:
        papers: list[Paper] = []
        while len(papers) < max_results:  # the API serves at most 2000 entries a page
            size = min(max_results - len(papers), _PAGE_MAX)
            page_args = {**args, "sortBy": "relevance", "sortOrder": "descending"}
            page_args.update(start=str(len(papers)), max_results=str(size))
            try:
                page = self._retrying(self._fetch_page, query_url(self.api_url, page_args))
            except _Busy as busy:
                raise SourceUnavailable(
                    f"the arXiv API is busy (HTTP {busy.status}) after {self.max_retries + 1} tries; "
                    "try again later"
                ) from None
            papers += page
            if len(page) < size:
                break
        return papers

    def _fetch_page(self, url: str) -> list[Paper]:
        """One request: the page's papers, _Busy on 429/503, FeedError/SourceUnavailable otherwise."""
        self._limiter.wait()
        try:
            response = self._session.get(url, headers={"User-Agent": self.user_agent}, timeout=self.timeout)
        except requests.Timeout:
            raise SourceUnavailable(f"the arXiv API timed out after {self.timeout:g} s") from None
        except requests.RequestException as err:
            log.warning("arXiv API request failed: %r", err)
            raise SourceUnavailable(
                f"the arXiv API at {self.api_url} is unreachable; check the network or "
                "ACADEMICHUB_ARXIV_API_URL"
            ) from None
        if response.status_code == 200:
            return parse_api_atom(response.content, self.api_url)
        reason = api_error_message(response.content)
        if reason:
            raise FeedError(f"the arXiv API rejected the request: {reason}")
        if response.status_code in _RETRY_STATUSES:
            raise _Busy(response.status_code, retry_after_seconds(response.headers.get("Retry-After")))
        raise SourceUnavailable(f"HTTP {response.status_code} from the arXiv API at {self.api_url}")

    def _wait_before_retry(self, state: tenacity.RetryCallState) -> float:
        """The server's Retry-After when it sent one, else 2, 4, 8 … s; never above max_wait."""
        busy = state.outcome.exception() if state.outcome else None
        told = busy.wait if isinstance(busy, _Busy) else None
        backoff = 2.0 * 2 ** (state.attempt_number - 1)
        return min(told if told is not None else backoff, self.max_wait)

    def _log_retry(self, state: tenacity.RetryCallState) -> None:
        busy = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        log.info("arXiv API answered %s; retrying in %.1f s", busy, wait)
