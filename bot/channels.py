"""Channels and their radars, schedules and languages (the database is the truth)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from zoneinfo import ZoneInfo

from bot.config import ChannelConfig, ConfigError
from bot.models import ChannelInfo, person_of
from bot.query import UsageError, parse
from bot.radar import RadarRule, parse_rule
from bot.store import channels as repo
from bot.store.db import Database
from bot.store.tables import ChannelRow

log = logging.getLogger(__name__)


def platform_of(key: str) -> str:
    return key.split(":", 1)[0]


PERSONAL_SCHEDULE = dt.time(8, 0)  # a personal radar's digest comes at 08:00 in its member's zone


def normalize_schedule(text: str) -> tuple[str, str]:
    """`09:00 Europe/Vienna` through the one `/papers` grammar -> (canonical text, zone)."""
    command = parse(f"schedule {text}")
    if command.schedule is None:
        raise UsageError("a schedule needs a time, e.g. `09:00 Europe/Vienna`")
    when, tz = command.schedule.time.strftime("%H:%M"), command.schedule.tz or "UTC"
    return f"{when} {tz}", tz


def _info(row: ChannelRow, rules: list[tuple[str, str]]) -> ChannelInfo:
    return ChannelInfo(
        key=row.key,
        platform=row.platform,
        name=row.name,
        rules=tuple(RadarRule(kind, value) for kind, value in rules),  # type: ignore[arg-type]
        schedule=row.schedule,
        timezone=row.timezone or "UTC",
        language=row.language,
        include_replacements=row.include_replacements,
        left=row.left_at is not None,
    )


class Channels:
    """Reads and changes channel settings; seeds channels from the config file."""

    def __init__(self, db: Database) -> None:
        self.db = db
        # platform -> the member's time zone from the platform (Slack users.info), for the
        # default schedule of a new personal radar; set by the adapters' plug-ins.
        self.zone_lookups: dict[str, Callable[[str], str | None]] = {}

    def seed(self, configs: Sequence[ChannelConfig]) -> None:
        """Create config-file channels that do not exist yet; existing ones are left as chat set them."""
        for cfg in configs:
            with self.db.session() as session:
                if repo.get_channel(session=session, key=cfg.key) is not None:
                    continue
                row = repo.ensure_channel(session=session, key=cfg.key, platform=cfg.platform, name=cfg.name)
                for text in cfg.radar:
                    try:
                        rule = parse_rule(text)
                    except UsageError as exc:
                        raise ConfigError(
                            f"ACADEMICHUB_CONFIG: channel {cfg.key} radar {text!r}: {exc}"
                        ) from None
                    repo.add_rule(session=session, key=cfg.key, kind=rule.kind, value=rule.value)
                if cfg.schedule:
                    try:
                        row.schedule, row.timezone = normalize_schedule(cfg.schedule)
                    except UsageError as exc:
                        raise ConfigError(f"ACADEMICHUB_CONFIG: channel {cfg.key} schedule: {exc}") from None
                row.language = cfg.language

    def info(self, key: str) -> ChannelInfo | None:
        """One channel's settings and radar, or None when it does not exist."""
        with self.db.reading() as session:
            row = repo.get_channel(session=session, key=key)
            if row is None:
                return None
            return _info(row, repo.radar_rules(session=session, key=key))

    def language(self, key: str) -> str | None:
        """The channel's language alone (every `/papers` answer asks: one query, not the radar's
        two), or None."""
        with self.db.reading() as session:
            return repo.channel_language(session=session, key=key)

    def all(self, include_left: bool = False) -> list[ChannelInfo]:
        """Every channel and personal radar, with its radar (two queries, however many); without
        the personal radars of members who left unless asked."""
        with self.db.reading() as session:
            rules = repo.all_radar_rules(session=session)
            infos = [_info(row, rules.get(row.key, [])) for row in repo.list_channels(session=session)]
        return [info for info in infos if include_left or not info.left]

    def ensure(self, key: str, name: str | None = None) -> None:
        with self.db.session() as session:
            repo.ensure_channel(session=session, key=key, platform=platform_of(key), name=name)

    def subscribe(self, key: str, rule: RadarRule) -> bool:
        if person_of(key):
            self.ensure_person(key)
        with self.db.session() as session:
            repo.ensure_channel(session=session, key=key, platform=platform_of(key))
            return repo.add_rule(session=session, key=key, kind=rule.kind, value=rule.value)

    def ensure_person(self, key: str) -> None:
        """A personal radar, made on first use with the default schedule (08:00 in the member's
        zone, as the platform knows it; UTC when it does not); a member back from leaving is back."""
        if not self.back(key):
            zone = self._member_zone(key)
            with self.db.session() as session:
                row = repo.ensure_channel(session=session, key=key, platform=platform_of(key))
                if row.schedule is None:
                    row.schedule, row.timezone = f"{PERSONAL_SCHEDULE:%H:%M} {zone}", zone

    def back(self, key: str) -> bool:
        """A member who runs a `--me` command is in the workspace: posting resumes. False when
        they have no personal radar yet."""
        with self.db.session() as session:
            row = repo.get_channel(session=session, key=key)
            if row is not None and row.left_at is not None:
                row.left_at = None
            return row is not None

    def _member_zone(self, key: str) -> str:
        lookup = self.zone_lookups.get(platform_of(key))
        try:
            zone = lookup(key) if lookup else None
        except Exception:  # a default schedule is not worth failing a subscription over
            log.warning("no time zone for %s from its platform; using UTC", key, exc_info=True)
            zone = None
        if zone:
            try:
                ZoneInfo(zone)
            except (ValueError, KeyError):
                zone = None
        return zone or "UTC"

    def mark_left(self, key: str) -> None:
        """The member of a personal radar left the workspace: stop posting to them."""
        with self.db.session() as session:
            row = repo.get_channel(session=session, key=key)
            if row is not None and row.left_at is None:
                row.left_at = dt.datetime.now(dt.UTC)
                log.warning("%s left the workspace: their personal radar is no longer posted", key)

    def unsubscribe(self, key: str, index: int) -> RadarRule | None:
        with self.db.session() as session:
            removed = repo.remove_rule(session=session, key=key, index=index)
            if removed and removed[0] == "include":
                row = repo.get_channel(session=session, key=key)
                if row is not None:
                    row.include_replacements = False
        return RadarRule(*removed) if removed else None  # type: ignore[arg-type]

    def set_schedule(self, key: str, when: dt.time | None, tz: str | None) -> None:
        """Set or clear the schedule; no zone keeps the one the radar has (a member's own)."""
        if person_of(key):
            self.ensure_person(key)
        with self.db.session() as session:
            row = repo.ensure_channel(session=session, key=key, platform=platform_of(key))
            if when is None:
                row.schedule = None
            else:
                tz = tz or row.timezone or "UTC"
                row.schedule = f"{when:%H:%M} {tz}"
                row.timezone = tz

    def set_language(self, key: str, language: str) -> None:
        if person_of(key):
            self.ensure_person(key)
        with self.db.session() as session:
            row = repo.ensure_channel(session=session, key=key, platform=platform_of(key))
            row.language = language
