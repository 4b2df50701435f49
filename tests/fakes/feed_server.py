"""A real local HTTP server standing in for arXiv and journal hosts.

Serves a folder (tests/fixtures by default) with ETag / Last-Modified / 304, plus
fixed bodies at chosen paths (e.g. /api/query), optionally only for chosen query parameters
(an API's pages: `cursor=50`, `id=…`), and injects failures per path:
503 + Retry-After for the first k requests, 404, slow answers, truncated bodies.
"""

from __future__ import annotations

import hashlib
import json
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import parse_qsl, urlsplit

from tests import FIXTURES


def fixtures_root() -> Path:
    """The captured fixtures the tests read (tests/fixtures)."""
    return FIXTURES


def recorded_body(path: Path) -> bytes:
    """The Atom body of an arxiv.py recording (`{"url", "status_code", "body"}`).

    The recordings stored UTF-8 bytes decoded as Latin-1 ("WÃ¼bben"), so encoding the text
    back to Latin-1 restores the bytes arXiv sent; a body that cannot be is already real text.
    """
    body = json.loads(path.read_text(encoding="utf-8"))["body"]
    try:
        return body.encode("latin-1")
    except UnicodeEncodeError:
        return body.encode("utf-8")


@dataclass(slots=True)
class Fault:
    """A misbehaviour for one path; `times` None means every request."""

    status: int | None = None
    retry_after: str | None = None
    delay: float = 0.0
    truncate: bool = False
    times: int | None = None


@dataclass(slots=True)
class Route:
    body: bytes
    status: int = 200
    content_type: str = "application/atom+xml; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True, frozen=True)
class RecordedRequest:
    path: str
    query: str
    headers: dict[str, str]
    at: float  # time.monotonic() when it arrived


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # a deliberately slow handler must not hold up stop()
    owner: FeedServer

    def handle_error(self, request: object, client_address: object) -> None:
        if isinstance(sys.exc_info()[1], BrokenPipeError | ConnectionResetError):
            return  # the client gave up first, as the timeout tests intend
        super().handle_error(request, client_address)  # type: ignore[arg-type]


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        owner = self.server.owner
        parts = urlsplit(self.path)
        owner._record(RecordedRequest(parts.path, parts.query, dict(self.headers.items()), time.monotonic()))
        fault = owner._take_fault(parts.path)
        if fault is not None and fault.delay:
            time.sleep(fault.delay)
        if fault is not None and fault.status is not None:
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            self._send(fault.status, f"injected {fault.status}\n".encode(), "text/plain", headers)
            return
        truncate = fault is not None and fault.truncate
        route = owner._find_route(parts.path, parts.query)
        if route is not None:
            self._send(route.status, route.body, route.content_type, route.headers, truncate)
            return
        self._serve_file(owner.root, parts.path, truncate)

    def _serve_file(self, root: Path, url_path: str, truncate: bool) -> None:
        path = (root / url_path.lstrip("/")).resolve()
        if not path.is_file() or root.resolve() not in path.parents:
            self._send(404, b"not found\n", "text/plain")
            return
        body = path.read_bytes()
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        mtime = int(path.stat().st_mtime)
        headers = {"ETag": etag, "Last-Modified": formatdate(mtime, usegmt=True)}
        if self._not_modified(etag, mtime):
            self._send(304, b"", None, headers)
            return
        self._send(200, body, "application/xml", headers, truncate)

    def _not_modified(self, etag: str, mtime: int) -> bool:
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            return etag in [tag.strip() for tag in if_none_match.split(",")] or if_none_match.strip() == "*"
        since = self.headers.get("If-Modified-Since")
        if since:
            try:
                return mtime <= parsedate_to_datetime(since).timestamp()
            except (TypeError, ValueError):
                return False
        return False

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str | None,
        headers: dict[str, str] | None = None,
        truncate: bool = False,
    ) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        if truncate:
            self.send_header("Connection", "close")
        self.end_headers()
        # A truncated answer promises the whole length, sends half, and hangs up.
        self.wfile.write(body[: len(body) // 2] if truncate else body)
        self.wfile.flush()
        if truncate:
            self.close_connection = True


class FeedServer:
    """A threaded HTTP server on 127.0.0.1 (free port) with injectable faults; a context manager."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or fixtures_root()
        self.routes: dict[str, Route] = {}
        self.query_routes: list[tuple[str, dict[str, str], Route]] = []
        self.requests: list[RecordedRequest] = []
        self._faults: dict[str, Fault] = {}
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, path: str) -> str:
        """The full URL of a path on this server."""
        return f"{self.base_url}/{path.lstrip('/')}"

    def route(
        self,
        path: str,
        body: bytes,
        *,
        status: int = 200,
        content_type: str = "application/atom+xml; charset=utf-8",
        headers: dict[str, str] | None = None,
        query: dict[str, str] | None = None,
    ) -> None:
        """Answer every GET of `path` with this body; with `query`, only GETs that carry those
        parameters (others in the query string are ignored), ahead of a route without one."""
        route = Route(body, status, content_type, dict(headers or {}))
        if query is None:
            self.routes["/" + path.lstrip("/")] = route
        else:
            self.query_routes.append(("/" + path.lstrip("/"), dict(query), route))

    def _find_route(self, path: str, query: str) -> Route | None:
        params = dict(parse_qsl(query, keep_blank_values=True))
        for route_path, wanted, route in self.query_routes:
            if route_path == path and all(params.get(k) == v for k, v in wanted.items()):
                return route
        return self.routes.get(path)

    def fail(
        self, path: str, status: int, *, times: int | None = None, retry_after: str | None = None
    ) -> None:
        """Answer `path` with `status` (for the first `times` requests, or always)."""
        self._set_fault(path, Fault(status=status, retry_after=retry_after, times=times))

    def slow(self, path: str, delay: float, *, times: int | None = None) -> None:
        """Wait `delay` seconds before answering `path`."""
        self._set_fault(path, Fault(delay=delay, times=times))

    def truncate(self, path: str, *, times: int | None = None) -> None:
        """Send only half of `path`'s body after promising all of it."""
        self._set_fault(path, Fault(truncate=True, times=times))

    def count(self, path: str) -> int:
        """How many requests `path` has had."""
        with self._lock:
            return self._counts["/" + path.lstrip("/")]

    def _set_fault(self, path: str, fault: Fault) -> None:
        with self._lock:
            self._faults["/" + path.lstrip("/")] = fault

    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            fault = self._faults.get(path)
            if fault is None or fault.times is None:
                return fault
            fault.times -= 1
            if fault.times <= 0:
                del self._faults[path]
            return fault

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)
            self._counts[request.path] += 1

    def start(self) -> FeedServer:
        """Start serving in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port."""
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FeedServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
