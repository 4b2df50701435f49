"""The architecture, checked: the core never imports a platform; adapters never import each other
or the store (STYLE.md, dependency direction)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PLATFORM_PACKAGES = ("adapters", "slack_bolt", "slack_sdk", "discord")


def imports_of(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def modules(folder: str) -> list[Path]:
    return sorted((REPO / folder).rglob("*.py"))


@pytest.mark.parametrize("path", modules("bot"), ids=lambda p: str(p.relative_to(REPO)))
def test_core_imports_no_platform(path: Path) -> None:
    bad = {name for name in imports_of(path) if name.split(".")[0] in PLATFORM_PACKAGES}
    assert not bad, f"{path.name} imports {bad}"


@pytest.mark.parametrize("path", modules("bot"), ids=lambda p: str(p.relative_to(REPO)))
def test_only_the_store_and_migrations_import_sqlalchemy(path: Path) -> None:
    if path.parent.name == "store":
        return
    assert not {n for n in imports_of(path) if n.split(".")[0] == "sqlalchemy"}, path.name


@pytest.mark.parametrize(("adapter", "other"), [("slack", "discord"), ("discord", "slack")])
def test_adapters_do_not_import_each_other_or_the_store(adapter: str, other: str) -> None:
    for path in modules(f"adapters/{adapter}"):
        names = imports_of(path)
        assert not {n for n in names if n.startswith((f"adapters.{other}", "bot.store"))}, path.name
        assert not {n for n in names if n.split(".")[0] == other and other == "discord"}, path.name
