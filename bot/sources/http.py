"""Fetching a source's bytes: http(s) with timeout, conditional GET and retries; files and file:// URLs."""

from __future__ import annotations

import datetime as dt
import gzip
import http.client
import logging
import socket
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

from bot.sources.base import USER_AGENT, FeedError, SourceUnavailable

log = logging.getLogger(__name__)

_RETRY_STATUSES = frozenset({429, 502, 503, 504})


@dataclass(slots=True)
class FetchResult:
    """What one fetch got; `data` is None when the server said 304 Not Modified."""

    data: bytes | None
    etag: str | None = None
    last_modified: str | None = None
    status: int = 200
    content_type: str | None = None


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


def _decode_body(body: bytes, encoding: str | None) -> bytes:
    """Undo Content-Encoding; a server that claims gzip but sends plain bytes is believed last."""
    if not encoding or encoding.lower() == "identity":
        return body
    try:
        if encoding.lower() in ("gzip", "x-gzip"):
            return gzip.decompress(body)
        if encoding.lower() == "deflate":
            return zlib.decompress(body)
    except (OSError, zlib.error, EOFError):
        log.warning("body claimed Content-Encoding %s but was not; using it as sent", encoding)
    return body


def _network_error(err: BaseException, url: str, timeout: float) -> SourceUnavailable:
    """One sentence for a network failure."""
    host = urlsplit(url).hostname or url
    reason = err.reason if isinstance(err, urllib.error.URLError) else err
    if isinstance(reason, TimeoutError):
        return SourceUnavailable(f"timed out after {timeout:g} s waiting for {url}")
    if isinstance(reason, ConnectionRefusedError):
        return SourceUnavailable(f"connection refused by {host} ({url})")
    if isinstance(reason, socket.gaierror):
        return SourceUnavailable(f"unknown host {host}: check the URL {url}")
    if isinstance(reason, http.client.IncompleteRead):
        return SourceUnavailable(f"the connection to {host} closed before the whole feed arrived")
    return SourceUnavailable(f"could not fetch {url}: {reason}")


def _request(
    url: str, user_agent: str, etag: str | None, last_modified: str | None
) -> urllib.request.Request:
    headers = {"User-Agent": user_agent, "Accept-Encoding": "gzip"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return urllib.request.Request(url, headers=headers)


def _result(status: int, headers: Message, body: bytes | None) -> FetchResult:
    return FetchResult(
        data=body,
        etag=headers.get("ETag"),
        last_modified=headers.get("Last-Modified"),
        status=status,
        content_type=headers.get("Content-Type"),
    )


def _get_once(request: urllib.request.Request, timeout: float) -> FetchResult:
    """One GET; HTTPError (4xx/5xx) propagates for the caller to judge."""
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = _decode_body(response.read(), response.headers.get("Content-Encoding"))
            return _result(response.status, response.headers, body)
    except urllib.error.HTTPError as err:
        if err.code == 304:
            return _result(304, err.headers, None)
        raise


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
) -> FetchResult:
    """Fetch a URL or read a file; conditional GET, timeout, and retries on 429/503 honouring Retry-After."""
    scheme = urlsplit(url_or_path).scheme.lower()
    if scheme not in ("http", "https"):
        if scheme and scheme != "file" and len(scheme) > 1:  # one letter: a Windows drive
            raise FeedError(f"unsupported URL scheme {scheme}: use http(s)://, file:// or a path")
        return _read_file(url_or_path)
    request = _request(url_or_path, user_agent, etag, last_modified)
    for attempt in range(retries + 1):
        try:
            return _get_once(request, timeout)
        except urllib.error.HTTPError as err:
            if err.code not in _RETRY_STATUSES or attempt >= retries:
                raise SourceUnavailable(f"HTTP {err.code} from {url_or_path}") from None
            wait = retry_after_seconds(err.headers.get("Retry-After"))
            wait = min(wait if wait is not None else 1.0 * 2**attempt, max_wait)
            log.info("HTTP %s from %s; retrying in %.1f s", err.code, url_or_path, wait)
            sleep(wait)
        except (urllib.error.URLError, OSError, http.client.HTTPException) as err:
            raise _network_error(err, url_or_path, timeout) from None
    raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover
