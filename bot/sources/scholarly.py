"""Reading an API source (bioRxiv/medRxiv, PubMed, Crossref, OpenAlex): which module fetches
which kind. Apart from bot.sources.apis so that the kinds, which use its helpers, and the
dispatch over them do not import each other."""

from __future__ import annotations

from bot.sources import biorxiv, crossref, openalex, pubmed
from bot.sources.apis import ApiOptions, SourceSpec
from bot.sources.base import ParsedFeed


def fetch_source(spec: SourceSpec, options: ApiOptions) -> ParsedFeed:
    """Every paper of the source in the options' window (I/O; raises FeedError subclasses)."""
    if spec.kind in ("biorxiv", "medrxiv"):
        papers = biorxiv.fetch(spec.kind, spec.value, options, spec.text)
    elif spec.kind == "pubmed":
        papers = pubmed.fetch(spec.value, options, spec.text)
    elif spec.kind == "crossref":
        papers = crossref.fetch(spec.value, options, spec.text)
    else:
        papers = openalex.fetch(spec.scope or "", spec.value, options, spec.text)
    unique = {paper.id: paper for paper in papers}  # pages can overlap while new works arrive
    return ParsedFeed(kind=spec.kind, papers=list(unique.values()), title=spec.text)
