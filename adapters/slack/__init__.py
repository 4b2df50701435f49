"""Slack adapter: Bolt app, Block Kit digests, reactions; found through the `slack` entry point."""

from adapters.slack.platform import SlackPlatform, platform

__all__ = ["SlackPlatform", "platform"]
