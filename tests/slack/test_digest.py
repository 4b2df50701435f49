"""The daily thread through the Web API stand-in: Block Kit, metadata, escaping, exactly-once."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from bot.engine import Engine
from bot.query import parse
from tests.fakes.slack_api import FakeSlack
from tests.slack.helpers import CHANNEL, CHANNEL_KEY, hostile_feed, live_mentions

DAY = dt.date(2026, 6, 16)


def subscribe(engine: Engine, *rules: str) -> None:
    for text in rules:
        rule = parse(f"subscribe {text}").rule
        assert rule is not None
        engine.channels.subscribe(CHANNEL_KEY, rule)


def thread(slack: FakeSlack) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(parents, replies) the stand-in holds for the channel."""
    messages = slack.messages(CHANNEL)
    return [m for m in messages if "thread_ts" not in m], [m for m in messages if "thread_ts" in m]


def paper_ids(replies: list[dict[str, Any]]) -> Counter[str]:
    return Counter(m["metadata"]["event_payload"]["paper_id"] for m in replies)


def test_digest_posts_one_parent_and_one_reply_per_paper(engine: Engine, slack: FakeSlack) -> None:
    subscribe(engine, "cat:cs.LG")
    [digest] = engine.digests.post_all(channel=CHANNEL_KEY, day=DAY)
    parents, replies = thread(slack)
    assert len(parents) == 1 and len(replies) == len(digest.entries) == 25
    assert digest.posted == 26
    parent = parents[0]
    assert parent["metadata"] == {
        "event_type": "academichub_digest",
        "event_payload": {"digest": f"{CHANNEL_KEY}|2026-06-16"},
    }
    header = parent["blocks"][0]
    assert header["type"] == "header"
    assert header["text"]["text"].startswith("📚 AcademicHub · Tue 16 Jun 2026 ·")
    assert header["text"]["text"].endswith("for #ml-papers")  # the name from conversations.info
    assert f"{digest.total} papers match; 25 here" in str(parent["blocks"][-2])
    assert parent["blocks"][-1]["elements"][0]["text"]["text"] == "Show more"
    assert {m["thread_ts"] for m in replies} == {parent["ts"]}
    assert list(paper_ids(replies)) == [e.paper.id for e in digest.entries]
    assert all(m["metadata"]["event_payload"]["digest"] == f"{CHANNEL_KEY}|2026-06-16" for m in replies)
    for call in slack.calls_to("chat.postMessage"):
        assert call.args["unfurl_links"] is False and call.args["unfurl_media"] is False
        assert "link_names" not in call.args
    assert engine.paper_for_message(f"{CHANNEL}/{replies[0]['ts']}") == digest.entries[0].paper.id


def test_reply_shows_the_paper_as_the_console_does(engine: Engine, slack: FakeSlack) -> None:
    subscribe(engine, 'author:"Zhigang Tu"')
    [digest] = engine.digests.post_all(channel=CHANNEL_KEY, day=DAY)
    [reply] = thread(slack)[1]
    text = reply["blocks"][0]["text"]["text"]
    assert text.startswith("*01. <https://arxiv.org/abs/2606.14721|")
    assert "Hequan Wang, Jiaxu Zhang, Zhengbo Zhang, *Zhigang Tu*" in text  # radar match in bold
    assert "_arXiv cs.CV · 2026-06-16 · cross-list from cs.GR_" in text
    assert f"TL;DR: {digest.entries[0].tldr[:40]}" in text
    buttons = reply["blocks"][1]["elements"]
    assert [b["text"]["text"] for b in buttons] == ["abs", "pdf", "🔖 Save"]
    assert buttons[2] == buttons[2] | {"action_id": "academichub_save", "value": "2606.14721"}


def test_a_channel_the_bot_has_not_joined_is_joined_to_read_history(engine: Engine, slack: FakeSlack) -> None:
    slack.state.outside.add(CHANNEL)  # posting works through chat:write.public; reading needs membership
    subscribe(engine, 'author:"Zhigang Tu"')
    [digest] = engine.digests.post_all(channel=CHANNEL_KEY, day=DAY)
    assert digest.posted == 2 and [c.args["channel"] for c in slack.calls_to("conversations.join")] == [
        CHANNEL
    ]


def test_outside_text_is_escaped_everywhere(engine: Engine, slack: FakeSlack, tmp_path: Path) -> None:
    engine.ingest([str(hostile_feed(tmp_path / "hostile.xml"))])
    subscribe(engine, 'author:"Mallory Tester"')
    [digest] = engine.digests.post_all(channel=CHANNEL_KEY, day=DAY)
    assert len(digest.entries) == 2
    posted = [c.args for c in slack.calls_to("chat.postMessage")]
    assert len(posted) == 3
    assert live_mentions(posted) == []
    first = next(m for m in thread(slack)[1] if m["metadata"]["event_payload"]["paper_id"] == "2606.99901")
    text = first["blocks"][0]["text"]["text"]
    assert "Attention &lt;!channel&gt; &amp; &lt;@U123&gt; is all you need &lt;!subteam^S1&gt;" in text
    assert "Eve &lt;!channel&gt; Adversary, Trudy &amp; Co" in text
    assert "&lt;!channel&gt;" in first["text"]  # the notification fallback too
    long = next(m for m in thread(slack)[1] if m["metadata"]["event_payload"]["paper_id"] == "2606.99902")
    assert long["blocks"][0]["text"]["text"].count(",") == 8 and "et al." in long["blocks"][0]["text"]["text"]


def test_killed_mid_thread_then_rerun_posts_each_paper_once(engine: Engine, slack: FakeSlack) -> None:
    subscribe(engine, "keyword:operator", 'author:"Zhigang Tu"')
    for answered in (0, 2, 3):  # die on the parent, then on the 2nd reply, then on the 3rd
        slack.crash_after_posts(answered)
        with pytest.raises(OSError):
            engine.digests.post_all(channel=CHANNEL_KEY, day=DAY)
        slack.recover()
    [digest] = engine.digests.post_all(channel=CHANNEL_KEY, day=DAY)
    parents, replies = thread(slack)
    assert len(parents) == 1
    assert paper_ids(replies) == Counter(e.paper.id for e in digest.entries)
    assert max(paper_ids(replies).values()) == 1 and len(replies) >= 4
    again = engine.digests.post_all(channel=CHANNEL_KEY, day=DAY)
    assert again[0].posted == 0 and len(slack.messages(CHANNEL)) == 1 + len(replies)


def test_a_lost_answer_is_found_in_the_thread_not_posted_twice(engine: Engine, slack: FakeSlack) -> None:
    subscribe(engine, "keyword:operator")
    slack.crash_after_posts(2, sticky=False)  # the 2nd reply reaches Slack but its answer is lost
    [digest] = engine.digests.post_all(channel=CHANNEL_KEY, day=DAY)
    parents, replies = thread(slack)
    assert len(parents) == 1 and len(replies) == len(digest.entries)
    assert max(paper_ids(replies).values()) == 1


def test_rate_limited_posts_wait_out_retry_after(engine: Engine, slack: FakeSlack) -> None:
    subscribe(engine, 'author:"Zhigang Tu"')
    slack.rate_limit(2, retry_after=1, method="chat.postMessage")
    started = time.monotonic()
    [digest] = engine.digests.post_all(channel=CHANNEL_KEY, day=DAY)
    assert time.monotonic() - started >= 2.0  # two Retry-After: 1 answers, each waited out
    calls = slack.calls_to("chat.postMessage")
    assert len(calls) == 4  # 2 refused + parent + 1 reply
    parents, replies = thread(slack)
    assert len(parents) == 1 and len(replies) == len(digest.entries) == 1


def test_poster_paces_messages_per_channel(engine: Engine, slack: FakeSlack) -> None:
    from adapters.slack.poster import SlackPoster, web_client

    waits: list[float] = []
    now = [100.0]
    poster = SlackPoster(
        web_client("xoxb-test", slack.url), CHANNEL, pace=1.0, clock=lambda: now[0], sleep=waits.append
    )
    subscribe(engine, "keyword:operator")
    engine.digests.register_poster("slack", lambda info: poster)
    [digest] = engine.digests.post_all(channel=CHANNEL_KEY, day=DAY)
    assert len(waits) == len(digest.entries)  # every message after the first waits its turn
    assert all(w == pytest.approx(1.0) for w in waits)
