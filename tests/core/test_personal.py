"""Personal radars in the core: the shared TL;DR cache, briefings only from 5 papers, digests due
together summarised together, and `console:@me` through the command line."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.config import ChannelConfig
from bot.digests import UnknownChannel
from bot.engine import Engine
from bot.models import Caller, Digest
from bot.presentation import parent_title
from bot.radar import parse_rule
from bot.scheduler import Scheduler
from tests.conftest import CLOSED_PORT_URL
from tests.core.test_cli import EXE
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.poster import PlatformState, RecordingPoster
from tests.feeds import GROHS, Item, write_feed

DAY = dt.date(2026, 6, 16)
LAB = ChannelConfig(platform="console", id="lab", name="ml-papers", radar=["cat:cs.LG"])
BATCH = 4


def items() -> list[Item]:
    """Grohs, six operator papers by Ada Lovelace, two each by three other people (all cs.LG)."""
    out = [GROHS]
    out += [
        Item(id=f"2606.2100{i}", title=f"Operator learning {i}", creators="Ada Lovelace") for i in range(6)
    ]
    for n, who in enumerate(("Carl Runge", "Vera Rubin", "Emmy Noether")):
        out += [Item(id=f"2606.22{n}0{i}", title=f"Study {n}.{i}", creators=who) for i in range(2)]
    return out


def llm_engine(
    factory: Callable[..., Engine], url: str, fake: FakeOpenAI, tmp_path: Path, **kw: object
) -> Engine:
    engine = factory(
        url,
        OPENAI_API_KEY="sk-test",
        OPENAI_BASE_URL=fake.base_url,
        ACADEMICHUB_LLM_BATCH=str(BATCH),
        ACADEMICHUB_LLM_TIMEOUT="2",
        **kw,
    )
    engine.ingest([write_feed(tmp_path / "day.xml", items(), DAY)])
    engine.digests.register_poster("console", lambda info: RecordingPoster(PlatformState()))
    return engine


def me(engine: Engine, user: str, *texts: str) -> None:
    for text in texts:
        reply = engine.handle(text, Caller("console", "local", "lab", user))
        assert not reply.error and reply.ephemeral, reply.text


def test_a_person_reuses_the_channels_tldrs_and_gets_a_briefing_only_from_five_papers(
    db_url: str, engine_factory: Callable[..., Engine], tmp_path: Path
) -> None:
    with FakeOpenAI() as fake:
        engine = llm_engine(engine_factory, db_url, fake, tmp_path, channels=[LAB])
        [lab] = engine.digests.post_all(channel="console:lab", day=DAY)
        assert len(lab.entries) == 13 and lab.briefing.startswith("Model briefing")
        tldr, brief = len(fake.requests_of("tldr")), len(fake.requests_of("briefing"))
        assert (tldr, brief) == (4, 1)  # ⌈13 / 4⌉ and the channel's briefing
        me(engine, "ann", 'subscribe --me author:"Philipp Grohs"')
        me(engine, "bob", "subscribe --me keyword:operator")
        digests = {d.channel: d for d in engine.digests.post_all(day=DAY)}
        ann, bob = digests["console:@ann"], digests["console:@bob"]
        assert [e.paper.id for e in ann.entries] == ["2606.16028"] and ann.briefing == ""
        assert len(bob.entries) == 7 and bob.briefing.startswith("Model briefing")  # 6 + Grohs
        assert all(e.tldr.startswith("Model TL;DR") for e in ann.entries + bob.entries)
        assert len(fake.requests_of("tldr")) == tldr  # summarised for the channel, not again
        assert len(fake.requests_of("briefing")) == brief + 1  # Bob has 7 papers; Ann, with 1, none
        assert parent_title(ann) == "📚 1 paper on your radar · Tue 16 Jun 2026"
        assert parent_title(bob) == "📚 7 papers on your radar · Tue 16 Jun 2026"


def test_personal_digests_due_together_are_summarised_together(
    sqlite_url: str, engine_factory: Callable[..., Engine], tmp_path: Path
) -> None:
    with FakeOpenAI() as fake:
        engine = llm_engine(engine_factory, sqlite_url, fake, tmp_path)
        for user, who in (("ann", "Carl Runge"), ("bob", "Vera Rubin"), ("cy", "Emmy Noether")):
            me(engine, user, f'subscribe --me author:"{who}"', "schedule --me 08:00 Europe/Vienna")
        posted = Scheduler(engine).tick(dt.datetime(2026, 6, 16, 6, 0, tzinfo=dt.UTC))
        assert posted == 3 * 3  # three DMs of a header and two papers
        # Six unique papers in ⌈6 / 4⌉ = 2 requests (one round per member would be 3), no briefings.
        assert len(fake.requests_of("tldr")) == 2 and fake.requests_of("briefing") == []


def test_a_personal_digest_title_names_no_channel() -> None:
    digest = Digest(channel="slack:T0LAB/@U0ALICE", date=DAY, total=4, channel_name="ml-papers")
    assert parent_title(digest) == "📚 4 papers on your radar · Tue 16 Jun 2026"
    assert Digest(channel="console:lab", date=DAY, total=4).person is None


def test_console_me_from_the_terminal_to_digest_json(sqlite_url: str, tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": sqlite_url, "ACADEMICHUB_ARXIV_API_URL": CLOSED_PORT_URL}
    env.pop("OPENAI_API_KEY", None)
    env["ACADEMICHUB_CONFIG"] = str(tmp_path / "none.toml")
    (tmp_path / "none.toml").write_text(
        '[[channels]]\nplatform = "console"\nid = "lab"\nradar = ["cat:cs.LG"]\n', encoding="utf-8"
    )

    def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [EXE, *args], input=stdin, env=env, capture_output=True, text=True, timeout=120, check=True
        )

    cli("fetch", "-s", write_feed(tmp_path / "day.xml", items(), DAY))
    typed = cli("run", "console", stdin='/papers subscribe --me author:"Philipp Grohs"\n/papers radar --me\n')
    assert "Added to your radar" in typed.stdout and "Philipp Grohs" in typed.stdout
    mine = cli("digest", "--channel", "console:@me", "--date", "2026-06-16", "--json")
    [digest] = json.loads(mine.stdout)["digests"]
    assert digest["channel"] == "console:@me" and digest["posted"] == 2
    assert [p["id"] for p in digest["papers"]] == ["2606.16028"]
    assert "📚 1 paper on your radar · Tue 16 Jun 2026" in mine.stderr
    listed = json.loads(cli("digest", "--date", "2026-06-16", "--json", "--dry-run").stdout)["digests"]
    assert [d["channel"] for d in listed] == ["console:@me", "console:lab"]


def test_an_unknown_channel_error_lists_channels_not_people(sqlite_engine: Engine) -> None:
    sqlite_engine.channels.subscribe("console:lab", parse_rule("cat:cs.LG"))
    me(sqlite_engine, "ann", 'subscribe --me author:"Philipp Grohs"')
    with pytest.raises(UnknownChannel) as err:
        sqlite_engine.digests.post_all(channel="console:nowhere", day=DAY)
    assert "console:lab" in str(err.value) and "@" not in str(err.value)
    reply = sqlite_engine.handle("radar", Caller("console", "local", "lab", "bob"))
    assert "Grohs" not in reply.text  # the channel's radar holds nobody's personal rules


def test_a_preview_selects_as_a_build_does_but_records_posts_and_asks_nothing(
    db_url: str, engine_factory: Callable[..., Engine], tmp_path: Path
) -> None:
    """The lab page's read of a day: `Digests.preview`, the build's own selection, read-only."""
    with FakeOpenAI() as fake:
        engine = llm_engine(engine_factory, db_url, fake, tmp_path, channels=[LAB])
        me(engine, "ann", 'subscribe --me author:"Philipp Grohs"')
        me(engine, "bob", "subscribe --me keyword:operator")
        infos = {key: engine.channels.info(key) for key in ("console:lab", "console:@ann", "console:@bob")}
        lab_info = infos["console:lab"]
        assert lab_info is not None
        previews = {key: engine.digests.preview(info, DAY) for key, info in infos.items() if info}
        assert fake.request_count == 0 and engine.digest_archive("console:lab") == []
        lab, ann, bob = previews.values()
        assert lab.id is None and len(lab.entries) == 13 and lab.briefing  # extractive
        assert all(e.tldr and not e.tldr.startswith("Model") for e in lab.entries)
        assert [e.paper.id for e in ann.entries] == ["2606.16028"] and ann.briefing == ""  # under 5
        assert len(bob.entries) == 7 and bob.briefing and not bob.briefing.startswith("Model")
        built = {d.channel: d for d in engine.digests.build_each([(i, DAY) for i in infos.values() if i])}
        for key, preview in previews.items():
            assert [e.paper.id for e in preview.entries] == [e.paper.id for e in built[key].entries]
        [posted] = engine.digests.post_all(channel="console:lab", day=DAY)
        requests = fake.request_count
        again = engine.digests.preview(lab_info, DAY)
        assert again.id is not None and again.id == posted.id  # the recorded digest, as recorded
        assert again.briefing == posted.briefing and again.briefing.startswith("Model briefing")
        assert [e.paper.id for e in again.entries] == [e.paper.id for e in posted.entries]
        assert fake.request_count == requests
