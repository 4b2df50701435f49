"""The plug-in around the app: settings, OAuth installs, the manifest, rendering limits, layering."""

from __future__ import annotations

import ast
import datetime as dt
import json
import re
import sqlite3
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from adapters.slack import platform
from adapters.slack.oauth import token_cipher
from adapters.slack.render import entry_message, escape, parent_message, reply_message
from bot.config import FileConfig
from bot.engine import Engine, build_engine
from bot.models import Digest, DigestEntry, Paper, Reply
from bot.platforms import PlatformUnavailable, load_platforms
from tests.fakes.slack_api import FakeSlack, block_problem
from tests.slack.conftest import make_engine
from tests.slack.helpers import fixture, live_mentions

SECRET_KEY = "lab-secret-" + "k" * 32  # any long string, as the lab page takes

ADAPTER = Path(__file__).resolve().parents[2] / "adapters" / "slack"
ALLOWED = {
    "bot.engine",
    "bot.models",
    "bot.query",
    "bot.config",
    "bot.presentation",
    "bot.delivery",
    "bot.platforms",
}


def test_entry_point_finds_the_plugin() -> None:
    assert load_platforms()["slack"] is platform and platform.name == "slack"


def test_adapter_imports_only_the_cores_public_modules() -> None:
    for path in ADAPTER.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            for name in names:
                assert not name.startswith(("adapters.discord", "bot.store")), (path.name, name)
                if name.startswith("bot"):
                    assert name in ALLOWED, (path.name, name)
                if name.startswith("sqlalchemy"):
                    assert path.name == "oauth.py", path.name


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("SLACK_SIGNING_SECRET", "SLACK_SIGNING_SECRET is not set: "),
        ("SLACK_BOT_TOKEN", "SLACK_BOT_TOKEN is not set: "),
    ],
)
def test_run_without_credentials_says_which(tmp_path: Path, missing: str, message: str) -> None:
    engine = make_engine(tmp_path / "t.db", "http://127.0.0.1:9/api/", **{missing: None})
    with pytest.raises(PlatformUnavailable, match=f"^{message}"):
        platform.run(engine)


def test_send_direct_message(engine: Engine, slack: FakeSlack) -> None:
    platform.send_direct_message(engine, "T0LAB", "U0ANN", "v2 of <2606.14721> is out & new")
    [post] = slack.calls_to("chat.postMessage")
    assert (
        post.args["channel"] == "D0ANN" and post.args["text"] == "v2 of &lt;2606.14721&gt; is out &amp; new"
    )


def test_manifest_declares_what_the_app_uses() -> None:
    text = (ADAPTER / "manifest.yml").read_text()
    for needed in (
        "/papers",
        "usage_hint",
        "reaction_added",
        "reaction_removed",
        "/slack/events",
        "is_enabled: true",
    ):
        assert needed in text
    for scope in ("commands", "chat:write", "reactions:read", "files:write", "im:write", "channels:history"):
        assert re.search(rf"^\s+- {re.escape(scope)}\b", text, re.M), scope
    for scope in ("im:history", "users:read"):  # personal radars: the DM thread, the member's zone
        assert re.search(rf"^\s+- {re.escape(scope)}\b", text, re.M), scope
    yaml = pytest.importorskip("yaml")
    manifest = yaml.safe_load(text)
    assert manifest["features"]["slash_commands"][0]["command"] == "/papers"


def paper(i: int, title: str = "T", authors: int = 3) -> Paper:
    return Paper(
        id=f"2606.{i:05d}",
        title=title,
        authors=[f"Author{j} <!here>" for j in range(authors)],
        abstract="x",
        categories=["cs.LG"],
        primary_category="cs.LG",
        announced=dt.date(2026, 6, 16),
        announce_type="new",
    )


def test_blocks_stay_within_slack_limits_whatever_the_text() -> None:
    huge = "<!channel> & " * 2000
    entry = DigestEntry(
        number=1, paper=paper(1, huge, authors=200), tldr=huge, matched_authors=["Author1 <!here>"]
    )
    digest = Digest(channel="slack:T0LAB/C0PAPERS", date=dt.date(2026, 6, 16), entries=[entry], briefing=huge)
    digest.channel_name = "ml-papers " * 40
    messages = [parent_message(digest), entry_message(digest, entry)]
    reply = Reply(text=huge, papers=[paper(i, huge, 50) for i in range(30)], has_more=True)
    messages.append(reply_message(reply))
    for message in messages:
        assert block_problem(message["blocks"]) is None
        assert live_mentions(message) == []
        assert len(message["text"]) <= 3000
        assert not re.search(r"&[a-z]{0,3}…", json.dumps(message))  # never cut inside an entity
    assert "*Author1 &lt;!here&gt;*" in messages[1]["blocks"][0]["text"]["text"]


def test_escape_is_slacks_three_entities() -> None:
    assert escape("a & <b> <!channel>") == "a &amp; &lt;b&gt; &lt;!channel&gt;"


async def test_oauth_install_then_post_with_that_workspaces_token(tmp_path: Path, slack: FakeSlack) -> None:
    pytest.importorskip("greenlet")  # slack_sdk's SQLAlchemy stores import sqlalchemy.ext.asyncio
    from adapters.slack.app import create_app, create_web_app

    answer = json.loads(fixture("oauth_v2_access_ok_docs.json"))
    answer["enterprise"] = None  # a plain workspace, not an Enterprise Grid org
    slack.oauth_answer = answer
    engine = make_engine(
        tmp_path / "t.db",
        slack.url,
        SLACK_BOT_TOKEN=None,
        SLACK_CLIENT_ID="111.222",
        SLACK_CLIENT_SECRET="shh",
        ACADEMICHUB_SECRET_KEY=SECRET_KEY,
    )
    web_app = create_web_app(engine, create_app(engine))
    async with TestServer(web_app, host="127.0.0.1") as server, aiohttp.ClientSession() as session:
        async with session.get(server.make_url("/slack/install")) as resp:
            page = await resp.text()
            assert resp.status == 200
            # Bolt's state cookie is Secure; the browser would send it back over https, so do that here.
            cookie = "; ".join(f"{k}={v.value}" for k, v in resp.cookies.items())
        link = re.search(r'href="(https://slack.com/oauth/v2/authorize[^"]+)"', page)
        assert link is not None
        state = parse_qs(urlsplit(link.group(1).replace("&amp;", "&")).query)["state"][0]
        callback = server.make_url("/slack/oauth_redirect")
        params = {"code": "c0de", "state": state}
        async with session.get(callback, params=params, headers={"Cookie": cookie}) as resp:
            assert resp.status == 200, await resp.text()
    [exchange] = slack.calls_to("oauth.v2.access")
    assert exchange.args["code"] == "c0de"
    poster = platform.poster(engine, type("Info", (), {"key": "slack:T9TK3CUKW/C0OTHER"})())
    poster.pace = 0
    poster.client.chat_postMessage(channel="C0OTHER", text="hello")
    assert slack.calls_to("chat.postMessage")[-1].token == answer["access_token"]
    with pytest.raises(PlatformUnavailable, match="has not installed the app"):
        platform.poster(engine, type("Info", (), {"key": "slack:T0NOPE/C1"})())
    engine.close()
    # At rest, the tokens are ciphertext that only ACADEMICHUB_SECRET_KEY opens.
    with sqlite3.connect(tmp_path / "t.db") as db:
        rows = [*db.execute("SELECT bot_token, user_token FROM slack_installations")]
        rows += [(token, None) for (token,) in db.execute("SELECT bot_token FROM slack_bots")]
    stored = [token for row in rows for token in row if token]
    assert stored and answer["access_token"] not in repr(rows) and not any("xox" in t for t in stored)
    assert token_cipher(engine.settings).decrypt(rows[0][0].encode()).decode() == answer["access_token"]


@pytest.mark.parametrize(
    ("key", "says"),
    [
        (None, "ACADEMICHUB_SECRET_KEY is not set: the multi-workspace install"),
        ("short", "ACADEMICHUB_SECRET_KEY is too short (5 characters, at least 32)"),
    ],
)
def test_oauth_mode_does_not_start_without_a_key(
    tmp_path: Path, slack: FakeSlack, key: str | None, says: str
) -> None:
    from adapters.slack.app import check_settings, create_app

    engine = make_engine(
        tmp_path / "t.db",
        slack.url,
        SLACK_BOT_TOKEN=None,
        SLACK_CLIENT_ID="111.222",
        SLACK_CLIENT_SECRET="shh",
        ACADEMICHUB_SECRET_KEY=key,
    )
    try:
        for start in (lambda: check_settings(engine), lambda: create_app(engine)):
            with pytest.raises(PlatformUnavailable) as refused:
                start()
            assert str(refused.value).startswith(says) and "\n" not in str(refused.value)
    finally:
        engine.close()


def test_build_engine_is_untouched_by_the_adapter(tmp_path: Path) -> None:
    from bot.config import load_settings

    engine = build_engine(
        load_settings(DATABASE_URL=f"sqlite:///{tmp_path}/x.db", ACADEMICHUB_CONFIG=None),
        file_config=FileConfig(),
    )
    assert engine.db.ping()
    engine.close()
