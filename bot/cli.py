"""`academichub`: the command line, and the composition root (settings -> engine -> platforms)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console

from bot.config import ConfigError, load_settings
from bot.digests import UnknownChannel
from bot.engine import Engine, build_engine
from bot.library import AmbiguousUser, NoSaves
from bot.platforms import PlatformUnavailable, load_platform, register_posters
from bot.query import UsageError
from bot.store.db import StoreError

app = typer.Typer(
    help="AcademicHub: a research lab's paper radar for Slack and Discord.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
app.add_typer(db_app, name="db")

err = Console(stderr=True, highlight=False, soft_wrap=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout, nothing else.")]


def fail(message: str, code: int = 2) -> NoReturn:
    """One clear line on stderr, then exit."""
    err.print(f"academichub: {message}", markup=False)
    raise typer.Exit(code)


@contextmanager
def engine_for(**overrides: Any) -> Iterator[Engine]:
    """The engine from the environment, with platforms registered; bad settings end in one line."""
    try:
        engine = build_engine(load_settings(**overrides) if overrides else None)
    except (ConfigError, StoreError, UsageError) as exc:
        fail(str(exc))
    register_posters(engine)
    try:
        yield engine
    finally:
        engine.close()


def emit_json(document: object) -> None:
    sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")


@app.command()
def fetch(
    source: Annotated[
        list[str] | None, typer.Option("--source", "-s", help="URL, file:// URL or path; repeatable.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Ingest the configured sources (or the given ones); exit 1 when any source failed."""
    with engine_for() as engine:
        if not source and not engine.file_config.sources:
            fail("no sources: pass --source URL or list [[sources]] in ACADEMICHUB_CONFIG")
        with _progress(enabled=not as_json and sys.stdout.isatty()) as progress:
            report = engine.ingest(source or None, progress=progress)
    if as_json:
        emit_json(report.to_json())
    else:
        out = Console(highlight=False, soft_wrap=True)
        for s in report.sources:
            line = f"{s.source}: {s.new} new, {s.updated} updated, {s.unchanged} unchanged"
            if s.status == "failed":
                line = f"{s.source}: FAILED — {s.error}"
            elif s.note:
                line += f" ({s.note})"
            out.print(line, markup=False)
        if len(report.sources) > 1:
            totals = f"{report.new} new, {report.updated} updated, {report.unchanged} unchanged"
            out.print(f"total: {totals}, {report.failed} failed")
    raise typer.Exit(1 if report.failed else 0)


@contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[str, int], None] | None]:
    if not enabled:
        yield None
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), transient=True) as bar:
        task = bar.add_task("fetching", total=None)
        yield lambda src, n: bar.update(task, description=f"{Path(src).name}: {n:,} papers")


@app.command()
def sources(
    subjects: Annotated[
        str | None, typer.Option("--subjects", help="List a preprint server's subjects: biorxiv | medrxiv.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """The named sources (presets) and the source kinds, for --source, [[sources]] and feed: rules."""
    from rich.table import Table

    from bot.sources.presets import KINDS, presets
    from bot.sources.presets import subjects as subject_list

    if subjects is not None:
        names = subject_list(subjects.lower())
        if not names:
            fail(f"--subjects: {subjects!r} is not a preprint server (choose biorxiv or medrxiv)")
        if as_json:
            emit_json({"subjects": names})
        else:
            sys.stdout.write("\n".join(names) + "\n")
        return
    catalogue = presets()
    if as_json:
        emit_json(
            {
                "presets": [
                    {"name": p.name, "title": p.title, "source": p.source, "issn": p.issn}
                    for p in catalogue.values()
                ],
                "kinds": [{"kind": kind, "example": example} for kind, example in KINDS],
            }
        )
        return
    table = Table(title="Named sources")
    table.add_column("name", no_wrap=True)
    table.add_column("journal / server")
    table.add_column("ISSN", no_wrap=True)
    table.add_column("source", overflow="fold")
    for p in catalogue.values():
        table.add_row(p.name, p.title, p.issn or "", p.source)
    kinds = Table("kind", "example", title="Source kinds (besides feed URLs and files)")
    for kind, example in KINDS:
        kinds.add_row(kind, example)
    out = Console(highlight=False, soft_wrap=True)
    out.print(table)
    out.print(kinds)


@app.command()
def show(
    paper_id: Annotated[str, typer.Argument(help="arXiv id (any form), DOI or URL.")],
    as_json: JsonOpt = False,
) -> None:
    """One stored paper, by any form of its id."""
    with engine_for() as engine:
        paper = engine.show(paper_id)
    if paper is None:
        fail(f"no stored paper {paper_id!r} (fetch it first, or check the id)", 1)
    if as_json:
        emit_json(paper.to_json())
        return
    _console().render_papers([paper])


@app.command()
def search(
    query: Annotated[
        str, typer.Argument(help='The /papers language, e.g. "author Grohs" or "search operator learning".')
    ],
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 5,
    as_json: JsonOpt = False,
) -> None:
    """Search the local store with the /papers query language."""
    with engine_for() as engine:
        try:
            papers = engine.search(query, limit=limit)
        except UsageError as exc:
            fail(exc.message, 2)
    if as_json:
        emit_json({"papers": [p.to_json() for p in papers]})
        return
    if not papers:
        Console(soft_wrap=True).print("No papers found.")
        return
    _console().render_papers(papers)


@app.command()
def digest(
    channel: Annotated[
        str | None,
        typer.Option(help="e.g. console:lab, slack:T0LAB/C0PAPERS, or a person: slack:T0LAB/@U0ALICE"),
    ] = None,
    date: Annotated[
        str | None, typer.Option(help="YYYY-MM-DD; default: today in each channel's time zone")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Build and show, post nothing.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Build (and, without --dry-run, post) due digests."""
    day = _parse_date(date) if date else None
    with engine_for() as engine:
        if as_json:  # keep stdout for the JSON document
            engine.digests.register_poster("console", lambda info: _console().poster_to(sys.stderr))
        try:
            digests = engine.digests.post_all(channel=channel, day=day, dry_run=dry_run)
        except UnknownChannel as exc:
            fail(str(exc).strip("'\""))
        except PlatformUnavailable as exc:
            fail(str(exc))
    if as_json:
        emit_json({"digests": [d.to_json() for d in digests]})
        return
    _print_digests(digests, dry_run)


def _console() -> Any:
    """The console platform plug-in (the terminal renderer), found like every adapter."""
    try:
        return load_platform("console")
    except PlatformUnavailable as exc:
        fail(str(exc))


def _print_digests(digests: list[Any], dry_run: bool) -> None:
    out = Console(highlight=False, soft_wrap=True)
    for d in digests:
        if dry_run:
            _console().render_digests([d])
        elif not d.entries:
            out.print(f"{d.channel} · {d.date}: nothing to post — {d.reason}", markup=False)
        else:
            out.print(f"{d.channel} · {d.date}: posted {d.posted} messages", markup=False)


def _parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        fail(f"--date: {text!r} is not a date like 2026-06-16")


@app.command()
def export(
    user: Annotated[
        str, typer.Option(help="Chat user id (U0BOB), or workspace-qualified (slack:T0LAB/U0BOB).")
    ],
    fmt: Annotated[str, typer.Option("--format", help="bibtex | ris | csl-json")] = "bibtex",
) -> None:
    """A reading list to stdout."""
    workspace, uid = _split_user(user)
    with engine_for() as engine:
        try:
            attachment = engine.library.export(workspace, uid, fmt)
        except (NoSaves, AmbiguousUser) as exc:
            fail(str(exc), 1)
        except ValueError as exc:
            fail(str(exc))
    sys.stdout.write(attachment.content.decode("utf-8"))


def _split_user(user: str) -> tuple[str | None, str]:
    """`U0BOB` -> (None, U0BOB); `slack:T0LAB/U0BOB` -> (T0LAB, U0BOB); `discord:123` -> (None, 123)."""
    if ":" not in user:
        return None, user
    _platform, rest = user.split(":", 1)
    if "/" in rest:
        workspace, uid = rest.rsplit("/", 1)
        return workspace, uid
    return None, rest


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the Alembic migrations."""
    try:
        engine = build_engine(upgrade=False)
        engine.db.upgrade()
        revision = engine.db.current_revision()
        engine.close()
    except (ConfigError, StoreError) as exc:
        fail(str(exc))
    Console(soft_wrap=True).print(f"database at revision {revision}")


@app.command("login-link")
def login_link(
    user: Annotated[str, typer.Option(help="The member, as platform:workspace/user (slack:T0LAB/U0BOB).")],
) -> None:
    """Print a member's sign-in link to the lab page (valid 15 minutes), as `/papers web` answers."""
    from bot.signin import Member, SignIn, SignInError, base_url

    try:
        member = Member.parse(user)
    except ValueError as exc:
        fail(f"--user: {exc}")
    try:
        settings = load_settings()
        key = settings.secret_key.get_secret_value() if settings.secret_key else None
        signin = SignIn(key)
    except (ConfigError, SignInError) as exc:
        fail(str(exc))
    sys.stdout.write(signin.link_url(base_url(settings.public_url, settings.port), member) + "\n")


@app.command()
def run(process: Annotated[str, typer.Argument(help="web | slack | discord | scheduler | console")]) -> None:
    """Run a long-lived process (see the Procfile)."""
    if process == "slack":  # the Procfile's old `web` line: the web process serves Slack's routes too
        process = "web"
    if process == "scheduler":
        from bot.scheduler import run_scheduler

        with engine_for() as engine:
            logging.getLogger("bot").setLevel(logging.INFO)
            raise typer.Exit(run_scheduler(engine, _notice_sender(engine)))
    if process not in ("web", "discord", "console"):
        fail(f"run {process}: no such process (choose web, slack, discord, scheduler or console)")
    with engine_for() as engine:
        try:
            code = load_platform(process).run(engine)
        except PlatformUnavailable as exc:
            fail(str(exc))
    raise typer.Exit(code)


def _notice_sender(engine: Engine) -> Callable[[Any], None]:
    """Direct messages for new-version notices, through the saver's platform."""

    def send(notice: Any) -> None:
        load_platform(notice.platform).send_direct_message(engine, notice.workspace, notice.user, notice.text)

    return send


@app.command()
def demo(as_json: JsonOpt = False) -> None:
    """The main job offline: a real arXiv day, a sample radar, today's digest in the terminal."""
    from bot.demo import run_demo

    with tempfile.TemporaryDirectory(prefix="academichub-demo-") as tmp:
        try:
            digests = run_demo(Path(tmp))
        except (ConfigError, StoreError) as exc:
            fail(str(exc))
    if as_json:
        emit_json({"digests": [d.to_json() for d in digests]})
    else:
        _console().render_digests(digests)


def main() -> None:
    """Console-script entry point."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app()
