"""The Bolt AsyncApp (`create_app`) and its aiohttp server: /slack/events, /healthz, OAuth pages."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.commands import register as register_commands
from adapters.slack.oauth import oauth_enabled, oauth_settings
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
    if not oauth_enabled(s) and not _secret(s.slack_bot_token):
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


def create_web_app(engine: Engine, app: AsyncApp) -> web.Application:
    """aiohttp routes: Slack's requests, the health check, and the OAuth install pages."""

    async def healthz(_request: web.Request) -> web.Response:
        ok = await asyncio.to_thread(engine.db.ping)
        return web.json_response({"ok": ok, "database": "up" if ok else "down"}, status=200 if ok else 503)

    web_app = web.Application()
    web_app.add_routes(
        [web.post(EVENTS_PATH, _bolt_handler(app.async_dispatch)), web.get(HEALTH_PATH, healthz)]
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
