"""Slack requests as Slack sends them: real fixture bodies, changed only where a test needs, signed."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

from tests.fakes.feed_server import fixtures_root

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"  # the signing secret of Slack's docs example
TEAM, CHANNEL, BOB, ANN = "T0LAB", "C0PAPERS", "U0BOB", "U0ANN"
CHANNEL_KEY = f"slack:{TEAM}/{CHANNEL}"
MENTIONS = ("<!channel", "<!here", "<!everyone", "<@U", "<!subteam")


def fixture(name: str) -> str:
    return (fixtures_root() / "platforms" / "slack" / name).read_text(encoding="utf-8")


def fixture_path(name: str) -> Path:
    return fixtures_root() / "platforms" / "slack" / name


def signature(secret: str, timestamp: str, body: str) -> str:
    """`v0=` HMAC-SHA256 of `v0:{timestamp}:{body}`, exactly as Slack signs a request."""
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(
    body: str, content_type: str, secret: str = SECRET, at: float | None = None
) -> dict[str, str]:
    timestamp = str(int(time.time() if at is None else at))
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature(secret, timestamp, body),
    }


def slash_body(text: str, response_url: str, user: str = BOB, channel: str = CHANNEL) -> str:
    """The opsdroid capture with our command, text, user, channel, team and response_url."""
    fields = dict(parse_qsl(fixture("slash_command_opsdroid.txt").rstrip("\n"), keep_blank_values=True))
    fields |= {
        "team_id": TEAM,
        "team_domain": "lab",
        "channel_id": channel,
        "channel_name": "ml-papers",
        "user_id": user,
        "command": "/papers",
        "text": text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"),  # as Slack escapes it
        "response_url": response_url,
    }
    return urlencode(fields)


def action_body(action_id: str, value: str, response_url: str, user: str = BOB, message_ts: str = "") -> str:
    """The opsdroid block_actions capture, clicked by `user` on our button."""
    raw = fixture("block_actions_button_opsdroid.txt").rstrip("\n")
    payload: dict[str, Any] = json.loads(dict(parse_qsl(raw))["payload"])
    payload["user"] |= {"id": user, "team_id": TEAM}
    payload["team"] = {"id": TEAM, "domain": "lab"}
    payload["channel"] = {"id": CHANNEL, "name": "ml-papers"}
    payload["container"] |= {
        "channel_id": CHANNEL,
        "message_ts": message_ts or payload["container"]["message_ts"],
    }
    payload["response_url"] = response_url
    action = payload["actions"][0] | {"action_id": action_id, "value": value, "block_id": "b1"}
    payload["actions"] = [action]
    return "payload=" + quote(json.dumps(payload), safe="")


def reaction_added_body(user: str, channel: str, ts: str, event_ts: str, reaction: str = "bookmark") -> str:
    """The 2016 reaction_added envelope, on our message, by `user`."""
    body = json.loads(fixture("event_callback_reaction_added_2016.json"))
    body["team_id"] = TEAM
    body["event"] |= {"user": user, "reaction": reaction, "event_ts": event_ts, "item_user": "U0BOT"}
    body["event"]["item"] = {"type": "message", "channel": channel, "ts": ts}
    return json.dumps(body)


def reaction_removed_body(user: str, channel: str, ts: str, event_ts: str, reaction: str = "bookmark") -> str:
    """The java-sdk reaction_removed shape (modern envelope), its blanks filled in."""
    body = json.loads(fixture("event_callback_reaction_removed_shape_sample_javasdk.json"))
    body |= {"team_id": TEAM, "api_app_id": "A0HUB", "event_id": f"Ev{event_ts.replace('.', '')}"}
    body |= {"event_time": int(float(event_ts)), "enterprise_id": None, "context_enterprise_id": None}
    body["event"] |= {"user": user, "reaction": reaction, "event_ts": event_ts, "item_user": "U0BOT"}
    body["event"]["item"] = {"type": "message", "channel": channel, "ts": ts}
    body["authorizations"] = [{"enterprise_id": None, "team_id": TEAM, "user_id": "U0BOT", "is_bot": True}]
    return json.dumps(body)


def strings(value: Any) -> list[str]:
    """Every string inside a JSON-like value (to check what was posted for mentions)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


def live_mentions(value: Any) -> list[str]:
    return [s for s in strings(value) if any(m in s for m in MENTIONS)]


HOSTILE_ITEM = """    <item>
      <title>{title}</title>
      <link>https://arxiv.org/abs/{id}</link>
      <description>arXiv:{id}v1 Announce Type: new
Abstract: {abstract}</description>
      <guid isPermaLink="false">oai:arXiv.org:{id}v1</guid>
      <category>cs.LG</category>
      <pubDate>Tue, 16 Jun 2026 00:00:00 -0400</pubDate>
      <arxiv:announce_type>new</arxiv:announce_type>
      <dc:rights>http://arxiv.org/licenses/nonexclusive-distrib/1.0/</dc:rights>
      <dc:creator>{authors}</dc:creator>
    </item>
"""


def hostile_feed(path: Path) -> Path:
    """An arXiv RSS day (the real item shape) whose titles, authors and abstracts try to ping people."""
    items = [
        HOSTILE_ITEM.format(
            id="2606.99901",
            title="Attention &lt;!channel&gt; &amp; &lt;@U123&gt; is all you need &lt;!subteam^S1&gt; @here",
            abstract="We show &lt;!here&gt; that &lt;!everyone&gt; &amp; @channel need &lt;@U0BOB|bob&gt; "
            "&lt;https://evil.example|click&gt; operator learning. " * 3,
            authors="Mallory Tester, Eve &lt;!channel&gt; Adversary, Trudy &amp; Co",
        ),
        HOSTILE_ITEM.format(
            id="2606.99902",
            title="A " + "very " * 200 + "long title by &lt;!everyone&gt;",
            abstract="Short abstract about &lt;!subteam^S1|@team&gt; graphs.",
            authors=", ".join(["Mallory Tester"] + [f"Author{i} Name{i}" for i in range(30)]),
        ),
    ]
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'version="2.0">\n  <channel>\n    <title>cs.LG updates on arXiv.org</title>\n'
        "    <link>http://rss.arxiv.org/rss/cs.LG</link>\n"
        "    <description>cs.LG updates on the arXiv.org e-print archive.</description>\n"
        "    <pubDate>Tue, 16 Jun 2026 00:00:00 -0400</pubDate>\n"
    )
    path.write_text(head + "".join(items) + "  </channel>\n</rss>\n", encoding="utf-8")
    return path
