"""Platform plug-ins, found through the `academichub.platforms` entry-point group.

The core never imports an adapter: each adapter package declares itself in
pyproject.toml, and the entry point (the CLI) loads what is installed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from bot.delivery import Poster
    from bot.engine import Engine
    from bot.models import ChannelInfo

log = logging.getLogger(__name__)


class Platform(Protocol):
    """What an adapter offers the entry point."""

    name: str

    def poster(self, engine: Engine, channel: ChannelInfo) -> Poster:
        """A poster for one channel of this platform (REST / Web API; no gateway needed)."""
        ...

    def run(self, engine: Engine) -> int:
        """Run the long-lived process (`academichub run NAME`); returns an exit code."""
        ...

    def send_direct_message(self, engine: Engine, workspace: str, user: str, text: str) -> None:
        """Send one user a direct message (new-version notices); raises on failure."""
        ...

    def member_zone(self, engine: Engine, key: str) -> str | None:
        """The time zone the platform knows for a personal radar's member (`slack:T/@U`), or None."""
        ...


class PlatformUnavailable(RuntimeError):
    """A platform whose adapter is missing or cannot start; the message is for people."""


@cache
def _entry_points() -> dict[str, EntryPoint]:
    # Scanning the installed distributions costs tens of milliseconds; posters are made per
    # channel, from many threads at once.
    return {ep.name: ep for ep in entry_points(group="academichub.platforms")}


@cache
def load_platform(name: str) -> Platform:
    """One platform plug-in, imported on first use (Slack's and Discord's libraries are slow
    to import; a CLI call that never posts should not pay for them)."""
    ep = _entry_points().get(name)
    if ep is None:
        raise PlatformUnavailable(f"no {name} adapter is installed (pip install -e .)")
    try:
        platform: Platform = ep.load()
    except ImportError as exc:
        raise PlatformUnavailable(f"the {name} adapter cannot be loaded: {exc}") from None
    return platform


def load_platforms() -> dict[str, Platform]:
    """Every installed platform plug-in by name; a broken one is logged and skipped."""
    found: dict[str, Platform] = {}
    for name in _entry_points():
        try:
            found[name] = load_platform(name)
        except PlatformUnavailable as exc:  # an adapter with a missing dependency must not stop the others
            log.debug("%s", exc)
    return found


def register_posters(engine: Engine) -> None:
    """Let the digest engine post to every installed platform, and ask it a member's time zone
    for a new personal radar, importing an adapter only when used."""
    for name in _entry_points():
        engine.digests.register_poster(name, _poster_factory(engine, name))
        engine.channels.zone_lookups[name] = _zone_lookup(engine, name)


def _poster_factory(engine: Engine, name: str) -> Callable[[ChannelInfo], Poster]:
    return lambda info: load_platform(name).poster(engine, info)


def _zone_lookup(engine: Engine, name: str) -> Callable[[str], str | None]:
    return lambda key: load_platform(name).member_zone(engine, key)
