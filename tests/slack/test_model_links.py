"""A model that obeys an abstract asking for links: what Slack receives has only our links."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from bot.summarize.sanitize import plain_text
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.slack_api import FakeSlack
from tests.slack.conftest import make_engine, poster_for
from tests.slack.helpers import CHANNEL, CHANNEL_KEY, strings
from tests.slack.test_digest import DAY, subscribe, thread

URL_RE = re.compile(r"https?://[^\s|>\"]+|www\.\S+|[a-z0-9-]+\.example\S*", re.IGNORECASE)
OURS = re.compile(r"^https://arxiv\.org/(abs|pdf)/\d{4}\.\d{4,5}(v\d+)?$")


def test_digest_with_a_link_posting_model_carries_only_our_links(
    demo_db: Path, tmp_path: Path, slack: FakeSlack
) -> None:
    db = tmp_path / "t.db"
    shutil.copy(demo_db, db)
    with FakeOpenAI(mode="links") as model:
        engine = make_engine(db, slack.url, OPENAI_API_KEY="sk-test", OPENAI_BASE_URL=model.base_url)
        try:
            engine.digests.register_poster("slack", lambda info: poster_for(engine, info.key))
            subscribe(engine, "cat:cs.LG")
            [digest] = engine.digests.post_all(channel=CHANNEL_KEY, day=DAY)
        finally:
            engine.close()
        assert model.requests_of("tldr") and model.requests_of("briefing")
    parents, replies = thread(slack)
    posted = json.dumps(slack.messages(CHANNEL))
    assert "evil.example" not in posted and "www." not in posted
    for text in strings(slack.messages(CHANNEL)):
        for url in URL_RE.findall(text):
            assert OURS.match(url), f"a link we did not build: {url}"
    tldrs = [e.tldr for e in digest.entries]
    assert tldrs[0] == "Operator learning for elliptic PDEs, for everyone."
    assert "Operator learning for elliptic PDEs, for everyone." in json.dumps(replies[0]["blocks"])
    assert tldrs[1] == plain_text(tldrs[1]) and "steal" not in tldrs[1]  # mostly link: extractive
    assert "Two threads this week [1] [2]; all papers." in json.dumps(parents[0]["blocks"])
