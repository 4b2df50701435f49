"""The architecture, checked (STYLE.md, dependency direction): the core never imports a platform;
only the store imports SQLAlchemy; adapters never import each other or the store and use the
core through its facade; no import cycles among bot/ and adapters/, counting every import.

The same rules run as import-linter contracts (`lint-imports`, pyproject.toml) in `make lint`;
the last tests show that both checkers fail when a rule is broken.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.layering import cycles, import_graph, rule_violations

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "adapters")

# Imports of core modules outside the adapters' facade that the restructuring (issue 19) has
# still to move (the outbox's PostedRef, ChannelInfo). Shrink, never grow.
FACADE_GAPS = {
    ("adapters.console", "bot.delivery"),
    ("adapters.discord.poster", "bot.delivery"),
    ("adapters.slack.poster", "bot.delivery"),
    # the lab page (adapters/web), merged after this list was written
    ("adapters.web.app", "bot.library"),
    ("adapters.web.app", "bot.signin"),
    ("adapters.web.page", "bot.browse"),
    ("adapters.web.page", "bot.calendar"),
    ("adapters.web.page", "bot.signin"),
    ("adapters.web.platform", "bot.signin"),
}


def _project() -> tuple[dict[str, set[str]], list[str]]:
    edges, found = import_graph(REPO, PACKAGES)
    gaps = {(i.importer, i.module) for i in found if (i.importer, i.module) in FACADE_GAPS}
    found = [i for i in found if (i.importer, i.module) not in gaps]
    return edges, rule_violations(found)


def test_the_project_keeps_every_rule() -> None:
    _, violations = _project()
    assert violations == []


def test_facade_gaps_are_still_real() -> None:
    """A gap that has been closed must leave the list, so that it cannot come back unseen."""
    _, found = import_graph(REPO, PACKAGES)
    still = {(i.importer, i.module) for i in found}
    assert still >= FACADE_GAPS, sorted(FACADE_GAPS - still)


def test_no_import_cycles() -> None:
    edges, _ = _project()
    assert cycles(edges) == [], (
        "import cycle(s) counting every import (top level, TYPE_CHECKING, in functions)"
    )


# --- the checkers fail when a rule is broken ----------------------------------------------------

BAD_IMPORTS = {
    "bot/ids.py": ("import discord\n", "the core knows no platform"),
    "bot/names.py": ("def _late() -> None:\n    import sqlalchemy\n", "only bot.store imports sqlalchemy"),
    "adapters/slack/refs.py": ("from ..discord import render\n", "the adapters never import each other"),
    "adapters/discord/render.py": (
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from bot.store import db\n",
        "adapters never see the store",
    ),
    "adapters/console.py": ("from bot.summarize import extractive\n", "adapters use only"),
}


@pytest.fixture
def broken_tree(tmp_path: Path) -> Path:
    """A copy of bot/ and adapters/ with one bad import per rule, and an import cycle."""
    for package in PACKAGES:
        shutil.copytree(REPO / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    for name, (line, _) in BAD_IMPORTS.items():
        path = tmp_path / name
        path.write_text(path.read_text(encoding="utf-8") + "\n" + line, encoding="utf-8")
    # bot.calendar <- bot.ids through a function-level import: a cycle only a full count sees.
    ids = tmp_path / "bot/ids.py"
    ids.write_text(
        ids.read_text() + "\ndef _cal() -> None:\n    from bot import calendar\n", encoding="utf-8"
    )
    calendar = tmp_path / "bot/calendar.py"
    calendar.write_text(calendar.read_text() + "\nfrom bot.ids import canonical_id\n", encoding="utf-8")
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_layering_checker_fails_on_each_broken_rule(broken_tree: Path) -> None:
    edges, found = import_graph(broken_tree, PACKAGES)
    violations = rule_violations(i for i in found if (i.importer, i.module) not in FACADE_GAPS)
    for name, (_, rule) in BAD_IMPORTS.items():
        module = name.removesuffix(".py").replace("/", ".")
        assert any(v.startswith(module + ":") and rule in v for v in violations), (name, violations)
    assert ["bot.calendar", "bot.ids"] in cycles(edges)


def test_cycle_finder_counts_type_checking_and_late_imports(tmp_path: Path) -> None:
    (tmp_path / "bot").mkdir()
    (tmp_path / "bot/__init__.py").write_text("")
    (tmp_path / "bot/a.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from bot.b import B\n"
    )
    (tmp_path / "bot/b.py").write_text("def f() -> None:\n    from . import c\n")
    (tmp_path / "bot/c.py").write_text("import bot.a\n")
    (tmp_path / "bot/d.py").write_text("import bot.a\n")
    edges, _ = import_graph(tmp_path, ["bot"])
    assert cycles(edges) == [["bot.a", "bot.b", "bot.c"]]


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    lint = Path(sys.executable).with_name("lint-imports")
    if not lint.exists():
        pytest.fail("lint-imports is missing: run `make install` (import-linter is a dev dependency)")
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [str(lint), "--no-cache"], cwd=root, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_import_linter_contracts_hold() -> None:
    result = _lint_imports(REPO)
    assert result.returncode == 0, result.stdout + result.stderr


def test_import_linter_fails_on_a_broken_tree(broken_tree: Path) -> None:
    result = _lint_imports(broken_tree)
    assert result.returncode != 0
    for contract in (
        "The core knows no platform BROKEN",
        "Only bot.store imports SQLAlchemy BROKEN",
        "The Slack and Discord adapters never import each other BROKEN",
        "Adapters never see the store (they go through the Engine) BROKEN",
    ):
        assert contract in result.stdout, result.stdout
