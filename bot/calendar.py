"""arXiv's announcement calendar: which days carry a new listing, and why a day has none.

arXiv announces at 20:00 US Eastern, Sunday to Thursday; the rss.arxiv.org feeds are
rebuilt at midnight Eastern, so a feed day (the listing date, Monday to Friday) holds
the previous evening's announcement. Holidays are dated by the listing day too.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from functools import lru_cache
from importlib import resources
from zoneinfo import ZoneInfo

EASTERN = ZoneInfo("America/New_York")


@lru_cache(maxsize=1)
def holidays() -> dict[dt.date, str]:
    """The holiday list shipped as data (bot/data/arxiv_holidays.toml)."""
    raw = resources.files("bot").joinpath("data/arxiv_holidays.toml").read_text(encoding="utf-8")
    data = tomllib.loads(raw)
    return {entry["date"]: entry["name"] for year in data["holidays"].values() for entry in year}


def is_listing_day(day: dt.date) -> bool:
    """True when arXiv's feeds carry a new listing on this (US Eastern) day."""
    return day.weekday() < 5 and day not in holidays()


def no_listing_reason(day: dt.date) -> str | None:
    """Why a day has no arXiv listing, in words for people; None on a listing day."""
    if day in holidays():
        return f"arXiv holiday ({holidays()[day]}): no new listing on {day:%a %d %b %Y}"
    if day.weekday() >= 5:
        return f"arXiv does not announce on Friday and Saturday evenings, so there is no listing on {day:%A}s"
    return None


def previous_listing_day(day: dt.date) -> dt.date:
    """The latest listing day on or before `day`."""
    while not is_listing_day(day):
        day -= dt.timedelta(days=1)
    return day


def listing_day_of(moment: dt.datetime) -> dt.date:
    """The feed day a moment falls in (feeds roll over at midnight US Eastern)."""
    return moment.astimezone(EASTERN).date()
