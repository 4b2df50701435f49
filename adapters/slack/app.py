"""The Bolt AsyncApp (`create_app`) and its aiohttp server: /slack/events, /healthz, OAuth pages."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.commands import register as register_commands
from adapters.slack.oauth import oauth_enabled, oauth_settings, token_cipher
from adapters.slack.reactions import register as register_reactions
from bot.engine import Engine
from bot.platforms import PlatformUnavailable

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _secret(value: object | None) -> str | None:
    get = getattr(value, "get_secret_value", None)
    return get() if get else None


def check_settings(engine: Engine, socket_mode: bool = False) -> None:
    """Raise PlatformUnavailable naming the first missing Slack setting."""
    s = engine.settings
    if not socket_mode and not _secret(s.slack_signing_secret):
        raise PlatformUnavailable(
            "SLACK_SIGNING_SECRET is not set: copy it from the app's Basic Information page "
            "(or set SLACK_APP_TOKEN for Socket Mode)"
        )
    if oauth_enabled(s):
        token_cipher(s)  # OAuth mode keeps tokens encrypted: no key, no start
    elif not _secret(s.slack_bot_token):
        raise PlatformUnavailable(
            "SLACK_BOT_TOKEN is not set: install the app to the workspace and copy its Bot User OAuth Token "
            "(or set SLACK_CLIENT_ID and SLACK_CLIENT_SECRET for the multi-workspace install flow)"
        )


def create_app(engine: Engine, *, client: AsyncWebClient | None = None) -> AsyncApp:
    """The Bolt app: `/papers`, its buttons, and 🔖 reactions, wired to the engine."""
    s = engine.settings
    oauth = oauth_enabled(s)
    if client is None:
        client = AsyncWebClient(
            token=None if oauth else _secret(s.slack_bot_token),
            base_url=s.slack_api_url if s.slack_api_url.endswith("/") else s.slack_api_url + "/",
            retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=3)],
        )
    app = AsyncApp(
        name="academichub",
        signing_secret=_secret(s.slack_signing_secret) or "",
        client=client,
        oauth_settings=oauth_settings(s) if oauth else None,
    )
    register_commands(app, engine)
    register_reactions(app, engine)
    return app


def _bolt_handler(dispatch: Callable[..., Awaitable[object]]) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        bolt_response = await dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(bolt_response)  # type: ignore[arg-type]

    return handle


def parse_body(text: str, content_type: str) -> dict[str, Any] | None:
    """A Slack request body as Bolt will read it, or None when it is not a JSON object or form."""
    try:
        if content_type.startswith("application/json") or text.startswith(("{", "[")):
            data: object = json.loads(text)
        else:
            form = dict(parse_qsl(text, keep_blank_values=True))
            data = json.loads(form["payload"]) if "payload" in form else form
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _id(value: object, key: str = "id") -> str:
    """A non-empty string id from `value` (a string, or a dict holding one under `key`)."""
    found = value.get(key) if isinstance(value, dict) else value
    return found if isinstance(found, str) else ""


def has_ids(data: dict[str, Any]) -> bool:
    """Whether a request that acts for someone names its workspace and user."""
    kind = data.get("type")
    if "command" in data:  # a slash command's form
        return bool(_id(data.get("team_id")) and _id(data.get("user_id")))
    if kind == "event_callback":
        event = data.get("event")
        if not isinstance(event, dict) or not _id(data.get("team_id")):
            return False
        return not str(event.get("type", "")).startswith("reaction_") or bool(_id(event.get("user")))
    if kind in ("block_actions", "view_submission", "shortcut", "message_action"):
        user = data.get("user")
        team = _id(data.get("team")) or _id(user, "team_id")
        return bool(team and _id(user))
    return True  # url_verification, ssl_check: nobody to act for


SIGNATURE_WINDOW = 300  # seconds either way, as Slack's own SDKs allow


def signature_ok(secret: str, raw: bytes, timestamp: str, signature: str, now: float) -> bool:
    """Slack's `v0=` HMAC-SHA256 of `v0:{timestamp}:{body}` over the raw bytes, within the window."""
    if abs(now - int(timestamp)) > SIGNATURE_WINDOW:
        return False
    base = b"v0:" + timestamp.encode() + b":" + raw
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))


def _refuse(status: int, why: str) -> web.Response:
    log.info("refused a Slack request (HTTP %s): %s", status, why)  # one line: no traceback
    return web.Response(status=status, text=why)


def guarded_handler(engine: Engine, dispatch: Callable[..., Awaitable[object]]) -> Handler:
    """Slack's requests: timestamp and signature checked, replays refused, then the body parsed
    and its ids checked, all before Bolt sees it; a bad request gets 400/401, never a 500."""
    secret = _secret(engine.settings.slack_signing_secret) or ""

    async def handle(request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        signature = request.headers.get("X-Slack-Signature", "")
        if not timestamp or not signature or not secret:
            return _refuse(401, "the request is not signed")
        if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) < 16):
            return _refuse(400, "X-Slack-Request-Timestamp is not a number")
        if not signature_ok(secret, raw, timestamp, signature, time.time()):
            return _refuse(401, "invalid or expired signature")
        try:
            first = await asyncio.to_thread(engine.first_request, f"slack:{timestamp}:{signature}")
        except Exception as exc:  # the database is down: Slack retries later
            log.warning("cannot check a Slack request for replay: %s", exc)
            return web.Response(status=503, text="the store is unavailable")
        if not first:
            return _refuse(401, "a replay of a request already handled")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return _refuse(400, "the body is not UTF-8")
        data = parse_body(text, request.headers.get("Content-Type", ""))
        if data is None:
            return _refuse(400, "the body is neither a JSON object nor a form")
        if not has_ids(data):
            return _refuse(400, "the request names no workspace or no user")
        bolt_request = AsyncBoltRequest(
            body=text,
            query=request.query_string,
            headers=request.headers,  # type: ignore[arg-type]
        )
        return await to_aiohttp_response(await dispatch(bolt_request))  # type: ignore[arg-type]

    return handle


def create_web_app(engine: Engine, app: AsyncApp) -> web.Application:
    """aiohttp routes: Slack's requests, the health check, and the OAuth install pages."""

    async def healthz(_request: web.Request) -> web.Response:
        ok = await asyncio.to_thread(engine.db.ping)
        return web.json_response({"ok": ok, "database": "up" if ok else "down"}, status=200 if ok else 503)

    web_app = web.Application()
    web_app.add_routes(
        [
            web.post(EVENTS_PATH, guarded_handler(engine, app.async_dispatch)),
            web.get(HEALTH_PATH, healthz),
        ]
    )
    flow = app.oauth_flow
    if flow is not None:
        web_app.add_routes(
            [
                web.get(flow.install_path, _bolt_handler(flow.handle_installation)),
                web.get(flow.redirect_uri_path, _bolt_handler(flow.handle_callback)),
            ]
        )
    return web_app


async def serve(
    engine: Engine,
    host: str = "0.0.0.0",
    extend: Callable[[web.Application, AsyncApp], None] | None = None,
) -> None:
    """Serve until SIGINT/SIGTERM: HTTP mode, or Socket Mode (with /healthz still on PORT).
    `extend` adds other routes to the same server (the lab page, adapters.web)."""
    app_token = _secret(engine.settings.slack_app_token)
    check_settings(engine, socket_mode=bool(app_token))
    app = create_app(engine)
    web_app = create_web_app(engine, app)
    if extend is not None:
        extend(web_app, app)
    runner = web.AppRunner(web_app)
    await runner.setup()
    await web.TCPSite(runner, host, engine.settings.port).start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    socket_handler = None
    if app_token:
        from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

        socket_handler = AsyncSocketModeHandler(app, app_token, web_client=app.client)
        await socket_handler.connect_async()
        log.info(
            "AcademicHub Slack app connected over Socket Mode; /healthz on port %s", engine.settings.port
        )
    else:
        log.info("AcademicHub Slack app on port %s at %s", engine.settings.port, EVENTS_PATH)
    try:
        await stop.wait()
    finally:
        if socket_handler is not None:
            await socket_handler.close_async()
        await runner.cleanup()
