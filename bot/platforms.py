"""Platform plug-ins, found through the `academichub.platforms` entry-point group.

The core never imports an adapter: each adapter package declares itself in
pyproject.toml, and the entry point (the CLI) loads what is installed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from bot.channels import ChannelInfo
    from bot.delivery import Poster
    from bot.engine import Engine

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


class PlatformUnavailable(RuntimeError):
    """A platform whose adapter is missing or cannot start; the message is for people."""


def load_platforms() -> dict[str, Platform]:
    """Every installed platform plug-in by name; a broken one is logged and skipped."""
    found: dict[str, Platform] = {}
    for ep in entry_points(group="academichub.platforms"):
        try:
            found[ep.name] = ep.load()
        except Exception as exc:  # an adapter with a missing dependency must not stop the others
            log.debug("platform %s could not be loaded: %s", ep.name, exc)
    return found


def register_posters(engine: Engine, platforms: dict[str, Platform]) -> None:
    """Let the digest engine post to every loaded platform."""
    for name, platform in platforms.items():
        engine.digests.register_poster(name, _poster_factory(engine, platform))


def _poster_factory(engine: Engine, platform: Platform) -> Callable[[ChannelInfo], Poster]:
    return lambda info: platform.poster(engine, info)
