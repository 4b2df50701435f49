"""STYLE.md's dependency rules as a checker over a source tree (used by tests/test_layering.py).

Every import counts: top level, under TYPE_CHECKING, inside functions, relative ones resolved.
An import names a module of the tree when it or its longest prefix is one (`from bot.query
import parse` is an import of `bot.query`; `from bot import ids` of `bot.ids`). Importing
a submodule is not counted as importing its parent package, as import-linter's grimp does.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

PLATFORM_PACKAGES = ("adapters", "slack_bolt", "slack_sdk", "discord")
# What the adapters may use of the core: the facade and its plain values (STYLE.md), the
# platform protocol they implement, and the words every platform shows for a digest.
ADAPTER_FACADE = ("bot.engine", "bot.models", "bot.query", "bot.config", "bot.platforms", "bot.presentation")


@dataclass(frozen=True, slots=True)
class Import:
    """One import statement's target, as written (absolute) and as a module of the tree."""

    importer: str
    target: str  # the dotted name imported (external packages included)
    module: str | None  # the tree's module it names, None when external
    line: int


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def tree_modules(root: Path, packages: Iterable[str]) -> dict[str, Path]:
    """Every module of the given top-level packages under root, by dotted name."""
    return {
        module_name(root, path): path
        for package in packages
        for path in sorted((root / package).rglob("*.py"))
        if "__pycache__" not in path.parts
    }


def _resolve(importer: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = importer.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _in_tree(name: str, modules: dict[str, Path]) -> str | None:
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def imports_of(root: Path, modules: dict[str, Path], importer: str) -> Iterator[Import]:
    """Every import of one module, wherever in the file it is."""
    path = modules[importer]
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(importer, is_package, node)
            # `from pkg import sub` imports the submodule when there is one, else names of pkg.
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
        else:
            continue
        for target in targets:
            yield Import(importer, target, _in_tree(target, modules), node.lineno)


def import_graph(root: Path, packages: Iterable[str]) -> tuple[dict[str, set[str]], list[Import]]:
    """Edges between the tree's modules, and every import (for the rules)."""
    modules = tree_modules(root, packages)
    edges: dict[str, set[str]] = {m: set() for m in modules}
    found: list[Import] = []
    for importer in modules:
        for imp in imports_of(root, modules, importer):
            found.append(imp)
            if imp.module is not None and imp.module != importer:
                edges[importer].add(imp.module)
    return edges, found


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The import cycles: each strongly connected group of two or more modules, sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(start: str) -> None:  # Tarjan's algorithm, iterative (no recursion limit)
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))

    for module in sorted(edges):
        if module not in index:
            visit(module)
    return sorted(groups)


def _top(name: str) -> str:
    return name.split(".")[0]


def rule_violations(found: Iterable[Import]) -> list[str]:
    """Every import that breaks a rule of STYLE.md, as `importer:line imports target (rule)`."""
    out: dict[str, None] = {}  # one line per statement, not per imported name
    for imp in found:
        rule = _broken_rule(imp)
        if rule:
            out[f"{imp.importer}:{imp.line} imports {imp.module or imp.target} ({rule})"] = None
    return list(out)


def _broken_rule(imp: Import) -> str | None:
    src, target = imp.importer, imp.target
    if _top(src) == "bot":
        if _top(target) in PLATFORM_PACKAGES:
            return "the core knows no platform"
        if _top(target) == "sqlalchemy" and not src.startswith("bot.store"):
            return "only bot.store imports sqlalchemy"
    if _top(src) != "adapters":
        return None
    for mine, other in (("adapters.slack", ("adapters.discord", "discord")), ("adapters.discord", (
        "adapters.slack", "slack_bolt", "slack_sdk"))):  # fmt: skip
        if (src == mine or src.startswith(mine + ".")) and any(
            target == o or target.startswith(o + ".") for o in other
        ):
            return "the adapters never import each other"
    # (adapters.slack.oauth gives slack_sdk's own SQLAlchemy stores an engine: not the core's store)
    if target == "bot.store" or target.startswith("bot.store."):
        return "adapters never see the store"
    if _top(target) == "bot" and imp.module is not None and not _is_facade(imp.module):
        return f"adapters use only {', '.join(ADAPTER_FACADE)}"
    return None


def _is_facade(module: str) -> bool:
    return any(module == f or module.startswith(f + ".") for f in ADAPTER_FACADE)
