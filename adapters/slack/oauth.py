"""More than one workspace: Bolt's OAuth install flow over slack_sdk's SQLAlchemy stores.

slack_sdk's async SQLAlchemy stores need an async driver; the sync ones work on the same
DATABASE_URL as the core, so they are bridged to Bolt's async interfaces through threads.
This module is the only place the adapter touches SQLAlchemy, and only to give those
stores their own engine.
"""

from __future__ import annotations

import asyncio
import logging
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore

from bot.config import Settings

if TYPE_CHECKING:
    import sqlalchemy
    from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
    from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

log = logging.getLogger(__name__)

BOT_SCOPES = (
    "commands",
    "chat:write",
    "chat:write.public",
    "channels:join",
    "reactions:read",
    "files:write",
    "im:write",
    "im:history",  # a personal digest's DM thread, read back after a crash
    "users:read",  # a member's time zone for their personal radar
    "channels:history",
    "groups:history",
    "channels:read",
    "groups:read",
)
STATE_TTL_SECONDS = 600


def oauth_enabled(settings: Settings) -> bool:
    return bool(settings.slack_client_id and settings.slack_client_secret)


@lru_cache(maxsize=4)
def _sql_engine(url: str) -> sqlalchemy.Engine:
    """The stores' own engine (one per URL and process); SQLite waits on locks instead of failing."""
    import sqlalchemy  # imported here: a single-workspace app never needs it

    if url.startswith("sqlite"):
        return sqlalchemy.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
    return sqlalchemy.create_engine(url, pool_pre_ping=True)


@lru_cache(maxsize=4)
def installation_store(url: str, client_id: str) -> SQLAlchemyInstallationStore:
    """The sync installation store on DATABASE_URL; its tables are created on first use."""
    # slack_sdk's store module imports sqlalchemy.ext.asyncio, which needs greenlet: only load it here.
    from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore

    store = SQLAlchemyInstallationStore(client_id=client_id, engine=_sql_engine(url), logger=log)
    store.create_tables()
    return store


def state_store(url: str) -> SQLAlchemyOAuthStateStore:
    """The sync OAuth state store (the CSRF `state` of /slack/install) on DATABASE_URL."""
    from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

    store = SQLAlchemyOAuthStateStore(
        expiration_seconds=STATE_TTL_SECONDS, engine=_sql_engine(url), logger=log
    )
    store.create_tables()
    return store


def bot_token_for(settings: Settings, team_id: str) -> str | None:
    """The bot token of a workspace: from the installation store under OAuth, else SLACK_BOT_TOKEN."""
    if oauth_enabled(settings):
        assert settings.slack_client_id is not None
        bot = installation_store(settings.database_url, settings.slack_client_id).find_bot(
            enterprise_id=None, team_id=team_id
        )
        if bot is not None:
            return bot.bot_token
    token = settings.slack_bot_token
    return token.get_secret_value() if token else None


class ThreadedInstallationStore(AsyncInstallationStore):
    """Bolt's async installation-store interface over the sync SQLAlchemy store."""

    def __init__(self, store: SQLAlchemyInstallationStore) -> None:
        self.store = store

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_save(self, installation: Installation) -> None:
        await asyncio.to_thread(self.store.save, installation)

    async def async_save_bot(self, bot: Bot) -> None:
        await asyncio.to_thread(self.store.save_bot, bot)

    async def async_find_bot(self, **kwargs: Any) -> Bot | None:
        return await asyncio.to_thread(lambda: self.store.find_bot(**kwargs))

    async def async_find_installation(self, **kwargs: Any) -> Installation | None:
        return await asyncio.to_thread(lambda: self.store.find_installation(**kwargs))

    async def async_delete_bot(self, **kwargs: Any) -> None:
        await asyncio.to_thread(lambda: self.store.delete_bot(**kwargs))

    async def async_delete_installation(self, **kwargs: Any) -> None:
        await asyncio.to_thread(lambda: self.store.delete_installation(**kwargs))


class ThreadedStateStore(AsyncOAuthStateStore):
    """Bolt's async OAuth state-store interface over the sync SQLAlchemy store."""

    def __init__(self, store: SQLAlchemyOAuthStateStore) -> None:
        self.store = store

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        return await asyncio.to_thread(self.store.issue)

    async def async_consume(self, state: str) -> bool:
        return await asyncio.to_thread(self.store.consume, state)


def oauth_settings(settings: Settings) -> AsyncOAuthSettings:
    """Install at /slack/install, redirect to /slack/oauth_redirect, tokens kept in DATABASE_URL."""
    assert settings.slack_client_id is not None and settings.slack_client_secret is not None
    url = settings.database_url
    return AsyncOAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(),
        scopes=list(BOT_SCOPES),
        installation_store=ThreadedInstallationStore(installation_store(url, settings.slack_client_id)),
        state_store=ThreadedStateStore(state_store(url)),
    )
