"""Fetching a source's bytes: http(s) through httpx, streamed and bounded; files and file:// URLs.

Every http(s) fetch has three limits: ACADEMICHUB_HTTP_TIMEOUT per socket read, a deadline for
the whole fetch (retries and their waits included), and a cap on the bytes kept, counted after
decompression, so an endless, trickling, huge or gzip-bomb body fails in one line instead of
taking the host's memory or the scheduler's time.
"""

from __future__ import annotations

import datetime as dt
import logging
import socket
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from bot.sources.base import USER_AGENT, FeedError, SourceUnavailable

log = logging.getLogger(__name__)

_RETRY_STATUSES = frozenset({429, 502, 503, 504})
MAX_FEED_MB = 100
FETCH_DEADLINE = 180.0
_CHUNK = 64 * 1024
_GZIP_MAGIC = b"\x1f\x8b"


@dataclass(slots=True)
class FetchResult:
    """What one fetch got; `data` is None when the server said 304 Not Modified."""

    data: bytes | None
    etag: str | None = None
    last_modified: str | None = None
    status: int = 200
    content_type: str | None = None


class FetchLimitExceeded(SourceUnavailable):
    """A body too large or a fetch too slow; the message names the source and the limit."""


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


def _read_file(url_or_path: str) -> FetchResult:
    # Local files are the operator's own (snapshots of gigabytes): no size cap. Large ones are
    # streamed by the ingest itself (bot.ingest), which reads them without this function.
    path = Path(unquote(urlsplit(url_or_path).path)) if url_or_path.startswith("file:") else Path(url_or_path)
    try:
        data = path.expanduser().read_bytes()
    except FileNotFoundError:
        raise FeedError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise FeedError(f"not a file but a folder: {path}") from None
    except OSError as err:
        raise FeedError(f"cannot read {path}: {err.strerror or err}") from None
    return FetchResult(data=data, status=200)


class _Inflater:
    """Streaming gzip/zlib/deflate decoding that never makes more than `_CHUNK` bytes at a time,
    so a bomb is stopped at the cap instead of being expanded whole; concatenated gzip members
    (which `gzip` itself accepts) are followed."""

    def __init__(self, wbits: int) -> None:
        self.wbits = wbits
        self._d = zlib.decompressobj(wbits)

    def feed(self, data: bytes) -> Iterator[bytes]:
        while data:
            piece = self._d.decompress(data, _CHUNK)
            if piece:
                yield piece
            data = self._d.unconsumed_tail
            if self._d.eof:
                rest = self._d.unused_data
                self._d = zlib.decompressobj(self.wbits)
                data = rest if rest.lstrip(b"\0") else b""  # trailing zero padding is no member


def _inflater_for(encoding: str | None) -> _Inflater | None:
    name = (encoding or "").strip().lower()
    if name in ("gzip", "x-gzip"):
        return _Inflater(31)
    if name == "deflate":
        return _Inflater(15)  # zlib-wrapped, as RFC 9110 means
    return None


class _Body:
    """The decoded body, built chunk by chunk under the byte cap and the deadline."""

    def __init__(self, url: str, encoding: str | None, limits: _Limits) -> None:
        self.url = url
        self.limits = limits
        self.encoding = encoding
        self.inflater = _inflater_for(encoding)
        self.sniffed = False  # a .gz served without Content-Encoding is gunzipped as well
        self.inner: _Inflater | None = None
        self.out = bytearray()

    def add_raw(self, raw: bytes) -> None:
        self.limits.check_time(self.url)
        if self.inflater is None:
            self._add_decoded(raw)
            return
        try:
            for piece in self.inflater.feed(raw):
                self._add_decoded(piece)
        except zlib.error:
            if self.out or self.sniffed:
                raise SourceUnavailable(f"{self.url}: the {self.encoding} body is corrupt") from None
            # A server that claims compression but sends plain bytes is believed last.
            log.warning(
                "%s claimed Content-Encoding %s but was not; using it as sent", self.url, self.encoding
            )
            self.inflater = None
            self._add_decoded(raw)

    def _add_decoded(self, data: bytes) -> None:
        if not self.sniffed:
            self.sniffed = True
            if data[:2] == _GZIP_MAGIC:
                self.inner = _Inflater(31)
        pieces = self.inner.feed(data) if self.inner is not None else (data,)
        try:
            for piece in pieces:
                if len(self.out) + len(piece) > self.limits.max_bytes:  # checked before it is held
                    raise self.limits.too_large(self.url, "stopped reading it")
                self.out += piece
        except zlib.error:
            raise SourceUnavailable(f"{self.url}: the gzip file it serves is corrupt") from None


@dataclass(slots=True)
class _Limits:
    timeout: float
    max_bytes: int
    deadline: float  # seconds for the whole fetch
    started: float

    @property
    def max_mb(self) -> float:
        return self.max_bytes / 1_000_000

    def too_large(self, url: str, what_happened: str) -> FetchLimitExceeded:
        return FetchLimitExceeded(
            f"{url}: the feed is larger than {self.max_mb:g} MB once decompressed "
            f"(ACADEMICHUB_MAX_FEED_MB); {what_happened}"
        )

    def remaining(self) -> float:
        return self.deadline - (time.monotonic() - self.started)

    def check_time(self, url: str) -> None:
        if self.remaining() <= 0:
            raise FetchLimitExceeded(
                f"{url}: gave up after {self.deadline:g} s, the limit for a whole fetch "
                "(ACADEMICHUB_FETCH_DEADLINE); the server sends too slowly"
            )


class _RetryableStatus(Exception):
    def __init__(self, status: int, retry_after: float | None) -> None:
        super().__init__(status)
        self.status = status
        self.retry_after = retry_after


def _network_error(err: httpx.HTTPError, url: str, timeout: float) -> SourceUnavailable:
    """One sentence for a network failure."""
    host = urlsplit(url).hostname or url
    if isinstance(err, httpx.TimeoutException):
        return SourceUnavailable(f"timed out after {timeout:g} s waiting for {url}")
    if isinstance(err, httpx.RemoteProtocolError):
        return SourceUnavailable(f"the connection to {host} closed before the whole feed arrived")
    cause: BaseException | None = err
    while cause is not None:
        if isinstance(cause, ConnectionRefusedError) or "Connection refused" in str(cause):
            return SourceUnavailable(f"connection refused by {host} ({url})")
        if isinstance(cause, socket.gaierror) or "Name or service not known" in str(cause):
            return SourceUnavailable(f"unknown host {host}: check the URL {url}")
        cause = cause.__cause__ or cause.__context__
    return SourceUnavailable(f"could not fetch {url}: {err}")


def _headers(user_agent: str, etag: str | None, last_modified: str | None) -> dict[str, str]:
    headers = {"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


def _get_once(client: httpx.Client, url: str, headers: dict[str, str], limits: _Limits) -> FetchResult:
    """One streamed GET; 4xx/5xx become FeedError / SourceUnavailable, or a retry."""
    limits.check_time(url)
    with client.stream("GET", url, headers=headers) as response:
        if response.status_code == 304:
            return _result(response, None)
        if response.status_code in _RETRY_STATUSES:
            raise _RetryableStatus(
                response.status_code, retry_after_seconds(response.headers.get("Retry-After"))
            )
        if response.status_code >= 400:
            raise SourceUnavailable(f"HTTP {response.status_code} from {url}")
        encoding = response.headers.get("Content-Encoding")
        declared = _declared_length(response) if encoding is None else None  # else: compressed size
        if declared is not None and declared > limits.max_bytes:
            said = f"its Content-Length says {declared / 1_000_000:g} MB, so it was not read"
            raise limits.too_large(url, said)
        body = _Body(url, encoding, limits)
        for raw in response.iter_raw():  # as the bytes arrive: a chunk size would wait to fill it
            body.add_raw(raw)
        return _result(response, bytes(body.out))


def _declared_length(response: httpx.Response) -> int | None:
    """The Content-Length the server sent, when it is a number."""
    value = response.headers.get("Content-Length", "")
    return int(value) if value.isdigit() else None


def _result(response: httpx.Response, data: bytes | None) -> FetchResult:
    return FetchResult(
        data=data,
        etag=response.headers.get("ETag"),
        last_modified=response.headers.get("Last-Modified"),
        status=response.status_code,
        content_type=response.headers.get("Content-Type"),
    )


def fetch(
    url_or_path: str,
    *,
    timeout: float,
    user_agent: str = USER_AGENT,
    etag: str | None = None,
    last_modified: str | None = None,
    retries: int = 2,
    max_wait: float = 60.0,
    sleep: Callable[[float], None] = time.sleep,
    max_bytes: int = MAX_FEED_MB * 1_000_000,
    deadline: float = FETCH_DEADLINE,
) -> FetchResult:
    """Fetch a URL or read a file; conditional GET, `timeout` per read, `deadline` for the whole
    fetch, at most `max_bytes` after decompression, retries on 429/5xx honouring Retry-After."""
    scheme = urlsplit(url_or_path).scheme.lower()
    if scheme not in ("http", "https"):
        if scheme and scheme != "file" and len(scheme) > 1:  # one letter: a Windows drive
            raise FeedError(f"unsupported URL scheme {scheme}: use http(s)://, file:// or a path")
        return _read_file(url_or_path)
    limits = _Limits(timeout=timeout, max_bytes=max_bytes, deadline=deadline, started=time.monotonic())
    headers = _headers(user_agent, etag, last_modified)

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        asked = exc.retry_after if isinstance(exc, _RetryableStatus) else None
        seconds = asked if asked is not None else 1.0 * 2 ** (state.attempt_number - 1)
        seconds = min(seconds, max_wait, max(0.0, limits.remaining()))
        log.info("%s from %s; retrying in %.1f s", exc, url_or_path, seconds)
        return seconds

    retrying = Retrying(
        stop=stop_after_attempt(retries + 1),
        wait=wait,
        retry=retry_if_exception_type(_RetryableStatus),
        sleep=sleep,
        reraise=True,
    )
    with httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=True, max_redirects=5) as client:
        try:
            return retrying(_get_once, client, url_or_path, headers, limits)
        except _RetryableStatus as err:
            raise SourceUnavailable(f"HTTP {err.status} from {url_or_path}") from None
        except httpx.HTTPError as err:
            raise _network_error(err, url_or_path, timeout) from None
