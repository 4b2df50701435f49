"""A real local HTTP server that misbehaves the ways a hostile or broken feed host does.

Paths:
  /endless        200, no Content-Length, 64 KiB of XML-ish bytes forever (until the client hangs up)
  /trickle        200, one byte every `trickle_interval` seconds, forever
  /huge           200, `huge_bytes` bytes with an honest Content-Length
  /bomb           200, Content-Encoding: gzip, a gzip of `bomb_bytes` zero bytes (1 GiB by default,
                  about 1 MiB on the wire)
  /bomb.gz        the same gzip bytes without Content-Encoding (a .gz file served as such)
Each answer counts the bytes it managed to send (`sent[path]`).
"""

from __future__ import annotations

import contextlib
import gzip
import threading
import time
from collections import Counter
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

_BLOCK = (b"<item><title>again</title></item>\n" * 2048)[: 64 * 1024]


@lru_cache(maxsize=2)
def gzip_bomb(size: int) -> bytes:
    """A gzip file of `size` zero bytes (about 1 MiB per GiB): one 1 MiB member repeated, which
    `gzip -d` reads as one file; compressing a whole GiB would take seconds of each test run."""
    member = gzip.compress(bytes(1 << 20), compresslevel=9, mtime=0)
    return member * (size >> 20) + gzip.compress(bytes(size & ((1 << 20) - 1)), mtime=0)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    owner: HostileServer

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # every client here is meant to hang up on us


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        owner = self.server.owner
        route = {
            "/endless": self._endless,
            "/trickle": self._trickle,
            "/huge": self._huge,
            "/bomb": lambda: self._bomb(encoded=True),
            "/bomb.gz": lambda: self._bomb(encoded=False),
        }.get(self.path)
        if route is None:
            self.send_error(404)
            return
        owner.hits[self.path] += 1
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            route()
        self.close_connection = True

    def _head(self, length: int | None, headers: dict[str, str] | None = None) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        if length is not None:
            self.send_header("Content-Length", str(length))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Connection", "close")
        self.end_headers()

    def _write(self, data: bytes) -> None:
        self.wfile.write(data)
        self.server.owner.count(self.path, len(data))

    def _endless(self) -> None:
        self._head(None)
        self._write(b'<?xml version="1.0"?><rss><channel>')
        while not self.server.owner.stopping.is_set():
            self._write(_BLOCK)

    def _trickle(self) -> None:
        self._head(None)
        owner = self.server.owner
        while not owner.stopping.wait(owner.trickle_interval):
            self._write(b"<")
            self.wfile.flush()

    def _huge(self) -> None:
        size = self.server.owner.huge_bytes
        self._head(size)
        sent = 0
        while sent < size:
            block = _BLOCK[: size - sent]
            self._write(block)
            sent += len(block)

    def _bomb(self, encoded: bool) -> None:
        body = gzip_bomb(self.server.owner.bomb_bytes)
        self._head(len(body), {"Content-Encoding": "gzip"} if encoded else None)
        for at in range(0, len(body), 64 * 1024):
            self._write(body[at : at + 64 * 1024])


class HostileServer:
    """A threaded server on 127.0.0.1 (a free port); a context manager."""

    def __init__(
        self, *, trickle_interval: float = 1.0, huge_bytes: int = 200_000_000, bomb_bytes: int = 1 << 30
    ) -> None:
        self.trickle_interval = trickle_interval
        self.huge_bytes = huge_bytes
        self.bomb_bytes = bomb_bytes
        self.hits: Counter[str] = Counter()
        self.sent: Counter[str] = Counter()
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    def url(self, path: str) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/{path.lstrip('/')}"

    def count(self, path: str, n: int) -> None:
        with self._lock:
            self.sent[path] += n

    def __enter__(self) -> HostileServer:
        gzip_bomb(self.bomb_bytes)  # made before the clock of any test starts
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        time.sleep(0)  # let handler threads see `stopping`
