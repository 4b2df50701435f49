"""Settings from the environment (and `.env`), plus the optional TOML config file.

Built once in the entry point and passed in; nothing here runs at import time.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ConfigError(Exception):
    """A setting is missing or wrong; the message is one sentence for people."""


class Settings(BaseSettings):
    """Every knob of SPEC §2. Environment variables win over `.env`."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    database_url: str = Field("sqlite:///academichub.db", alias="DATABASE_URL")
    config_path: Path | None = Field(None, alias="ACADEMICHUB_CONFIG")
    openai_api_key: SecretStr | None = Field(None, alias="OPENAI_API_KEY")
    openai_base_url: str | None = Field(None, alias="OPENAI_BASE_URL")
    llm_model: str = Field("gpt-4.1-mini", alias="ACADEMICHUB_LLM_MODEL")
    llm_daily_tokens: int = Field(2_000_000, alias="ACADEMICHUB_LLM_DAILY_TOKENS", ge=0)
    llm_batch_size: int = Field(6, alias="ACADEMICHUB_LLM_BATCH", ge=1, le=50)
    llm_timeout: float = Field(30.0, alias="ACADEMICHUB_LLM_TIMEOUT", gt=0)
    llm_max_retries: int = Field(2, alias="ACADEMICHUB_LLM_RETRIES", ge=0, le=10)
    language: str = Field("en", alias="ACADEMICHUB_LANGUAGE")
    digest_max: int = Field(25, alias="ACADEMICHUB_DIGEST_MAX", ge=1, le=200)
    save_reactions: str = Field("bookmark", alias="ACADEMICHUB_SAVE_REACTIONS")
    slack_bot_token: SecretStr | None = Field(None, alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(None, alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(None, alias="SLACK_APP_TOKEN")
    slack_client_id: str | None = Field(None, alias="SLACK_CLIENT_ID")
    slack_client_secret: SecretStr | None = Field(None, alias="SLACK_CLIENT_SECRET")
    slack_api_url: str = Field("https://slack.com/api/", alias="SLACK_API_URL")
    port: int = Field(3000, alias="PORT", ge=1, le=65535)
    discord_token: SecretStr | None = Field(None, alias="DISCORD_TOKEN")
    discord_api_url: str | None = Field(None, alias="DISCORD_API_URL")
    discord_guild_id: int | None = Field(None, alias="DISCORD_GUILD_ID")
    arxiv_rss_url: str = Field("https://rss.arxiv.org/rss/", alias="ACADEMICHUB_ARXIV_RSS_URL")
    arxiv_api_url: str = Field("https://export.arxiv.org/api/query", alias="ACADEMICHUB_ARXIV_API_URL")
    http_timeout: float = Field(20.0, alias="ACADEMICHUB_HTTP_TIMEOUT", gt=0)
    admins: str = Field("", alias="ACADEMICHUB_ADMINS")
    post_concurrency: int = Field(64, alias="ACADEMICHUB_POST_CONCURRENCY", ge=1, le=1000)
    workspace_posts_per_second: float = Field(50.0, alias="ACADEMICHUB_WORKSPACE_POSTS_PER_SECOND", ge=0)
    # Scholarly APIs (docs/sources.md): a contact address puts Crossref and OpenAlex requests in
    # their polite pools; an NCBI key raises PubMed's limit from 3 to 10 requests a second.
    contact_email: str | None = Field(None, alias="ACADEMICHUB_CONTACT_EMAIL", pattern=r"^[^@\s]+@[^@\s]+$")
    ncbi_api_key: SecretStr | None = Field(None, alias="ACADEMICHUB_NCBI_API_KEY")
    biorxiv_api_url: str = Field("https://api.biorxiv.org", alias="ACADEMICHUB_BIORXIV_API_URL")
    pubmed_api_url: str = Field(
        "https://eutils.ncbi.nlm.nih.gov/entrez/eutils", alias="ACADEMICHUB_PUBMED_API_URL"
    )
    crossref_api_url: str = Field("https://api.crossref.org", alias="ACADEMICHUB_CROSSREF_API_URL")
    openalex_api_url: str = Field("https://api.openalex.org", alias="ACADEMICHUB_OPENALEX_API_URL")
    secret_key: SecretStr | None = Field(None, alias="ACADEMICHUB_SECRET_KEY")
    public_url: str | None = Field(None, alias="ACADEMICHUB_PUBLIC_URL")  # where the lab page is served
    max_feed_mb: float = Field(100, alias="ACADEMICHUB_MAX_FEED_MB", gt=0)
    fetch_deadline: float = Field(180.0, alias="ACADEMICHUB_FETCH_DEADLINE", gt=0)

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql", "postgres")):
            raise ValueError("must be a sqlite:/// or postgresql+psycopg:// URL")
        if value.startswith("postgres://"):
            value = "postgresql+psycopg://" + value[len("postgres://") :]
        elif value.startswith("postgresql://"):
            value = "postgresql+psycopg://" + value[len("postgresql://") :]
        return value

    @field_validator("config_path", mode="before")
    @classmethod
    def _config_not_empty(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            raise ValueError("is set but empty: point it at a TOML file, or unset it")
        return value

    @field_validator("language")
    @classmethod
    def _language_code(cls, value: str) -> str:
        code = value.strip().lower()
        if not code or len(code) > 16 or not code.replace("-", "").isalpha():
            raise ValueError("must be a language code such as en, zh or de")
        return code

    @property
    def admin_ids(self) -> frozenset[str]:
        """ACADEMICHUB_ADMINS: user ids, bare (`U0ALICE`) or qualified (`slack:T0LAB/U0ALICE`)."""
        return frozenset(a.strip() for a in self.admins.split(",") if a.strip())

    @property
    def reaction_names(self) -> set[str]:
        return {r.strip().strip(":") for r in self.save_reactions.split(",") if r.strip()}


@dataclass(slots=True)
class SourceConfig:
    url: str
    name: str | None = None


@dataclass(slots=True)
class ChannelConfig:
    platform: str
    id: str
    radar: list[str] = field(default_factory=list)
    schedule: str | None = None
    language: str | None = None
    name: str | None = None

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.id}"


@dataclass(slots=True)
class FileConfig:
    sources: list[SourceConfig] = field(default_factory=list)
    channels: list[ChannelConfig] = field(default_factory=list)


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment; a bad value raises ConfigError naming it."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        err = exc.errors()[0]
        name = str(err["loc"][0]) if err.get("loc") else "a setting"
        field_info = Settings.model_fields.get(name)
        alias = field_info.alias if field_info and field_info.alias else name
        raise ConfigError(f"{alias}: {str(err['msg']).removeprefix('Value error, ')}") from None


def load_file_config(settings: Settings) -> FileConfig:
    """Read ACADEMICHUB_CONFIG (or ./academichub.toml when present)."""
    path = settings.config_path
    if path is None:
        default = Path("academichub.toml")
        if not default.exists():
            return FileConfig()
        path = default
    if not path.exists():
        raise ConfigError(f"ACADEMICHUB_CONFIG: file {path} does not exist")
    if path.is_dir():
        raise ConfigError(f"ACADEMICHUB_CONFIG: {path} is a folder, not a TOML file")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"ACADEMICHUB_CONFIG: {path} is not valid TOML ({exc})") from None
    except OSError as exc:
        raise ConfigError(f"ACADEMICHUB_CONFIG: cannot read {path} ({exc.strerror or exc})") from None
    return parse_file_config(data, str(path))


def parse_file_config(data: dict[str, Any], where: str = "config") -> FileConfig:
    """Validate the TOML structure of SPEC §2."""
    out = FileConfig()
    for i, src in enumerate(data.get("sources", []) or []):
        if not isinstance(src, dict) or not isinstance(src.get("url"), str) or not src["url"].strip():
            raise ConfigError(f"ACADEMICHUB_CONFIG: {where} sources[{i}] needs a url")
        out.sources.append(SourceConfig(url=src["url"].strip(), name=src.get("name")))
    for i, ch in enumerate(data.get("channels", []) or []):
        if not isinstance(ch, dict):
            raise ConfigError(f"ACADEMICHUB_CONFIG: {where} channels[{i}] must be a table")
        platform = ch.get("platform")
        if platform not in ("slack", "discord", "console"):
            raise ConfigError(
                f"ACADEMICHUB_CONFIG: {where} channels[{i}].platform must be slack, discord or console"
            )
        cid = ch.get("id")
        if not isinstance(cid, str) or not cid.strip():
            raise ConfigError(f"ACADEMICHUB_CONFIG: {where} channels[{i}].id is missing")
        radar = ch.get("radar", [])
        if not isinstance(radar, list) or not all(isinstance(r, str) for r in radar):
            raise ConfigError(f"ACADEMICHUB_CONFIG: {where} channels[{i}].radar must be a list of strings")
        out.channels.append(
            ChannelConfig(
                platform=platform,
                id=cid.strip(),
                radar=radar,
                schedule=ch.get("schedule"),
                language=ch.get("language"),
                name=ch.get("name"),
            )
        )
    return out
