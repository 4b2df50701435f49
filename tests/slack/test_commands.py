"""`/papers` over Slack's real HTTP protocol: signed requests in, acks and response_url answers out."""

from __future__ import annotations

import time
from typing import Any

import pytest
from slack_sdk.signature import SignatureVerifier

from bot.engine import Engine
from tests.slack.conftest import Running
from tests.slack.helpers import (
    BOB,
    CHANNEL,
    SECRET,
    action_body,
    fixture,
    fixture_path,
    live_mentions,
    signature,
    signed_headers,
    slash_body,
)

ACK_LIMIT = 3.0


class _At:
    def __init__(self, now: float) -> None:
        self.value = now

    def now(self) -> float:
        return self.value


def test_signing_example_verifies_with_its_documented_secret() -> None:
    body = fixture_path("slash_command_docs_signing_example.txt").read_bytes()
    expected = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    verifier = SignatureVerifier(SECRET, clock=_At(1531420618))  # type: ignore[arg-type]
    assert verifier.is_valid(body, "1531420618", expected)
    assert signature(SECRET, "1531420618", body.decode()) == expected  # the tests sign as Slack does
    assert not verifier.is_valid(body + b"x", "1531420618", expected)


@pytest.mark.parametrize("forgery", ["bad-signature", "wrong-secret", "stale", "unsigned"])
async def test_forged_or_stale_requests_get_401(running: Running, forgery: str) -> None:
    body = slash_body("help", running.slack.response_url())
    headers = signed_headers(body, "application/x-www-form-urlencoded")
    if forgery == "bad-signature":
        headers["X-Slack-Signature"] = "v0=" + "0" * 64
    elif forgery == "wrong-secret":
        headers = signed_headers(body, "application/x-www-form-urlencoded", secret="not-the-secret")
    elif forgery == "stale":  # a replay of a genuinely signed request, 6 minutes later
        headers = signed_headers(body, "application/x-www-form-urlencoded", at=time.time() - 360)
    else:
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
    async with running.session.post(running.url, data=body, headers=headers) as resp:
        assert resp.status == 401
    assert running.slack.state.responses == []


async def ask(running: Running, text: str, user: str = BOB) -> dict[str, Any]:
    """Run one `/papers` command; check the ack, and return what response_url received."""
    before = len(running.slack.state.responses)
    status, body, took = await running.command(slash_body(text, running.slack.response_url(), user=user))
    assert status == 200 and body == ""
    assert took < ACK_LIMIT
    responses = await running.responses(before + 1)
    answer = responses[before]
    assert not live_mentions(answer)
    return answer


def texts(answer: dict[str, Any]) -> str:
    return "\n".join(str(b.get("text", {}).get("text", "")) for b in answer["blocks"])


async def test_help_lists_the_commands(running: Running) -> None:
    answer = await ask(running, "help")
    assert answer["response_type"] == "ephemeral"
    assert "/papers author" in texts(answer) and "/papers export" in texts(answer)


async def test_author_answers_from_the_store(running: Running) -> None:
    answer = await ask(running, "author Zhigang Tu")
    assert answer["response_type"] == "ephemeral" and answer["replace_original"] is False
    body = texts(answer)
    assert "Results 1–1" in body
    assert "<https://arxiv.org/abs/2606.14721|" in body and "Zhigang Tu" in body
    save = answer["blocks"][-1]["elements"][-1]
    assert save["action_id"] == "academichub_save" and save["value"] == "2606.14721"


async def test_search_then_more_then_the_button(running: Running) -> None:
    first = await ask(running, "search operator learning")
    assert "Results 1–5" in texts(first)
    more = first["blocks"][-1]["elements"][0]
    assert more["action_id"] == "academichub_more"
    second = await ask(running, "more")
    assert "Results 6–10" in texts(second)
    assert "*06. <" in texts(second) and "*01. <" not in texts(second)  # the papers go on counting
    status, _, took = await running.command(
        action_body("academichub_more", "more", running.slack.response_url("more"))
    )
    assert status == 200 and took < ACK_LIMIT
    third = (await running.responses(3))[2]
    assert "Results 11–" in texts(third) and third["response_type"] == "ephemeral"


async def test_paper_by_id(running: Running) -> None:
    answer = await ask(running, "paper arXiv:2606.14721v1")
    assert "Paper 2606.14721" in texts(answer)
    assert "TL;DR:" in texts(answer)


async def test_subscribe_changes_the_channel_radar(running: Running, engine: Engine) -> None:
    answer = await ask(running, "subscribe cat:cs.LG")
    assert "Added `cat:cs.LG`" in texts(answer)
    info = engine.channels.info(f"slack:T0LAB/{CHANNEL}")
    assert info is not None and [r.text for r in info.rules] == ["cat:cs.LG"]


async def test_saved_is_empty_at_first(running: Running) -> None:
    answer = await ask(running, "saved")
    assert "reading list is empty" in texts(answer)


async def test_share_posts_in_channel(running: Running) -> None:
    answer = await ask(running, "author Zhigang Tu --share")
    assert answer["response_type"] == "in_channel"


@pytest.mark.parametrize("text", ["export docx <!channel>", "author", "schedule 25:99 Mars/Base"])
async def test_usage_errors_are_friendly(running: Running, text: str) -> None:
    answer = await ask(running, text)
    assert answer["response_type"] == "ephemeral"
    assert texts(answer).startswith("⚠️") and "— try `/papers" in texts(answer)
    assert "Traceback" not in texts(answer)


async def test_hostile_query_text_is_echoed_inert(running: Running) -> None:
    answer = await ask(running, "author <!channel> & <@U123> --share")
    assert answer["response_type"] == "in_channel"  # shared with everyone, so it must not ping anyone
    assert "&lt;!channel&gt;" in texts(answer) or "No papers" in texts(answer)


async def test_slack_escaped_text_reaches_the_core_unescaped(running: Running) -> None:
    answer = await ask(running, "export R&D<x>")
    assert "`R&amp;D&lt;x&gt;` is not an export format" in texts(
        answer
    )  # unescaped for the query, escaped again for display
    assert "&amp;amp;" not in texts(answer)


async def test_url_verification_challenge(running: Running) -> None:
    status, body, _ = await running.event(fixture("url_verification.json"))
    assert status == 200 and "valid_challenge_token" in body


async def test_healthz(running: Running, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    async with running.session.get(running.server.make_url("/healthz")) as resp:
        assert resp.status == 200
    monkeypatch.setattr(engine.db, "ping", lambda: False)
    async with running.session.get(running.server.make_url("/healthz")) as resp:
        assert resp.status == 503
