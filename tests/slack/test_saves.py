"""🔖 reactions, the Save button and exports, through signed events against the running app."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Callable

from bot.engine import Engine
from tests.fakes.slack_api import FakeSlack
from tests.slack.conftest import Running
from tests.slack.helpers import (
    ANN,
    BOB,
    CHANNEL,
    TEAM,
    action_body,
    reaction_added_body,
    reaction_removed_body,
    slash_body,
)
from tests.slack.test_digest import DAY, subscribe, thread

PAPER = "2606.14721"
RETRY = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}


def post_digest(engine: Engine, slack: FakeSlack) -> str:
    """Post the one-paper digest; returns the ts of its reply."""
    subscribe(engine, 'author:"Zhigang Tu"')
    engine.digests.post_all(channel=f"slack:{TEAM}/{CHANNEL}", day=DAY)
    [reply] = thread(slack)[1]
    return str(reply["ts"])


def saved(engine: Engine, user: str) -> list[str]:
    return [p.id for p in engine.library.saved(TEAM, user)]


async def until(check: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll a store condition off the loop (events are handled after their ack)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await asyncio.to_thread(check):
        assert asyncio.get_running_loop().time() < deadline, "condition not reached"
        await asyncio.sleep(0.02)


async def test_bookmark_reaction_saves_for_that_user_only(running: Running, engine: Engine) -> None:
    ts = post_digest(engine, running.slack)
    status, _, took = await running.event(reaction_added_body(ANN, CHANNEL, ts, "1781600100.000100"))
    assert status == 200 and took < 3
    await until(lambda: saved(engine, ANN) == [PAPER])
    assert saved(engine, BOB) == []


async def test_removal_unsaves_and_retries_change_nothing(running: Running, engine: Engine) -> None:
    ts = post_digest(engine, running.slack)
    added = reaction_added_body(ANN, CHANNEL, ts, "1781600100.000100")
    await running.event(added)
    await until(lambda: saved(engine, ANN) == [PAPER])
    status, _, _ = await running.event(added, headers=RETRY)  # Slack re-delivers the same event
    assert status == 200
    removed = reaction_removed_body(ANN, CHANNEL, ts, "1781600200.000200")
    await running.event(removed)
    await until(lambda: saved(engine, ANN) == [])
    for body in (added, removed):  # late re-deliveries of both: the latest event still wins
        status, _, _ = await running.event(body, headers=RETRY)
        assert status == 200
    marker = reaction_added_body(BOB, CHANNEL, ts, "1781600300.000300")  # handled after the retries
    await running.event(marker)
    await until(lambda: saved(engine, BOB) == [PAPER])
    await asyncio.sleep(0.2)
    assert saved(engine, ANN) == []


async def test_other_reactions_and_other_messages_are_ignored(running: Running, engine: Engine) -> None:
    ts = post_digest(engine, running.slack)
    await running.event(reaction_added_body(ANN, CHANNEL, ts, "1781600100.000100", reaction="thumbsup"))
    await running.event(reaction_added_body(ANN, CHANNEL, "1.000001", "1781600100.000200"))
    await running.event(reaction_added_body(BOB, CHANNEL, ts, "1781600100.000300"))
    await until(lambda: saved(engine, BOB) == [PAPER])
    await asyncio.sleep(0.2)
    assert saved(engine, ANN) == []


async def test_save_button_saves_and_remove_removes_even_when_replayed(
    running: Running, engine: Engine
) -> None:
    ts = post_digest(engine, running.slack)
    url = running.slack.response_url("save")
    # The same Save click twice (Slack re-signs a retry; an attacker's replay is refused with
    # 401, see test_security): the second never flips the save back.
    for n, at in ((1, time.time() - 2), (2, time.time() - 1)):
        body = action_body("academichub_save", PAPER, url, message_ts=ts)
        status, _, took = await running.command_at(body, at)
        assert status == 200 and took < 3
        answer = (await running.responses(n))[n - 1]
        assert (
            answer["text"].startswith("Saved to your reading list") and answer["response_type"] == "ephemeral"
        )
        assert saved(engine, BOB) == [PAPER]
    [remove] = answer["blocks"][-1]["elements"]
    assert remove["action_id"] == "academichub_unsave" and remove["value"] == PAPER
    for n in (3, 4):
        status, _, _ = await running.command_at(
            action_body(remove["action_id"], PAPER, url), time.time() - 4 + n
        )
        answer = (await running.responses(n))[n - 1]
        assert status == 200 and answer["text"].startswith("Removed from your reading list")
        assert saved(engine, BOB) == []
    assert answer["blocks"][-1]["elements"][0]["action_id"] == "academichub_save"


async def test_link_buttons_are_acknowledged(running: Running) -> None:
    status, _, _ = await running.command(
        action_body("academichub_open_pdf", "", running.slack.response_url())
    )
    assert status == 200


async def test_export_bibtex_arrives_as_a_file_in_the_users_dm(running: Running, engine: Engine) -> None:
    ts = post_digest(engine, running.slack)
    await running.event(reaction_added_body(ANN, CHANNEL, ts, "1781600100.000100"))
    await until(lambda: saved(engine, ANN) == [PAPER])
    status, _, took = await running.command(
        slash_body("export bibtex", running.slack.response_url(), user=ANN)
    )
    assert status == 200 and took < 3
    [note] = await running.responses(1)
    slack = running.slack
    assert [c.args["users"] for c in slack.calls_to("conversations.open")] == [ANN]
    [done] = slack.state.files
    assert done["channel"] == "D0ANN" and done["title"].endswith(".bib")
    content = slack.state.uploads[done["id"]].decode()
    assert content.lstrip().startswith("@") and "2606.14721" in content and "Tu, Zhigang" in content
    assert note["response_type"] == "ephemeral" and "direct message" in note["text"]


async def test_event_time_is_the_reaction_time(running: Running, engine: Engine) -> None:
    from adapters.slack.reactions import event_time

    assert event_time({"event_ts": "1781600100.5"}) == dt.datetime.fromtimestamp(1781600100.5, dt.UTC)
    assert event_time({"event_ts": "0000000000.000000"}) is not None
    assert event_time({}) is None


async def test_concurrent_reactions_are_all_kept(running: Running, engine: Engine) -> None:
    ts = post_digest(engine, running.slack)
    users = [f"U0R{i:03d}" for i in range(20)]
    bodies = [reaction_added_body(u, CHANNEL, ts, f"17816001{i:02d}.000100") for i, u in enumerate(users)]
    results = await asyncio.gather(*(running.event(b) for b in bodies))
    assert {status for status, _, _ in results} == {200}
    await until(lambda: all(saved(engine, u) == [PAPER] for u in users), timeout=10)
