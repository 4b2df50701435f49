"""The lab page: the radar as a web page (aiohttp + Jinja2), found through the `web` entry point."""

from adapters.web.platform import WebPlatform, platform

__all__ = ["WebPlatform", "platform"]
