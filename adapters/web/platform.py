"""The `web` plug-in: `academichub run web`, the Procfile's web process. It serves the lab page,
/healthz and, when Slack is configured, Slack's routes on the same port (`run slack` is an alias)."""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Any

from aiohttp import web

from bot.engine import Engine
from bot.platforms import PlatformUnavailable
from bot.signin import SignIn, SignInUnavailable

log = logging.getLogger(__name__)


def slack_configured(engine: Engine) -> bool:
    """Any Slack setting present means the operator wants Slack's routes served."""
    s = engine.settings
    return any((s.slack_signing_secret, s.slack_app_token, s.slack_bot_token, s.slack_client_id))


def signin_for(engine: Engine) -> SignIn | None:
    key = engine.settings.secret_key
    try:
        return SignIn(key.get_secret_value() if key else None)
    except SignInUnavailable:
        return None


class WebPlatform:
    """The web process. It posts nowhere: digests go to Slack and Discord channels."""

    name = "web"

    def poster(self, engine: Engine, channel: Any) -> Any:
        raise PlatformUnavailable("the lab page does not post digests; channels live on Slack or Discord")

    def send_direct_message(self, engine: Engine, workspace: str, user: str, text: str) -> None:
        raise PlatformUnavailable("the lab page has no direct messages")

    def run(self, engine: Engine) -> int:
        """Serve until stopped; refuse to start with nothing to serve."""
        signin = signin_for(engine)
        with_slack = slack_configured(engine)
        if signin is None and not with_slack:
            raise PlatformUnavailable(
                "nothing to serve: set ACADEMICHUB_SECRET_KEY for the lab page "
                "and/or SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN for Slack"
            )
        if with_slack:
            from adapters.slack.app import check_settings

            app_token = engine.settings.slack_app_token
            check_settings(engine, socket_mode=bool(app_token and app_token.get_secret_value()))
        if signin is None:
            log.warning("ACADEMICHUB_SECRET_KEY is not set: serving Slack only, without the lab page")
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        asyncio.run(serve(engine, signin, with_slack))
        return 0


async def serve(engine: Engine, signin: SignIn | None, with_slack: bool, host: str = "0.0.0.0") -> None:
    from adapters.web.app import add_lab_routes, create_lab_app, slack_admin_check

    def extend(web_app: web.Application, slack_app: Any) -> None:
        if signin is not None:
            add_lab_routes(web_app, engine, signin, admin_check=slack_admin_check(engine, slack_app.client))

    if with_slack:
        from adapters.slack.app import serve as serve_slack

        await serve_slack(engine, host, extend=extend)
        return
    assert signin is not None
    runner = web.AppRunner(create_lab_app(engine, signin))
    await runner.setup()
    await web.TCPSite(runner, host, engine.settings.port).start()
    log.info("AcademicHub lab page on port %s", engine.settings.port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


platform = WebPlatform()
