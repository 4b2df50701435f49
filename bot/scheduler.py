"""`academichub run scheduler`: fetch after arXiv's nightly rebuild, post each channel's digest at
its local time, catch up once after downtime, stop cleanly on SIGTERM.

APScheduler runs the clock; what is due is decided by `due_days`, a pure function of a
channel's schedule, its last recorded digest and the time, so restarts and tests agree.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.calendar import EASTERN
from bot.library import VersionNotice
from bot.models import ChannelInfo, Digest, EmptyKind

if TYPE_CHECKING:
    from bot.engine import Engine

log = logging.getLogger(__name__)

CATCH_UP_DAYS = 7  # a longer outage is posted from the last week only


def due_days(info: ChannelInfo, last_digest: dt.date | None, now: dt.datetime) -> list[dt.date]:
    """The local days whose digest is due and not yet recorded, oldest first.

    A channel posts at its time each day; a day missed while the scheduler was down is posted
    late, once (its digest row then exists); a new channel starts today, with no back-fill.
    """
    when = info.schedule_time()
    if when is None:
        return []
    local = now.astimezone(info.zone)
    today = local.date() if local.time() >= when else local.date() - dt.timedelta(days=1)
    if last_digest is None:
        return [today] if local.date() == today else []
    first = max(last_digest + dt.timedelta(days=1), today - dt.timedelta(days=CATCH_UP_DAYS - 1))
    return [first + dt.timedelta(days=i) for i in range((today - first).days + 1)]


class Scheduler:
    """The jobs of the clock process; `tick` and `fetch` are callable directly (tests, `digest now`)."""

    def __init__(self, engine: Engine, send_notice: Callable[[VersionNotice], None] | None = None) -> None:
        self.engine = engine
        self.send_notice = send_notice
        self._settled: set[tuple[str, dt.date]] = set()  # empty days that need no retry
        self._lock = threading.Lock()

    def fetch(self) -> None:
        """Ingest every configured source, tell savers about new versions, then post what is due.

        Any number of clock processes may share a store: one of them fetches and sends the
        notices (the others skip that round); all of them post, sharing the digests by lease."""
        with self.engine.db.only_one("fetch") as leading:
            if leading:
                self._fetch_and_notify()
            else:
                log.info("another clock process is fetching; this one only posts")
        self.tick()

    def _fetch_and_notify(self) -> None:
        if self.engine.file_config.sources:
            report = self.engine.ingest()
            for failed in (s for s in report.sources if s.status == "failed"):
                log.warning("source %s failed: %s", failed.source, failed.error)
        if self.send_notice is not None:
            self.engine.library.send_version_notices(self.send_notice)

    def tick(self, now: dt.datetime | None = None) -> int:
        """Post every due digest, channels side by side; returns how many messages were posted.

        Days missed by one channel go in rounds, oldest first: a day's window starts where the
        channel's previous digest ended, so it must be recorded before the next day is built."""
        now = now or dt.datetime.now(dt.UTC)
        posted = 0
        with self._lock:  # the 1-minute tick and a post-fetch tick never overlap
            last = self.engine.digests.last_digest_days()
            rounds: list[list[tuple[ChannelInfo, dt.date]]] = []
            for info in self.engine.channels.all():
                days = [
                    d for d in due_days(info, last.get(info.key), now) if (info.key, d) not in self._settled
                ]
                for i, day in enumerate(days):
                    if i == len(rounds):
                        rounds.append([])
                    rounds[i].append((info, day))
            for wanted in rounds:
                posted += self._post_round(wanted, now)
        return posted

    def _post_round(self, wanted: list[tuple[ChannelInfo, dt.date]], now: dt.datetime) -> int:
        try:
            digests = self.engine.digests.build_each(wanted, now)
        except Exception:  # a store fault: every channel is retried next tick
            log.exception("building %d due digests failed", len(wanted))
            return 0
        self.engine.digests.post(digests, raise_errors=False)  # failures are logged, retried next tick
        for digest in digests:
            self._note(digest)
        return sum(d.posted for d in digests)

    def _note(self, digest: Digest) -> None:
        if not digest.entries and digest.empty is not EmptyKind.NOT_FETCHED:
            self._settled.add((digest.channel, digest.date))  # a holiday or nothing matched: no retry today
        if digest.entries:
            log.info("%s %s: posted %d messages", digest.channel, digest.date, digest.posted)
        else:
            log.info("%s %s: nothing to post: %s", digest.channel, digest.date, digest.reason)


def build_clock(scheduler: Scheduler) -> BackgroundScheduler:
    """The APScheduler jobs: feeds after arXiv's midnight-Eastern rebuild and every 3 hours
    (journals publish through the day; conditional GET keeps it cheap), digests every minute."""
    clock = BackgroundScheduler(timezone=dt.UTC, job_defaults={"coalesce": True, "max_instances": 1})
    clock.add_job(
        scheduler.fetch,
        CronTrigger(day_of_week="mon-fri", hour=0, minute=10, timezone=EASTERN),
        id="arxiv-fetch",
        misfire_grace_time=6 * 3600,
    )
    clock.add_job(scheduler.fetch, IntervalTrigger(hours=3), id="feeds", misfire_grace_time=3600)
    clock.add_job(scheduler.tick, IntervalTrigger(minutes=1), id="digests", misfire_grace_time=300)
    return clock


def run_scheduler(engine: Engine, send_notice: Callable[[VersionNotice], None] | None = None) -> int:
    """Run until SIGTERM/SIGINT: catch up first, then follow the clock."""
    scheduler = Scheduler(engine, send_notice)
    stop = threading.Event()

    def on_signal(signum: int, _frame: Any) -> None:
        log.info("signal %s: stopping the scheduler", signum)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    def catch_up() -> None:  # once, now: fetch, then post anything missed
        try:
            scheduler.fetch()
        except Exception:  # the clock's own rounds try again at their times
            log.exception("catching up after the start failed")

    clock = build_clock(scheduler)
    clock.start()
    log.info("scheduler running: feeds after arXiv's nightly rebuild, digests at each channel's time")
    # Beside the clock, not as a one-off job of it: a SIGTERM just after the start made
    # APScheduler's shutdown race its removal of the finished job (JobLookupError, a traceback
    # from its thread). `fetch` and `tick` guard themselves against the clock's own rounds.
    first = threading.Thread(target=catch_up, name="catch-up")
    first.start()
    stop.wait()
    clock.shutdown(wait=True)
    first.join()
    return 0
