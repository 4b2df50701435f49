"""The web adapter keeps the layering of STYLE.md: no store, no Discord, no SQLAlchemy."""

from __future__ import annotations

from tests.layering import import_graph
from tests.test_layering import PACKAGES, REPO


def test_the_web_adapter_never_imports_the_store_or_discord() -> None:
    _, found = import_graph(REPO, PACKAGES)
    web = [i for i in found if i.importer.startswith("adapters.web")]
    assert web, "the checker sees the web adapter's imports"
    forbidden = ("bot.store", "adapters.discord", "discord", "sqlalchemy")
    assert [f"{i.importer} -> {i.target}" for i in web if i.target.startswith(forbidden)] == []
