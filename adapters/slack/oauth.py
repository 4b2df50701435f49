"""More than one workspace: Bolt's OAuth install flow over slack_sdk's SQLAlchemy stores.

slack_sdk's async SQLAlchemy stores need an async driver; the sync ones work on the same
DATABASE_URL as the core, so they are bridged to Bolt's async interfaces through threads.
This module is the only place the adapter touches SQLAlchemy, and only to give those
stores their own engine.

Workspace tokens are encrypted at rest with ACADEMICHUB_SECRET_KEY (Fernet: AES-128-CBC and
an HMAC-SHA256 tag): the store beside the papers holds ciphertext only, and OAuth mode does
not start without the key.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import logging
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeVar

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.installation_store import Bot, Installation, InstallationStore
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore

from bot.config import Settings
from bot.platforms import PlatformUnavailable

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


# The secrets of an installation; ids, scopes and expiry times stay readable.
SECRET_FIELDS = ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token", "incoming_webhook_url")
KEY_HINT = "generate one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'"
MIN_KEY_CHARS = 32


def oauth_enabled(settings: Settings) -> bool:
    return bool(settings.slack_client_id and settings.slack_client_secret)


def token_cipher(settings: Settings) -> Fernet:
    """The Fernet cipher for stored tokens, derived from ACADEMICHUB_SECRET_KEY (HKDF-SHA256, its
    own `info`, so the lab page's signatures and these tokens never share a key);
    PlatformUnavailable (one line) when the key is unset or too short."""
    key = settings.secret_key.get_secret_value().strip() if settings.secret_key else ""
    if not key:
        raise PlatformUnavailable(
            "ACADEMICHUB_SECRET_KEY is not set: the multi-workspace install (SLACK_CLIENT_ID) keeps each "
            f"workspace's tokens encrypted with it; {KEY_HINT}"
        )
    if len(key) < MIN_KEY_CHARS:
        raise PlatformUnavailable(
            f"ACADEMICHUB_SECRET_KEY is too short ({len(key)} characters, at least {MIN_KEY_CHARS}); "
            + KEY_HINT
        )
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"academichub slack tokens")
    return Fernet(base64.urlsafe_b64encode(derived.derive(key.encode())))


T = TypeVar("T", Installation, Bot)


class EncryptedInstallationStore(InstallationStore):
    """slack_sdk's installation store with every token encrypted before it is written and
    decrypted after it is read; a token written before encryption is read as it is."""

    def __init__(self, inner: SQLAlchemyInstallationStore, cipher: Fernet) -> None:
        self.inner = inner
        self.cipher = cipher

    @property
    def logger(self) -> logging.Logger:
        return log

    def _seal(self, item: T) -> T:
        sealed = copy.copy(item)
        for name in SECRET_FIELDS:
            value = getattr(sealed, name, None)
            if isinstance(value, str) and value:
                setattr(sealed, name, self.cipher.encrypt(value.encode()).decode())
        return sealed

    def _open(self, item: T | None) -> T | None:
        if item is None:
            return None
        for name in SECRET_FIELDS:
            value = getattr(item, name, None)
            if isinstance(value, str) and value.startswith("gAAAAA"):  # Fernet's version byte and time
                try:
                    setattr(item, name, self.cipher.decrypt(value.encode()).decode())
                except InvalidToken:
                    log.error(
                        "ACADEMICHUB_SECRET_KEY does not open the stored %s of team %s: was the key changed?",
                        name,
                        getattr(item, "team_id", "?"),
                    )
                    return None
        return item

    def save(self, installation: Installation) -> None:
        self.inner.save(self._seal(installation))

    def save_bot(self, bot: Bot) -> None:
        self.inner.save_bot(self._seal(bot))

    def find_bot(self, **kwargs: Any) -> Bot | None:
        return self._open(self.inner.find_bot(**kwargs))

    def find_installation(self, **kwargs: Any) -> Installation | None:
        return self._open(self.inner.find_installation(**kwargs))

    def delete_bot(self, **kwargs: Any) -> None:
        self.inner.delete_bot(**kwargs)

    def delete_installation(self, **kwargs: Any) -> None:
        self.inner.delete_installation(**kwargs)

    def delete_all(self, **kwargs: Any) -> None:
        self.inner.delete_all(**kwargs)


@lru_cache(maxsize=4)
def _sql_engine(url: str) -> sqlalchemy.Engine:
    """The stores' own engine (one per URL and process); SQLite waits on locks instead of failing."""
    import sqlalchemy  # imported here: a single-workspace app never needs it

    if url.startswith("sqlite"):
        return sqlalchemy.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
    return sqlalchemy.create_engine(url, pool_pre_ping=True)


@lru_cache(maxsize=4)
def _sql_installation_store(url: str, client_id: str) -> SQLAlchemyInstallationStore:
    """The sync installation store on DATABASE_URL; its tables are created on first use."""
    # slack_sdk's store module imports sqlalchemy.ext.asyncio, which needs greenlet: only load it here.
    from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore

    store = SQLAlchemyInstallationStore(client_id=client_id, engine=_sql_engine(url), logger=log)
    store.create_tables()
    _widen_token_columns(store)
    return store


def _widen_token_columns(store: SQLAlchemyInstallationStore) -> None:
    """slack_sdk declares tokens VARCHAR(200); encrypted, a long token needs more. PostgreSQL
    enforces the length (SQLite does not); varchar to text is a catalogue change, no rewrite."""
    import sqlalchemy

    if store.engine.dialect.name != "postgresql":
        return
    with store.engine.begin() as conn:
        for table, columns in (
            (store.installations, SECRET_FIELDS),
            (store.bots, ("bot_token", "bot_refresh_token")),
        ):
            for column in columns:
                if not isinstance(table.c[column].type, sqlalchemy.Text):
                    conn.execute(sqlalchemy.text(f"ALTER TABLE {table.name} ALTER COLUMN {column} TYPE text"))
                    table.c[column].type = sqlalchemy.Text()


def installation_store(settings: Settings) -> EncryptedInstallationStore:
    """The installation store of these settings, tokens encrypted with ACADEMICHUB_SECRET_KEY."""
    assert settings.slack_client_id is not None
    cipher = token_cipher(settings)
    return EncryptedInstallationStore(
        _sql_installation_store(settings.database_url, settings.slack_client_id), cipher
    )


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
        bot = installation_store(settings).find_bot(enterprise_id=None, team_id=team_id)
        if bot is not None:
            return bot.bot_token
    token = settings.slack_bot_token
    return token.get_secret_value() if token else None


class ThreadedInstallationStore(AsyncInstallationStore):
    """Bolt's async installation-store interface over the sync SQLAlchemy store."""

    def __init__(self, store: InstallationStore) -> None:
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
        installation_store=ThreadedInstallationStore(installation_store(settings)),
        state_store=ThreadedStateStore(state_store(url)),
    )
