"""A local stand-in for Discord's REST API (v10), answering like Discord over loopback.

Runs an aiohttp server in its own thread (so synchronous posters and async bots can both use
it), keeps channels, threads and messages so history reads work, records every request
(method, path, query, JSON or multipart payload), and fails on demand. Objects are shaped on
the real payloads in tests/fixtures/platforms/discord/.
"""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from aiohttp import web

from tests.fakes.feed_server import fixtures_root

DISCORD_EPOCH_MS = 1420070400000
TOKEN = "test-token"
API = "/api/v10"


def fixture(name: str) -> Any:
    """A Discord fixture file, parsed."""
    path: Path = fixtures_root() / "platforms" / "discord" / name
    return json.loads(path.read_text(encoding="utf-8"))


@dataclass(slots=True)
class Recorded:
    """One request as the stand-in received it."""

    method: str
    path: str
    query: dict[str, str]
    json: Any = None
    files: dict[str, bytes] = field(default_factory=dict)
    status: int = 200

    @property
    def payload(self) -> dict[str, Any]:
        return self.json if isinstance(self.json, dict) else {}


@dataclass(slots=True)
class Fault:
    """Answer `status` to matching requests once `after` succeeded; with `keep`, store the message first."""

    method: str
    pattern: re.Pattern[str]
    status: int = 403
    after: int = 0
    times: int | None = None
    keep: bool = False
    seen: int = 0


def _json(data: Any, status: int = 200) -> web.Response:
    # Discord sends exactly `application/json` (no charset); discord.py checks for that string.
    return web.Response(
        status=status, body=json.dumps(data).encode(), headers={"Content-Type": "application/json"}
    )


class FakeDiscord:
    """Discord's REST API on 127.0.0.1: users, applications, channels, threads, messages, interactions."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.user = fixture("rest_current_user_docs.json") | {"bot": True}
        self.application = fixture("rest_application_docs.json")
        for member in self.application["team"]["members"]:
            # The docs example predates team roles; Discord sends one and discord.py requires it.
            member.setdefault("role", "admin")
        self.channels: dict[str, dict[str, Any]] = {}
        self.messages: dict[str, list[dict[str, Any]]] = {}
        self.interactions: dict[str, dict[str, Any]] = {}  # token -> the interaction's channel and message
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.faults: list[Fault] = []
        self.gone: set[str] = set()  # users who left every shared server: DMs to them answer 50007
        self._seq = itertools.count(1)
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="fake-discord", daemon=True)
        self._runner: web.AppRunner | None = None
        self.port = 0

    # --- lifecycle ---------------------------------------------------------------------
    def __enter__(self) -> FakeDiscord:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_route("*", API + "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return self.url + API

    # --- state helpers ----------------------------------------------------------------
    def snowflake(self) -> str:
        """A real-looking, increasing snowflake (ms since Discord's epoch << 22 | counter)."""
        return str(((int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22) | (next(self._seq) & 0x3FFFFF))

    def add_text_channel(self, guild_id: str, channel: dict[str, Any]) -> None:
        self.channels[str(channel["id"])] = channel | {"guild_id": guild_id}
        self.messages.setdefault(str(channel["id"]), [])

    def fail(self, method: str, path_regex: str, **kwargs: Any) -> Fault:
        """Inject a fault for requests whose path (after /api/v10) matches."""
        fault = Fault(method, re.compile(path_regex), **kwargs)
        self.faults.append(fault)
        return fault

    def sent(self, method: str = "POST", path_regex: str = ".*") -> list[Recorded]:
        """Recorded requests, oldest first, matching method and path."""
        with self._lock:
            return [r for r in self.requests if r.method == method and re.fullmatch(path_regex, r.path)]

    def history(self, channel_id: str | int) -> list[dict[str, Any]]:
        """A channel's or thread's messages, oldest first."""
        return list(self.messages.get(str(channel_id), []))

    async def wait_for(
        self, method: str, path_regex: str, count: int = 1, timeout: float = 10
    ) -> list[Recorded]:
        """Wait (on the caller's loop) until `count` matching requests arrived."""
        deadline = time.monotonic() + timeout
        while len(found := self.sent(method, path_regex)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"no {count}× {method} {path_regex}; got {[r.path for r in self.requests]}"
                )
            await asyncio.sleep(0.01)
        return found

    # --- dispatch -----------------------------------------------------------------------
    async def _dispatch(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        body, files = await self._read_body(request)
        record = Recorded(request.method, path, dict(request.query), body, files)
        with self._lock:
            self.requests.append(record)
        response = self._route(request, path, record)
        record.status = response.status
        return response

    async def _read_body(self, request: web.Request) -> tuple[Any, dict[str, bytes]]:
        if request.content_type.startswith("multipart/"):
            payload: Any = None
            files: dict[str, bytes] = {}
            reader = await request.multipart()
            async for part in reader:
                data = await part.read()  # type: ignore[union-attr]
                if part.name == "payload_json":  # type: ignore[union-attr]
                    payload = json.loads(data)
                else:
                    files[part.filename or part.name or "?"] = bytes(data)  # type: ignore[union-attr]
            return payload, files
        raw = await request.read()
        return (json.loads(raw) if raw else None), {}

    def _fault_for(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.method == method and fault.pattern.fullmatch(path):
                fault.seen += 1
                if fault.seen > fault.after and (
                    fault.times is None or fault.seen - fault.after <= fault.times
                ):
                    return fault
        return None

    def _route(self, request: web.Request, path: str, record: Recorded) -> web.Response:
        if request.headers.get("Authorization") != f"Bot {TOKEN}" and not path.startswith(
            ("/webhooks/", "/interactions/")
        ):
            return _json({"message": "401: Unauthorized", "code": 0}, 401)
        fault = self._fault_for(request.method, path)
        if fault is not None:
            if fault.keep:
                self._handle(request.method, path, record)
            return _json({"message": "Missing Permissions", "code": 50013}, fault.status)
        return self._handle(request.method, path, record)

    def _handle(self, method: str, path: str, record: Recorded) -> web.Response:
        for pattern, verb, handler in self._routes():
            m = re.fullmatch(pattern, path)
            if m and verb == method:
                return handler(record, *m.groups())
        return _json({"message": "404: Not Found", "code": 0}, 404)

    def _routes(self) -> list[tuple[str, str, Any]]:
        return [
            (r"/users/@me", "GET", lambda r: _json(self.user)),
            (r"/oauth2/applications/@me", "GET", lambda r: _json(self.application)),
            (r"/applications/(\d+)/commands", "PUT", self._sync),
            (r"/applications/(\d+)/guilds/(\d+)/commands", "PUT", self._sync),
            (r"/channels/(\d+)", "GET", self._get_channel),
            (r"/channels/(\d+)/messages", "GET", self._logs),
            (r"/channels/(\d+)/messages", "POST", self._create_message),
            (r"/channels/(\d+)/messages/(\d+)/threads", "POST", self._start_thread),
            (r"/users/@me/channels", "POST", self._open_dm),
            (r"/interactions/(\d+)/([^/]+)/callback", "POST", self._callback),
            (r"/webhooks/(\d+)/([^/]+)", "POST", self._followup),
            (r"/webhooks/(\d+)/([^/]+)/messages/@original", "PATCH", self._edit_original),
        ]

    # --- handlers -----------------------------------------------------------------------
    def _sync(self, record: Recorded, app_id: str, guild_id: str | None = None) -> web.Response:
        out = []
        for command in record.json or []:
            made = copy.deepcopy(command) | {"id": self.snowflake(), "application_id": app_id, "version": "1"}
            if guild_id:
                made["guild_id"] = guild_id
            out.append(made)
        self.commands[guild_id or "global"] = out
        return _json(out)

    def _get_channel(self, record: Recorded, channel_id: str) -> web.Response:
        channel = self.channels.get(channel_id)
        return _json(channel) if channel else _json({"message": "Unknown Channel", "code": 10003}, 404)

    def _logs(self, record: Recorded, channel_id: str) -> web.Response:
        if channel_id not in self.channels:
            return _json({"message": "Unknown Channel", "code": 10003}, 404)
        newest_first = list(reversed(self.messages[channel_id]))
        if before := record.query.get("before"):
            newest_first = [m for m in newest_first if int(m["id"]) < int(before)]
        return _json(newest_first[: int(record.query.get("limit", 50))])

    def message(self, channel_id: str, payload: dict[str, Any], author: dict[str, Any] | None = None) -> dict:
        """A Message object as Discord returns it (shape of rest_create_message_response)."""
        base = fixture("rest_create_message_response_discord4j.json")
        return base | {
            "id": self.snowflake(),
            "channel_id": channel_id,
            "author": author
            or {k: self.user[k] for k in ("id", "username", "avatar", "discriminator", "bot")},
            "content": payload.get("content") or "",
            "embeds": [e | {"type": "rich"} for e in payload.get("embeds") or []],
            "components": payload.get("components") or [],
            "mentions": [],  # allowed_mentions is checked by the tests, not simulated here
            "mention_everyone": False,
            "flags": payload.get("flags", 0),
            "timestamp": dt.datetime.now(dt.UTC).isoformat(),
        }

    def _create_message(self, record: Recorded, channel_id: str) -> web.Response:
        if channel_id not in self.channels:
            return _json({"message": "Unknown Channel", "code": 10003}, 404)
        if self.channels[channel_id].get("recipient") in self.gone:
            return _json({"message": "Cannot send messages to this user", "code": 50007}, 403)
        message = self.message(channel_id, record.payload)
        if guild := self.channels[channel_id].get("guild_id"):
            message["guild_id"] = guild
        self.messages[channel_id].append(message)
        return _json(message)

    def _start_thread(self, record: Recorded, channel_id: str, message_id: str) -> web.Response:
        parent = next((m for m in self.messages.get(channel_id, []) if m["id"] == message_id), None)
        if parent is None:
            return _json({"message": "Unknown Message", "code": 10008}, 404)
        if "thread" in parent:
            msg = "A thread has already been created for this message"
            return _json({"message": msg, "code": 160004}, 400)
        thread = fixture("rest_thread_channel_docs.json") | {
            "id": message_id,  # Discord gives a thread started from a message that message's id
            "guild_id": self.channels[channel_id].get("guild_id"),
            "parent_id": channel_id,
            "owner_id": self.user["id"],
            "name": record.payload.get("name", ""),
            "last_message_id": None,
            "message_count": 0,
            "total_message_sent": 0,
        }
        thread["thread_metadata"] = thread["thread_metadata"] | {
            "auto_archive_duration": record.payload.get("auto_archive_duration", 1440)
        }
        self.channels[message_id] = thread
        self.messages[message_id] = []
        parent["thread"] = thread
        return _json(thread, 201)

    def _open_dm(self, record: Recorded) -> web.Response:
        user_id = str(record.payload.get("recipient_id"))
        channel_id = next((c for c, ch in self.channels.items() if ch.get("recipient") == user_id), None)
        if channel_id is None:
            channel_id = self.snowflake()
            recipient = {"id": user_id, "username": "someone", "discriminator": "0", "avatar": None}
            self.channels[channel_id] = {"id": channel_id, "type": 1, "recipients": [recipient]}
            self.channels[channel_id]["recipient"] = user_id
            self.messages[channel_id] = []
        return _json({k: v for k, v in self.channels[channel_id].items() if k != "recipient"})

    def register_interaction(self, data: dict[str, Any]) -> None:
        """Remember where an interaction happened, so callbacks and followups land there."""
        user = (data.get("member") or {}).get("user") or data.get("user")
        self.interactions[data["token"]] = {
            "id": data["id"],
            "channel_id": data.get("channel_id"),
            "user": user,
        }

    def _callback(self, record: Recorded, interaction_id: str, token: str) -> web.Response:
        kind = record.payload.get("type")
        flags = (record.payload.get("data") or {}).get("flags", 0)
        info = self.interactions.setdefault(token, {"id": interaction_id, "channel_id": None})
        body: dict[str, Any] = {"interaction": {"id": interaction_id, "type": 2}}
        if kind in (4, 5):  # a message (or its "thinking…" placeholder) becomes the original response
            loading = 128 if kind == 5 else 0
            message = self.message(info["channel_id"] or "0", record.payload.get("data") or {})
            message["flags"] = flags | loading
            message["interaction_metadata"] = {
                "id": interaction_id,
                "type": 2,
                "user": info.get("user") or self.user,
                "authorizing_integration_owners": {
                    "0": self.channels.get(str(info["channel_id"]), {}).get("guild_id")
                },
            }
            info["original"] = message
            body["interaction"] |= {
                "response_message_id": message["id"],
                "response_message_loading": kind == 5,
                "response_message_ephemeral": bool(flags & 64),
            }
            body["resource"] = {"type": kind, "message": message}
        elif kind == 8:  # autocomplete choices: no resource
            pass
        return _json(body)

    def _followup(self, record: Recorded, app_id: str, token: str) -> web.Response:
        info = self.interactions.get(token, {})
        message = self.message(info.get("channel_id") or "0", record.payload, author=None)
        message["webhook_id"] = app_id
        message["attachments"] = [self._attachment(name, data) for name, data in record.files.items()]
        return _json(message)

    def _attachment(self, name: str, data: bytes) -> dict[str, Any]:
        """An Attachment object as Discord returns it for an uploaded file."""
        attachment_id = self.snowflake()
        url = f"{self.url}/attachments/{attachment_id}/{name}"
        return {"id": attachment_id, "filename": name, "size": len(data), "url": url, "proxy_url": url,
                "content_type": "text/plain; charset=utf-8"}  # fmt: skip

    def _edit_original(self, record: Recorded, app_id: str, token: str) -> web.Response:
        original = self.interactions.get(token, {}).get("original") or self.message("0", {})
        return _json(original | {"content": record.payload.get("content", original.get("content"))})
