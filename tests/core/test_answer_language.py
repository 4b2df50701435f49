"""A `/papers` answer's language: the channel's own, read alone (one query), else the setting."""

from __future__ import annotations

from bot.engine import Engine
from bot.models import Caller

ALICE = Caller(platform="slack", workspace="T0LAB", channel="C0PAPERS", user="U0ALICE")


def test_an_answer_is_in_the_channels_language_or_the_settings(engine: Engine) -> None:
    default = engine.settings.language
    assert engine.channels.language(ALICE.channel_key) is None  # no such channel yet
    assert engine.commands._language(ALICE) == default
    engine.channels.ensure(ALICE.channel_key)  # a channel with no language of its own
    assert engine.channels.language(ALICE.channel_key) is None
    assert engine.commands._language(ALICE) == default
    engine.channels.set_language(ALICE.channel_key, "de")
    assert engine.channels.language(ALICE.channel_key) == "de"
    assert engine.commands._language(ALICE) == "de"
    assert "`de`" in engine.handle("language", ALICE).text
    other = Caller(platform="slack", workspace="T0LAB", channel="C0OTHER", user="U0ALICE")
    assert engine.commands._language(other) == default  # one channel's language is its own
