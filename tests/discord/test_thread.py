"""The daily thread over REST: one parent, one thread, one embed per paper, exactly once, mention-safe."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import discord
import pytest

from adapters.discord import DiscordPlatform
from adapters.discord.render import paper_id_from_marker
from bot.engine import Engine
from bot.radar import parse_rule
from tests.discord.conftest import CHANNEL, DAY, KEY, make_engine, make_settings
from tests.fakes.discord_api import FakeDiscord

SENDS = r"/channels/\d+/messages"
RAW_MENTION = re.compile(r"@everyone|@here|<@[!&]?\d+>", re.IGNORECASE)


@pytest.fixture
def platform() -> Iterator[DiscordPlatform]:
    plugin = DiscordPlatform()
    yield plugin
    plugin.close()


def post(engine: Engine, platform: DiscordPlatform) -> int:
    """What the scheduler does: build and post the channel's digest through the platform's poster."""
    engine.digests.register_poster("discord", lambda info: platform.poster(engine, info))
    return engine.digests.post_all(channel=KEY, day=DAY)[0].posted


def thread_of(fake: FakeDiscord) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    parents = [m for m in fake.history(CHANNEL) if "thread" in m]
    assert len(parents) == 1
    return parents[0], fake.history(parents[0]["thread"]["id"])


def ids_in(messages: list[dict[str, Any]]) -> list[str]:
    return [paper_id_from_marker(m["embeds"][0]["footer"]["text"]) or "" for m in messages]


def texts(message: dict[str, Any]) -> list[str]:
    out = [message.get("content") or ""]
    for embed in message.get("embeds", []):
        out += [embed.get("title") or "", embed.get("description") or "", embed["footer"]["text"]]
        out += [f["value"] for f in embed.get("fields", [])]
    return out


def test_one_parent_one_thread_one_message_per_paper(
    engine: Engine, fake: FakeDiscord, platform: DiscordPlatform
) -> None:
    digest = engine.build_digests(channel=KEY, day=DAY)[0]
    assert post(engine, platform) == len(digest.entries) + 1
    parent, replies = thread_of(fake)
    assert parent["content"].startswith("📚 AcademicHub · Tue 16 Jun 2026 · 13 new papers for #test2")
    assert "React 🔖 to save a paper · /papers more" in parent["content"]
    assert parent["embeds"][0]["footer"]["text"] == "AcademicHub digest 2026-06-16"
    assert len(fake.sent("POST", r"/channels/\d+/messages/\d+/threads")) == 1
    assert ids_in(replies) == [e.paper.id for e in digest.entries]
    first = replies[0]["embeds"][0]
    assert (
        first["title"].startswith("01. Nemotron 3 Ultra")
        and first["url"] == "https://arxiv.org/abs/2606.15007"
    )
    assert first["footer"]["text"] == "arXiv 2606.15007 · AcademicHub"
    buttons = replies[0]["components"][0]["components"]
    assert [b.get("label") for b in buttons] == ["abs", "pdf", "Save"]
    assert buttons[2]["custom_id"] == "academichub:save:2606.15007"
    assert all(r.payload["allowed_mentions"] == {"parse": []} for r in fake.sent("POST", SENDS))
    assert post(engine, platform) == 0, "a digest already posted is not posted again"


def test_embeds_stay_within_discord_limits(
    engine: Engine, fake: FakeDiscord, platform: DiscordPlatform
) -> None:
    post(engine, platform)
    _, replies = thread_of(fake)
    nemotron = replies[0]["embeds"][0]  # 574 authors
    assert nemotron["description"].split("\n")[0].endswith(", et al.")
    assert nemotron["description"].split("\n")[0].count(", ") == 8
    for message in replies:
        embed = message["embeds"][0]
        assert len(embed["title"]) <= 256 and len(embed["description"]) <= 4096
        assert len(embed["footer"]["text"]) <= 2048 and sum(map(len, texts(message))) <= 6000


def test_over_long_title_and_abstract_are_cut_safely() -> None:
    from adapters.discord.render import fit_embeds, paper_embed
    from bot.models import Paper

    paper = Paper(
        id="2606.99999",
        title="Deep " * 200,
        authors=[f"A{i} B" for i in range(574)],
        abstract="x\\" * 6000,  # a cut must not leave a dangling backslash escape
        url="https://arxiv.org/abs/2606.99999",
        doi="10.1/" + "d" * 2000,
    )
    embeds = fit_embeds([paper_embed(paper, 1, "t" * 280, detail=True) for _ in range(3)])
    for embed in embeds:
        assert len(embed.title or "") <= 256 and (embed.title or "").endswith("…")
        assert len(embed.description or "") <= 4096 and not (embed.description or "").endswith("\\…")
        assert all(len(f.value or "") <= 1024 for f in embed.fields)
    assert sum(len(e) for e in embeds) <= 6000


ITEM = """<item><title>{title}</title><link>https://arxiv.org/abs/{id}</link>
<description>arXiv:{id}v1 Announce Type: new
Abstract: {abstract}</description><guid isPermaLink="false">oai:arXiv.org:{id}v1</guid>
<category>cs.LG</category><pubDate>Tue, 16 Jun 2026 00:00:00 -0400</pubDate>
<arxiv:announce_type>new</arxiv:announce_type><dc:rights>http://arxiv.org/licenses/nonexclusive-distrib/1.0/</dc:rights>
<dc:creator>{authors}</dc:creator></item>"""
FEED = """<?xml version='1.0' encoding='UTF-8'?>
<rss xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:dc="http://purl.org/dc/elements/1.1/" version="2.0">
<channel><title>cs.LG updates on arXiv.org</title><link>http://rss.arxiv.org/rss/cs.LG</link>
<description>cs.LG updates</description><pubDate>Tue, 16 Jun 2026 00:00:00 -0400</pubDate>
{items}</channel></rss>"""


def test_mentions_in_feeds_stay_inert(tmp_path: Path, fake: FakeDiscord, platform: DiscordPlatform) -> None:
    items = [
        ITEM.format(id="2606.90001", title="Attention @everyone: &lt;@123&gt; is all you need",
                    abstract="We ping @here and &lt;@&amp;456&gt; and &lt;@!789012345678901234&gt;.",
                    authors="Eve @everyone Smith, Bob Example"),
        ITEM.format(id="2606.90002", title="Role &lt;@&amp;456&gt; learning for @HERE",
                    abstract="Plain.", authors="Mallory &lt;@123&gt; Jones"),
    ]  # fmt: skip
    feed = tmp_path / "mentions.xml"
    feed.write_text(FEED.format(items="".join(items)), encoding="utf-8")
    engine = make_engine(make_settings(tmp_path, fake), feed)
    engine.channels.subscribe(KEY, parse_rule("cat:cs.LG"))
    assert post(engine, platform) == 3
    sends = fake.sent("POST", SENDS)
    assert len(sends) == 3
    for request in sends:
        assert request.payload["allowed_mentions"] == {"parse": []}
    _, replies = thread_of(fake)
    shown = " ".join(t for m in replies for t in texts(m))
    assert "everyone" in shown and "456" in shown, "the text is still readable"
    assert not RAW_MENTION.search(shown), RAW_MENTION.findall(shown)
    engine.close()


@pytest.mark.parametrize("keep", [True, False], ids=["sent-but-not-recorded", "refused"])
def test_poster_killed_mid_thread_then_rerun_posts_each_paper_once(
    engine: Engine, fake: FakeDiscord, platform: DiscordPlatform, keep: bool
) -> None:
    # After the parent and 3 papers, the 4th send "dies": with keep, Discord has it but we never heard back.
    fake.fail("POST", SENDS.replace(r"\d+", r"(?!" + CHANNEL + r")\d+"), after=3, times=1, keep=keep)
    with pytest.raises(discord.HTTPException):
        post(engine, platform)
    _, replies = thread_of(fake)
    assert len(replies) == (4 if keep else 3)
    post(engine, platform)
    _, replies = thread_of(fake)
    expected = [e.paper.id for e in engine.build_digests(channel=KEY, day=DAY)[0].entries]
    assert sorted(ids_in(replies)) == sorted(expected) and len(replies) == len(expected) == 13
    assert len([m for m in fake.history(CHANNEL)]) == 1


def test_parent_without_thread_is_found_and_threaded(
    engine: Engine, fake: FakeDiscord, platform: DiscordPlatform
) -> None:
    fake.fail("POST", r"/channels/\d+/messages/\d+/threads", status=403)
    with pytest.raises(discord.HTTPException):
        post(engine, platform)
    assert len(fake.history(CHANNEL)) == 1 and "thread" not in fake.history(CHANNEL)[0]
    fake.faults.clear()
    post(engine, platform)
    _, replies = thread_of(fake)
    assert len(fake.history(CHANNEL)) == 1 and len(replies) == 13
