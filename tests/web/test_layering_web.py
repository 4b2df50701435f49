"""The web adapter keeps the layering of STYLE.md: no store, no Discord; Slack only to compose."""

from __future__ import annotations

from tests.test_layering import imports_of, modules


def test_the_web_adapter_never_imports_the_store_or_discord() -> None:
    paths = modules("adapters/web")
    assert paths
    for path in paths:
        names = imports_of(path)
        assert not {n for n in names if n.startswith(("bot.store", "adapters.discord", "discord"))}, path.name
        assert not {n for n in names if n.split(".")[0] == "sqlalchemy"}, path.name
