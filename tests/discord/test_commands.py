"""`/papers` app commands: typed options become the one grammar; defer first, followup after."""

from __future__ import annotations

from adapters.discord import AcademicHubBot
from adapters.discord.cog import command_text
from adapters.discord.render import paper_id_from_marker
from bot.engine import Engine
from bot.models import Caller
from bot.query import parse
from tests.discord.conftest import ALICE, BOB, CHANNEL, GUILD, Gateway, start_bot
from tests.fakes.discord_api import FakeDiscord, Recorded

FOLLOWUP = r"/webhooks/\d+/[^/]+"


def shown_ids(followup: Recorded) -> list[str]:
    return [
        paper_id_from_marker((e.get("footer") or {}).get("text")) or "" for e in followup.payload["embeds"]
    ]


async def run_command(
    bot: AcademicHubBot, fake: FakeDiscord, gateway: Gateway, sub: str, **options: object
) -> Recorded:
    """Feed the INTERACTION_CREATE and return the followup the bot sent for it."""
    data = gateway.command(sub, dict(options))
    before = len(fake.sent("POST", FOLLOWUP))
    bot._connection.parse_interaction_create(data)
    followups = await fake.wait_for("POST", FOLLOWUP, count=before + 1)
    calls = [r for r in fake.requests if data["token"] in r.path]
    assert calls[0].path.endswith("/callback"), "the first REST call for an interaction is the defer"
    assert calls[0].payload["type"] == 5  # DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE
    return followups[-1]


async def test_queries_answer_with_the_papers_engine_handle_gives(
    bot: AcademicHubBot, fake: FakeDiscord, gateway: Gateway, engine: Engine
) -> None:
    other = Caller("discord", GUILD, CHANNEL, BOB)
    for sub, options, text in [
        ("author", {"name": "Zhigang Tu"}, "author Zhigang Tu"),
        ("search", {"query": "reinforcement learning -survey"}, "search reinforcement learning -survey"),
        ("cat", {"category": "cs.GR"}, "cat cs.GR"),
    ]:
        followup = await run_command(bot, fake, gateway, sub, **options)
        expected = engine.handle(text, other)
        assert expected.papers and not expected.error
        assert shown_ids(followup) == [p.id for p in expected.papers]
        assert followup.payload["flags"] & 64, "answers are ephemeral unless shared"
        assert followup.payload["allowed_mentions"] == {"parse": []}


def test_options_become_the_one_grammar() -> None:
    """Each subcommand's options give the text a Slack user would type, parsed by the same parser."""
    cases: list[tuple[tuple[str, str | int | None], str]] = [
        (("author", "Philipp Grohs"), 'author "Philipp Grohs"'),
        (("author", "P. Grohs cat:math.NA"), "author P. Grohs cat:math.NA"),
        (
            ("search", 'operator "shared representation" -survey'),
            'search operator "shared representation" -survey',
        ),
        (("cat", "math.na"), "cat math.NA"),
        (("paper", "https://arxiv.org/abs/2606.16028v2"), "paper 2606.16028"),
        (("export", "csl-json"), "export csl-json"),
        (("subscribe", 'author:"Philipp Grohs"'), 'subscribe author:"Philipp Grohs"'),
        (("unsubscribe", 2), "unsubscribe 2"),
        (("schedule", "09:00 Europe/Vienna"), "schedule 09:00 Europe/Vienna"),
        (("language", None), "language"),
        (("help", "author"), "help author"),
    ]
    for (name, value), slack_text in cases:
        assert parse(command_text(name, value)) == parse(slack_text)


async def test_shared_answers_are_public(bot: AcademicHubBot, fake: FakeDiscord, gateway: Gateway) -> None:
    data = gateway.command("cat", {"category": "cs.GR", "share": True})
    bot._connection.parse_interaction_create(data)
    followup = (await fake.wait_for("POST", FOLLOWUP.replace("[^/]+", data["token"])))[0]
    defer = next(r for r in fake.requests if r.path.endswith(data["token"] + "/callback"))
    assert "flags" not in (defer.payload.get("data") or {}) and not followup.payload.get("flags", 0) & 64
    assert len(followup.payload["embeds"]) == 5


async def test_usage_errors_answer_with_a_sentence(
    bot: AcademicHubBot, fake: FakeDiscord, gateway: Gateway
) -> None:
    followup = await run_command(bot, fake, gateway, "cat", category="nonsense")
    assert "`nonsense` is not an arXiv category" in followup.payload["content"]
    assert "embeds" not in followup.payload or not followup.payload["embeds"]


async def test_commands_sync_globally_and_guild_scoped_for_development(
    bot: AcademicHubBot, fake: FakeDiscord, engine: Engine
) -> None:
    (sync,) = fake.sent("PUT", r"/applications/\d+/commands")
    (group,) = sync.json
    assert group["name"] == "papers" and group["contexts"] == [0] and group["integration_types"] == [0]
    subs = {o["name"]: o for o in group["options"]}
    assert set(subs) >= {"author", "search", "cat", "today", "more", "paper", "saved", "export", "radar",
                         "subscribe", "unsubscribe", "schedule", "language", "digest", "help"}  # fmt: skip
    assert subs["cat"]["options"][0]["autocomplete"] is True
    assert [c["value"] for c in subs["export"]["options"][0]["choices"]] == ["bibtex", "ris", "csl-json"]
    assert (
        subs["unsubscribe"]["options"][0]["type"] == 4 and subs["unsubscribe"]["options"][0]["min_value"] == 1
    )
    assert "share" not in {o["name"] for o in subs["export"]["options"]}, "a reading list is never shared"

    engine.settings.discord_guild_id = int(GUILD)
    dev = await start_bot(engine)
    await dev.close()
    (guild_sync,) = fake.sent("PUT", rf"/applications/\d+/guilds/{GUILD}/commands")
    assert guild_sync.json[0]["name"] == "papers"


async def test_category_autocomplete(bot: AcademicHubBot, fake: FakeDiscord, gateway: Gateway) -> None:
    data = gateway.command("cat", {"category": "graphics"}, kind=4, focused="category")
    bot._connection.parse_interaction_create(data)
    (callback,) = await fake.wait_for("POST", rf"/interactions/\d+/{data['token']}/callback")
    assert callback.payload["type"] == 8
    assert callback.payload["data"]["choices"] == [{"name": "cs.GR — Graphics", "value": "cs.GR"}]


async def test_export_is_an_ephemeral_file(
    bot: AcademicHubBot, fake: FakeDiscord, gateway: Gateway, engine: Engine
) -> None:
    alice = Caller("discord", GUILD, CHANNEL, ALICE)
    assert engine.save(alice, "2606.15007", True)
    followup = await run_command(bot, fake, gateway, "export", format="bibtex")
    (name,) = followup.files
    assert name.endswith(".bib") and b"2606.15007" in followup.files[name]
    assert followup.payload["flags"] & 64
    listed = await run_command(bot, fake, gateway, "saved")
    assert shown_ids(listed) == ["2606.15007"]


async def test_show_more_button_gives_the_next_batch(
    bot: AcademicHubBot, fake: FakeDiscord, gateway: Gateway, engine: Engine
) -> None:
    first = await run_command(bot, fake, gateway, "cat", category="cs.GR")
    rows = first.payload["components"]
    assert {"custom_id": "academichub:more"}.items() <= rows[-1]["components"][-1].items()
    message = fake.message(CHANNEL, first.payload) | {"flags": 64}
    click = gateway.click(message, "academichub:more")
    bot._connection.parse_interaction_create(click)
    (more,) = await fake.wait_for("POST", FOLLOWUP.replace("[^/]+", click["token"]))
    expected = engine.search("cat cs.GR", limit=5, offset=5)
    assert shown_ids(more) == [p.id for p in expected] and expected
    assert more.payload["embeds"][0]["title"].startswith("06. ")  # the papers go on counting
    labels = [b["label"] for row in more.payload["components"] for b in row["components"]]
    assert "Save 6" in labels and "Save 1" not in labels
