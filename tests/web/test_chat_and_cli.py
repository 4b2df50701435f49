"""Getting a sign-in link: `/papers web` (ephemeral, never shared), `academichub login-link`, and
`academichub run web` composing the lab page with Slack's routes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from adapters.web.app import add_lab_routes, create_lab_app, slack_admin_check
from adapters.web.platform import WebPlatform
from bot.engine import Engine
from bot.models import Caller
from bot.platforms import PlatformUnavailable
from bot.query import parse
from bot.signin import Member, SignIn
from tests.conftest import CLOSED_PORT_URL, make_engine
from tests.fakes.slack_api import FakeSlack
from tests.web.conftest import BOB, CHANNEL, NOW, PUBLIC_URL, SECRET, csrf_of, page, sign_in

CALLER = Caller("slack", "T0LAB", "C0PAPERS", "U0BOB")
EXE = str(Path(sys.executable).with_name("academichub"))


def test_papers_web_answers_only_the_caller_with_their_link(engine: Engine) -> None:
    reply = engine.handle("web", CALLER)
    assert reply.ephemeral and not reply.error
    url = reply.text.split()[-1]
    assert url.startswith(f"{PUBLIC_URL}/login?token=")
    token = parse_qs(urlsplit(url).query)["token"][0]
    assert SignIn(SECRET).read_link(token) == BOB


def test_papers_web_cannot_be_shared(engine: Engine) -> None:
    reply = engine.handle("web --share", CALLER)
    assert reply.ephemeral and reply.error and "personal" in reply.text
    assert "token" not in reply.text
    assert parse("web").name == "web"
    assert "`/papers web`" in engine.handle("help", CALLER).text


def test_papers_web_without_a_secret_key_says_what_is_missing(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    try:
        reply = engine.handle("web", CALLER)
    finally:
        engine.close()
    assert "ACADEMICHUB_SECRET_KEY" in reply.text and "http" not in reply.text


async def test_the_chat_link_signs_the_member_in(engine: Engine) -> None:
    url = engine.handle("web", CALLER).text.split()[-1]
    path = url[len(PUBLIC_URL) :]
    async with TestClient(TestServer(create_lab_app(engine, SignIn(SECRET), clock=lambda: NOW))) as client:
        response = await client.get(path, allow_redirects=False)
        assert response.status == 303
        _, html = await page(client, "/")
    assert "Signed in as U0BOB" in html


def cli(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}
    full |= {"ACADEMICHUB_ARXIV_API_URL": CLOSED_PORT_URL, **env}
    full.pop("OPENAI_API_KEY", None)
    return subprocess.run([EXE, *args], capture_output=True, text=True, env=full, cwd=tmp_path, timeout=120)


def test_login_link_prints_the_same_link(tmp_path: Path) -> None:
    done = cli(
        ["login-link", "--user", "discord:1234/5678"],
        tmp_path,
        ACADEMICHUB_SECRET_KEY=SECRET,
        ACADEMICHUB_PUBLIC_URL="https://lab.example.org/",
    )
    assert done.returncode == 0, done.stderr
    url = done.stdout.strip()
    assert url.startswith("https://lab.example.org/login?token=")
    token = parse_qs(urlsplit(url).query)["token"][0]
    assert SignIn(SECRET).read_link(token) == Member("discord", "1234", "5678")


def test_login_link_errors_are_one_line(tmp_path: Path) -> None:
    bad_user = cli(["login-link", "--user", "U0BOB"], tmp_path, ACADEMICHUB_SECRET_KEY=SECRET)
    assert bad_user.returncode == 2 and "platform:workspace/user" in bad_user.stderr
    assert "Traceback" not in bad_user.stderr
    no_key = cli(["login-link", "--user", "slack:T0LAB/U0BOB"], tmp_path, ACADEMICHUB_SECRET_KEY="")
    assert no_key.returncode == 2 and "ACADEMICHUB_SECRET_KEY is not set" in no_key.stderr
    assert len(no_key.stderr.strip().splitlines()) == 1


def test_run_web_with_nothing_configured_refuses_in_one_sentence(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    try:
        with pytest.raises(PlatformUnavailable, match="ACADEMICHUB_SECRET_KEY"):
            WebPlatform().run(engine)
    finally:
        engine.close()


async def test_the_lab_page_and_slacks_routes_share_one_server(engine: Engine, signin: SignIn) -> None:
    """`run web` with Slack configured: one server, Slack's routes untouched, and a chip's ×
    asks Slack (users.info) whether the member is a workspace admin, as the slash command does."""
    from adapters.slack.app import create_app, create_web_app

    with FakeSlack() as slack:
        engine.settings.slack_signing_secret = SecretStr("slack-signing-secret")
        engine.settings.slack_bot_token = SecretStr("xoxb-test")
        engine.settings.slack_api_url = slack.url
        slack_app = create_app(engine)
        web_app = create_web_app(engine, slack_app)
        add_lab_routes(web_app, engine, signin, admin_check=slack_admin_check(engine, slack_app.client))
        async with TestClient(TestServer(web_app)) as both:
            home = await both.get("/")
            assert home.status == 200 and "/papers web" in await home.text()
            unsigned = await both.post("/slack/events", data="command=/papers&text=help")
            assert unsigned.status == 401  # Bolt's signature check, untouched
            assert (await both.get("/healthz")).status == 200
            await sign_in(both, signin)
            _, html = await page(both, "/")
            form = {"channel": CHANNEL, "rule": "cat:cs.LG", "csrf": csrf_of(html)}
            refused = await both.post("/radar/remove", data=form)
            assert "Only a channel admin" in await refused.text()
            slack.state.admins.add(BOB.user)
            removed = await both.post("/radar/remove", data=form)
            assert "Removed `cat:cs.LG`" in await removed.text()
    info = engine.channels.info(CHANNEL)
    assert info is not None and [r.text for r in info.rules] == ['author:"Zhigang Tu"']


def test_run_slack_is_an_alias_of_run_web(tmp_path: Path) -> None:
    done = cli(["run", "slack"], tmp_path, ACADEMICHUB_SECRET_KEY="")
    assert done.returncode == 2 and "nothing to serve" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    unknown = cli(["run", "webb"], tmp_path)
    assert unknown.returncode == 2 and "choose web, slack, discord" in unknown.stderr
