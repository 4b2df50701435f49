"""Named sources (`nature`, `pnas`, `neurips` …) and preprint subjects, from bot/data/sources.toml."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any


@dataclass(frozen=True, slots=True)
class Preset:
    """A name for a journal's documented feed or API source."""

    name: str
    title: str
    source: str  # a feed URL or an API source line (`openalex:source:1049-5258`)
    issn: str | None = None
    note: str | None = None


@lru_cache(maxsize=1)
def _catalogue() -> dict[str, Any]:
    text = resources.files("bot").joinpath("data/sources.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def presets() -> dict[str, Preset]:
    """Every preset by name, in the catalogue's order."""
    return {
        name: Preset(name=name, title=v["title"], source=v["source"], issn=v.get("issn"), note=v.get("note"))
        for name, v in _catalogue()["presets"].items()
    }


def subjects(server: str) -> list[str]:
    """The subjects a preprint server's API filters by (lower case)."""
    return list(_catalogue()["subjects"].get(server, []))


def resolve(source: str) -> str:
    """The feed URL or API line a preset name stands for; any other text as it is."""
    preset = presets().get(source.strip().lower())
    return preset.source if preset else source


# The source kinds beside feed URLs, with an example each (docs/sources.md has the full table).
KINDS: tuple[tuple[str, str], ...] = (
    ("arxiv:CATS", "arxiv:cs.LG+math.NA"),
    ("biorxiv[:SUBJECT]", "biorxiv:genomics"),
    ("medrxiv[:SUBJECT]", "medrxiv:epidemiology"),
    ("pubmed:QUERY", 'pubmed:"deep learning"[tiab] AND radiology'),
    ("crossref:ISSN", "crossref:0028-0836"),
    ("openalex:author:ID|ORCID", "openalex:author:0000-0002-1825-0097"),
    ("openalex:source:ISSN", "openalex:source:1049-5258"),
)


def catalogue_text() -> str:
    """The presets and source kinds as lines of text (for `/papers sources`)."""
    lines = ["Named sources (use the name in `feed:` rules and `[[sources]]`):"]
    lines += [f"`{p.name}` — {p.title}" + (f" ({p.note})" if p.note else "") for p in presets().values()]
    lines.append("Other sources: a feed URL, or " + ", ".join(f"`{example}`" for _, example in KINDS) + ".")
    return "\n".join(lines)
