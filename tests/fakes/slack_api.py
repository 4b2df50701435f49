"""A real local HTTP stand-in for Slack: the Web API, file uploads and response_url posts.

It answers like Slack (`{"ok": true, …}`, `ts` values, `channel`), keeps every message per
channel so that conversations.history / conversations.replies answer from them (metadata only
with `include_all_metadata`), enforces Block Kit's limits, and misbehaves on demand: 429 with
Retry-After, or a connection dropped after Slack has stored a message (a crash mid-post).
Every call is recorded with its parsed arguments, for tests to read.
"""

from __future__ import annotations

import itertools
import json
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

BOT_USER = "U0BOT"
BOT_ID = "B0BOT"


@dataclass(slots=True, frozen=True)
class ApiCall:
    method: str
    args: dict[str, Any]
    token: str | None
    at: float


@dataclass(slots=True)
class Faults:
    rate_limited: int = 0  # the next N API calls answer 429
    retry_after: int = 1
    rate_limited_method: str | None = None  # only calls to this method, when set
    posts_before_crash: int | None = None  # chat.postMessage calls answered before the "crash"
    sticky: bool = True  # after the crash every request is dropped unanswered (the poster is gone)
    latency: float = 0.0  # seconds each Web API call takes (the network and Slack), calls in parallel
    crashed: bool = False


@dataclass(slots=True)
class State:
    calls: list[ApiCall] = field(default_factory=list)
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    ephemeral: list[dict[str, Any]] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)  # response_url posts
    uploads: dict[str, bytes] = field(default_factory=dict)
    files: list[dict[str, Any]] = field(default_factory=list)  # completed uploads
    channel_names: dict[str, str] = field(default_factory=dict)
    outside: set[str] = field(default_factory=set)  # channels the bot has not joined (history refused)
    admins: set[str] = field(default_factory=set)  # users.info says is_admin for these users
    users: dict[str, dict[str, Any]] = field(default_factory=dict)  # users.info objects by id
    gone: dict[str, str] = field(default_factory=dict)  # member -> Slack's error (user_not_found …)


def _truthy(value: Any) -> bool:
    return value in (True, 1, "1", "true", "True")


def block_problem(blocks: Any) -> str | None:
    """What Slack would reject in these blocks (its documented limits), or None."""
    if not isinstance(blocks, list) or len(blocks) > 50:
        return "no more than 50 items allowed [json-pointer:/blocks]"
    for i, block in enumerate(blocks):
        text = (block.get("text") or {}).get("text", "")
        if block.get("type") == "header" and len(text) > 150:
            return f"must be less than 151 characters [json-pointer:/blocks/{i}/text]"
        if block.get("type") == "section" and len(text) > 3000:
            return f"must be less than 3001 characters [json-pointer:/blocks/{i}/text]"
        for element in block.get("elements") or []:
            if element.get("type") == "button" and len((element.get("text") or {}).get("text", "")) > 75:
                return f"must be less than 76 characters [json-pointer:/blocks/{i}/elements]"
    return None


class FakeSlack:
    """The stand-in; use as a context manager. `url` is the Web API base (SLACK_API_URL)."""

    def __init__(self, team_id: str = "T0LAB") -> None:
        self.team_id = team_id
        self.state = State()
        self.faults = Faults()
        self.lock = threading.Condition()
        self.oauth_answer: dict[str, Any] | None = None  # what oauth.v2.access returns
        self._ts = itertools.count(1)
        self._files = itertools.count(1)
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    # --- lifecycle ------------------------------------------------------------------------
    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def url(self) -> str:
        return f"{self.base}/api/"

    def response_url(self, name: str = "cmd") -> str:
        return f"{self.base}/respond/{name}"

    def __enter__(self) -> FakeSlack:
        self._thread.start()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- faults ---------------------------------------------------------------------------
    def rate_limit(self, calls: int, retry_after: int = 1, method: str | None = None) -> None:
        """The next `calls` API calls (to `method`, if given) answer HTTP 429 with Retry-After."""
        with self.lock:
            self.faults.rate_limited = calls
            self.faults.retry_after = retry_after
            self.faults.rate_limited_method = method

    def crash_after_posts(self, answered: int, sticky: bool = True) -> None:
        """Answer `answered` chat.postMessage calls, store the next one and drop its answer.

        `sticky`: every later request is dropped too (the network or the process is gone);
        otherwise only that one answer is lost.
        """
        with self.lock:
            self.faults.posts_before_crash = answered
            self.faults.sticky = sticky

    def recover(self) -> None:
        with self.lock:
            self.faults = Faults()

    # --- reading --------------------------------------------------------------------------
    def calls_to(self, method: str) -> list[ApiCall]:
        with self.lock:
            return [c for c in self.state.calls if c.method == method]

    def messages(self, channel: str) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.state.messages.get(channel, []))

    def wait_for(self, predicate: Callable[[State], bool], timeout: float = 10.0) -> State:
        """Block until `predicate(state)` holds (the app answers in background tasks)."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while not predicate(self.state):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"the Slack stand-in did not see what was expected in {timeout} s")
                self.lock.wait(left)
            return self.state

    def wait_responses(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        self.wait_for(lambda s: len(s.responses) >= count, timeout)
        with self.lock:
            return list(self.state.responses)

    # --- Web API methods ------------------------------------------------------------------
    def next_ts(self) -> str:
        return f"{1781600000 + next(self._ts)}.{next(self._ts):06d}"

    def api(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        handler = getattr(self, "m_" + method.replace(".", "_"), None)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        result: dict[str, Any] = handler(args)
        return result

    def m_auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://lab.slack.com/",
            "team": "lab",
            "user": "academichub",
            "team_id": self.team_id,
            "user_id": BOT_USER,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def m_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel") or "")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if channel.startswith("D") and (gone := self.state.gone.get("U" + channel[1:])):
            return {"ok": False, "error": gone}  # a DM with a member who has left
        blocks = _json_arg(args.get("blocks"))
        if blocks is not None and (problem := block_problem(blocks)):
            return {"ok": False, "error": "invalid_blocks", "response_metadata": {"messages": [problem]}}
        if not args.get("text") and not blocks:
            return {"ok": False, "error": "no_text"}
        message = {"type": "message", "user": BOT_USER, "bot_id": BOT_ID, "text": args.get("text", "")}
        message["ts"] = self.next_ts()
        if blocks is not None:
            message["blocks"] = blocks
        if args.get("thread_ts"):
            message["thread_ts"] = str(args["thread_ts"])
        if (meta := _json_arg(args.get("metadata"))) is not None:
            message["metadata"] = meta
        self.state.messages.setdefault(channel, []).append(message)
        return {"ok": True, "channel": channel, "ts": message["ts"], "message": message}

    def m_chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        self.state.ephemeral.append(dict(args))
        return {"ok": True, "message_ts": self.next_ts()}

    def m_users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        """users.info as Slack answers it (the fields the app reads: is_admin, is_owner, tz); a
        member added with add_user as described there, one who left with Slack's error."""
        user = str(args.get("user") or "")
        if not user or user in self.state.gone:
            return {"ok": False, "error": self.state.gone.get(user, "user_not_found")}
        known = self.state.users.get(user) or {
            "id": user,
            "team_id": self.team_id,
            "is_owner": False,
            "tz": "UTC",
        }
        return {"ok": True, "user": known | {"is_admin": user in self.state.admins, "is_owner": False}}

    def add_user(self, user: str, tz: str = "America/Los_Angeles", name: str = "someone") -> None:
        """A workspace member with the users.info fields the app reads (no fixture holds a users.info
        answer; the field names and the tz / tz_offset pair are those of Slack's user object)."""
        offset = {"America/Los_Angeles": -25200, "Europe/Vienna": 7200, "Asia/Shanghai": 28800}.get(tz, 0)
        self.state.users[user] = {
            "id": user, "team_id": self.team_id, "name": name, "deleted": False, "real_name": name,
            "tz": tz, "tz_label": tz, "tz_offset": offset, "is_bot": False, "is_admin": False,
            "profile": {"real_name": name, "display_name": name},
        }  # fmt: skip

    def remove_user(self, user: str, error: str = "user_not_found") -> None:
        """The member leaves: Slack answers `error` for them from now on."""
        self.state.gone[user] = error

    def m_conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        user = str(args.get("users") or "").split(",")[0]
        if user in self.state.gone:
            return {"ok": False, "error": self.state.gone[user]}
        return {"ok": True, "channel": {"id": "D" + user.lstrip("U")}}

    def m_conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel") or "")
        name = self.state.channel_names.get(channel)
        if name is None:
            return {"ok": False, "error": "channel_not_found"}
        return {"ok": True, "channel": {"id": channel, "name": name, "is_channel": True}}

    def m_conversations_join(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel") or "")
        self.state.outside.discard(channel)
        return {"ok": True, "channel": {"id": channel, "is_member": True}}

    def m_conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        if str(args.get("channel")) in self.state.outside:
            return {"ok": False, "error": "not_in_channel"}
        msgs = self.state.messages.get(str(args.get("channel")), [])
        top = [m for m in reversed(msgs) if m.get("thread_ts") in (None, m["ts"])]  # newest first
        return self._page(top, args)

    def m_conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        if str(args.get("channel")) in self.state.outside:
            return {"ok": False, "error": "not_in_channel"}
        ts = str(args.get("ts"))
        msgs = self.state.messages.get(str(args.get("channel")), [])
        thread = [m for m in msgs if m["ts"] == ts or m.get("thread_ts") == ts]
        if not thread:
            return {"ok": False, "error": "thread_not_found"}
        return self._page(thread, args)

    def _page(self, msgs: list[dict[str, Any]], args: dict[str, Any]) -> dict[str, Any]:
        start = int(args.get("cursor") or 0)
        limit = min(int(args.get("limit") or 100), 1000)
        page = msgs[start : start + limit]
        if not _truthy(args.get("include_all_metadata")):
            page = [{k: v for k, v in m.items() if k != "metadata"} for m in page]
        more = start + limit < len(msgs)
        out: dict[str, Any] = {"ok": True, "messages": page, "has_more": more}
        out["response_metadata"] = {"next_cursor": str(start + limit) if more else ""}
        return out

    def m_files_getUploadURLExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        file_id = f"F{next(self._files):010d}"
        self.state.uploads[file_id] = b""
        return {"ok": True, "upload_url": f"{self.base}/upload/v1/{file_id}", "file_id": file_id}

    def m_files_completeUploadExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        files = _json_arg(args.get("files")) or []
        done = []
        for f in files:
            if f.get("id") not in self.state.uploads:
                return {"ok": False, "error": "file_not_found"}
            entry = {"id": f["id"], "title": f.get("title"), "size": len(self.state.uploads[f["id"]])}
            done.append(entry | {"channel": args.get("channel_id"), "comment": args.get("initial_comment")})
        self.state.files.extend(done)
        return {"ok": True, "files": done}

    def m_oauth_v2_access(self, args: dict[str, Any]) -> dict[str, Any]:
        if self.oauth_answer is None or not args.get("code"):
            return {"ok": False, "error": "invalid_code"}
        return dict(self.oauth_answer)


def _json_arg(value: Any) -> Any:
    """Slack takes JSON-valued arguments as JSON bodies or as JSON strings in form fields."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return None
    return value


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # many poster threads connect at once; Slack does not refuse them
    block_on_close = False
    owner: FakeSlack

    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], BrokenPipeError | ConnectionResetError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _args(self, raw: bytes) -> dict[str, Any]:
        args: dict[str, Any] = dict(parse_qsl(urlsplit(self.path).query))
        ctype = self.headers.get("Content-Type", "")
        if "json" in ctype and raw:
            args.update(json.loads(raw))
        elif raw:
            args.update(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
        return args

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        ctype = "text/plain" if isinstance(payload, bytes) else "application/json; charset=utf-8"
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _drop(self) -> None:
        """Close the connection without an answer: to the client, the request's fate is unknown."""
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)

    def do_GET(self) -> None:
        """Web API methods called with GET carry their arguments in the query (users.info)."""
        fake = self.server.owner
        parts = urlsplit(self.path)
        if not parts.path.startswith("/api/"):
            return self._send(404, {"ok": False, "error": "not_found"})
        with fake.lock:
            try:
                self._api(fake, parts.path.removeprefix("/api/"), parts.query.encode())
            finally:
                fake.lock.notify_all()

    def do_POST(self) -> None:
        fake = self.server.owner
        raw = self._body()
        path = urlsplit(self.path).path
        if fake.faults.latency and path.startswith("/api/"):
            time.sleep(fake.faults.latency)  # outside the lock: Slack answers calls in parallel
        with fake.lock:
            try:
                self._route(fake, path, raw)
            finally:
                fake.lock.notify_all()

    def _route(self, fake: FakeSlack, path: str, raw: bytes) -> None:
        if fake.faults.crashed:
            return self._drop()
        if path.startswith("/respond/"):
            fake.state.responses.append({"path": path, "at": time.monotonic(), **json.loads(raw or b"{}")})
            return self._send(200, b"ok")
        if path.startswith("/upload/v1/"):
            fake.state.uploads[path.rsplit("/", 1)[1]] = raw
            return self._send(200, f"OK - {len(raw)}".encode())
        if not path.startswith("/api/"):
            return self._send(404, {"ok": False, "error": "not_found"})
        self._api(fake, path.removeprefix("/api/"), raw)

    def _api(self, fake: FakeSlack, method: str, raw: bytes) -> None:
        args = self._args(raw)
        token = (self.headers.get("Authorization") or "").removeprefix("Bearer ") or args.get("token")
        fake.state.calls.append(ApiCall(method, args, token, time.monotonic()))
        if fake.faults.rate_limited > 0 and fake.faults.rate_limited_method in (None, method):
            fake.faults.rate_limited -= 1
            retry = {"Retry-After": str(fake.faults.retry_after)}
            return self._send(429, {"ok": False, "error": "ratelimited"}, retry)
        result = fake.api(method, args)
        limit = fake.faults.posts_before_crash
        if method == "chat.postMessage" and limit is not None and result.get("ok"):
            if limit <= 0:  # Slack has the message, but its answer never arrives
                fake.faults.crashed = fake.faults.sticky
                fake.faults.posts_before_crash = None
                return self._drop()
            fake.faults.posts_before_crash = limit - 1
        self._send(200, result)
