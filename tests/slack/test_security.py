"""Slack request hygiene at the real HTTP endpoint: signature first, replays refused (across
processes), malformed bodies and missing ids answered 400 — never a 500, never a traceback."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, unquote

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from adapters.slack.app import create_app, create_web_app
from bot.engine import Engine
from tests.fakes.slack_api import FakeSlack
from tests.slack.conftest import Running, make_engine
from tests.slack.helpers import (
    BOB,
    SECRET,
    TEAM,
    action_body,
    reaction_added_body,
    signed_headers,
    slash_body,
)

FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def quiet_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    caplog.set_level(logging.DEBUG)
    yield caplog
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR], (
        "a traceback was logged"
    )


MALFORMED = [
    ("payload=%7Bnot-json", FORM),
    ("{not json", "application/json"),
    ("[1,2,3]", "application/json"),
    ("[1,2,3]", FORM),
    ("payload=%5B1%2C2%5D", FORM),  # a payload that is JSON, but not an object
    ('"just a string"', "application/json"),
]


@pytest.mark.parametrize(("body", "content_type"), MALFORMED)
async def test_signed_malformed_bodies_get_400(
    running: Running, quiet_log: pytest.LogCaptureFixture, body: str, content_type: str
) -> None:
    status, text, _ = await running.post(body, content_type)
    assert status == 400 and "neither a JSON object nor a form" in text
    assert running.slack.state.responses == []


@pytest.mark.parametrize(("body", "content_type"), MALFORMED)
async def test_unsigned_malformed_bodies_get_401_before_parsing(
    running: Running, quiet_log: pytest.LogCaptureFixture, body: str, content_type: str
) -> None:
    async with running.session.post(running.url, data=body, headers={"Content-Type": content_type}) as resp:
        assert resp.status == 401


@pytest.mark.parametrize("timestamp", ["soon", "1.5e9", "", "١٢٣", "99999999999999999999999"])
async def test_bad_timestamp_header(
    running: Running, quiet_log: pytest.LogCaptureFixture, timestamp: str
) -> None:
    body = slash_body("help", running.slack.response_url())
    headers = signed_headers(body, FORM) | {"X-Slack-Request-Timestamp": timestamp}
    async with running.session.post(running.url, data=body, headers=headers) as resp:
        assert resp.status == (401 if timestamp == "" else 400)


async def test_invalid_utf8_gets_400(running: Running, quiet_log: pytest.LogCaptureFixture) -> None:
    body = b"token=x&text=\xff\xfe"
    timestamp = str(int(time.time()))
    sig = "v0=" + hmac.new(SECRET.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256).hexdigest()
    headers = {"Content-Type": FORM, "X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": sig}
    async with running.session.post(running.url, data=body, headers=headers) as resp:
        assert resp.status == 400


async def test_a_replayed_request_is_refused(running: Running, quiet_log: pytest.LogCaptureFixture) -> None:
    body = slash_body("help", running.slack.response_url())
    headers = signed_headers(body, FORM)
    async with running.session.post(running.url, data=body, headers=headers) as resp:
        assert resp.status == 200
    await running.responses(1)
    async with running.session.post(running.url, data=body, headers=headers) as resp:
        assert resp.status == 401 and "replay" in await resp.text()
    time.sleep(0.3)
    assert len(running.slack.state.responses) == 1, "the replay ran nothing"


async def test_a_replay_to_another_process_is_refused_too(
    running: Running, engine: Engine, slack: FakeSlack, tmp_path: Path, quiet_log: pytest.LogCaptureFixture
) -> None:
    """Two app processes on one database: a request accepted by one is a replay to the other."""
    other_engine = make_engine(Path(engine.db.sqlite_path or ""), slack.url)
    try:
        other = TestServer(create_web_app(other_engine, create_app(other_engine)), host="127.0.0.1")
        async with other, aiohttp.ClientSession() as session:
            body = slash_body("help", slack.response_url())
            headers = signed_headers(body, FORM)
            async with running.session.post(running.url, data=body, headers=headers) as resp:
                assert resp.status == 200
            async with session.post(str(other.make_url("/slack/events")), data=body, headers=headers) as resp:
                assert resp.status == 401
    finally:
        other_engine.close()


def _without(body: dict[str, object], *path: str) -> str:
    node: dict[str, object] = body
    for key in path[:-1]:
        node = node[key]  # type: ignore[assignment]
    node.pop(path[-1], None)
    return json.dumps(body)


async def test_requests_without_user_or_team_get_400(
    running: Running, engine: Engine, quiet_log: pytest.LogCaptureFixture
) -> None:
    url = running.slack.response_url()
    no_user = slash_body("saved", url, user="")
    no_team = slash_body("saved", url).replace(f"team_id={TEAM}", "team_id=")
    for body in (no_user, no_team):
        status, _, _ = await running.command(body)
        assert status == 400
    action = json.loads(unquote(action_body("academichub_save", "2606.14721", url).removeprefix("payload=")))
    for path in (("user", "id"), ("team",)):
        broken = json.loads(json.dumps(action))
        if path == ("team",):
            broken.pop("team")
            broken["user"].pop("team_id")
        else:
            broken["user"].pop("id")
        status, _, _ = await running.command("payload=" + quote(json.dumps(broken), safe=""))
        assert status == 400
    reaction = json.loads(reaction_added_body(BOB, "C0PAPERS", "1.000001", "1781600100.000100"))
    for path in (("team_id",), ("event", "user")):
        status, _, _ = await running.event(_without(json.loads(json.dumps(reaction)), *path))
        assert status == 400
    assert running.slack.state.responses == []
    assert engine.library.saved(TEAM, "") == []
