"""`academichub demo`: the main job on the embedded default — offline, SQLite, no keys."""

from __future__ import annotations

import datetime as dt
from importlib import resources
from pathlib import Path

from bot.config import ChannelConfig, FileConfig, load_settings
from bot.engine import build_engine
from bot.models import Digest

DEMO_DAY = dt.date(2026, 6, 16)
DEMO_DATA = "data/arxiv_cs_2026-06-16.rss.gz"  # a real rss.arxiv.org-format day, see bench/corpus.py
DEMO_CHANNEL = ChannelConfig(
    platform="console",
    id="lab",
    name="ml-papers",
    radar=[
        'keyword:"reinforcement learning"',
        "cat:cs.GR",
        'keyword:"neural operator"',
        'author:"Zhigang Tu"',
    ],
    schedule="09:00 Europe/Vienna",
)


def run_demo(workdir: Path) -> list[Digest]:
    """Ingest the bundled day into a fresh SQLite file and build the sample channel's digest."""
    settings = load_settings(
        DATABASE_URL=f"sqlite:///{workdir / 'demo.db'}",
        OPENAI_API_KEY=None,
        ACADEMICHUB_CONFIG=None,
        ACADEMICHUB_LANGUAGE="en",
    )
    engine = build_engine(settings, file_config=FileConfig(channels=[DEMO_CHANNEL]))
    try:
        with resources.as_file(resources.files("bot").joinpath(DEMO_DATA)) as path:
            report = engine.ingest([str(path)])
        if report.failed:
            raise RuntimeError(f"the bundled sample did not load: {report.sources[0].error}")
        return engine.build_digests(channel=DEMO_CHANNEL.key, day=DEMO_DAY)
    finally:
        engine.close()
