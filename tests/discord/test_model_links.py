"""A model that obeys an abstract asking for links: what Discord receives has only our links."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

from bot.query import parse
from tests.discord.conftest import BUNDLED_DAY, DAY, KEY, make_engine, make_settings, start_bot
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.openai_server import FakeOpenAI

URL_RE = re.compile(r"https?://[^\s)>\"\\]+|www\.\S+|[a-z0-9-]+\.example\S*", re.IGNORECASE)
OURS = re.compile(r"^https://arxiv\.org/(abs|pdf)/\d{4}\.\d{4,5}(v\d+)?$")


async def test_digest_with_a_link_posting_model_carries_only_our_links(
    tmp_path: Path, fake: FakeDiscord
) -> None:
    with FakeOpenAI(mode="links") as model:
        settings = make_settings(tmp_path, fake, OPENAI_API_KEY="sk-test", OPENAI_BASE_URL=model.base_url)
        engine = make_engine(settings, BUNDLED_DAY)
        rule = parse("subscribe cat:cs.GR").rule
        assert rule is not None
        engine.channels.subscribe(KEY, rule)
        bot = await start_bot(engine)
        try:
            [digest] = await asyncio.to_thread(engine.digests.post_all, KEY, DAY)
        finally:
            await bot.close()
            engine.close()
        assert model.requests_of("tldr")
    posts = [r.payload for r in fake.requests if r.method == "POST" and r.path.endswith("/messages")]
    sent = json.dumps(posts, ensure_ascii=False)
    assert posts and "evil.example" not in sent and "www." not in sent
    for url in URL_RE.findall(sent):
        assert OURS.match(url), f"a link we did not build: {url}"
    assert digest.entries[0].tldr == "Operator learning for elliptic PDEs, for everyone."
    assert "Operator learning for elliptic PDEs, for everyone." in sent
