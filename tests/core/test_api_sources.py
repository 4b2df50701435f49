"""The new source kinds end to end: ingest into SQLite and PostgreSQL from the local feed server,
presets by name, `feed:` radar rules, `fetch --source FILE`, `academichub sources`, `/papers sources`."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.engine import Engine
from bot.models import Caller
from bot.radar import RadarIndex, parse_rule
from bot.sources import parse_any
from bot.sources import presets as presets_module
from bot.store import state as state_repo
from tests.core.test_cli import run
from tests.fakes.feed_server import FeedServer
from tests.sources.test_api_fetch import ROWS, SPLIT
from tests.sources.test_scholarly_apis import BIORXIV, ECOLOGY, EFETCH, OA_WORK, SOURCES, cassette_body

NATURE = SOURCES / "nature_rss1_prism_75items_2024-07-18.rdf"
CALLER = Caller("console", "local", "lab", "U1")


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer(SOURCES) as fake:
        yield fake


def serve_window(server: FeedServer, since: dt.date, until: dt.date) -> str:
    """The bioRxiv recording as two cursor pages of the `details` call for this window."""
    base = f"/details/biorxiv/{since.isoformat()}/{until.isoformat()}"
    doc = json.loads(BIORXIV.read_bytes())
    for start, end in ((0, SPLIT), (SPLIT, len(ROWS))):
        message = dict(doc["messages"][0], cursor=start, count=end - start, total=str(len(ROWS)))
        body = json.dumps({"messages": [message], "collection": ROWS[start:end]}).encode()
        server.route(f"{base}/{start}", body, content_type="application/json")
    return base


def api_engine(factory: Callable[..., Engine], url: str, server: FeedServer) -> Engine:
    return factory(
        url,
        ACADEMICHUB_BIORXIV_API_URL=server.base_url,
        ACADEMICHUB_CROSSREF_API_URL=server.base_url,
        ACADEMICHUB_CONTACT_EMAIL="lab@example.org",
    )


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def test_biorxiv_ingest_stores_preprints_linked_to_their_journal_dois(
    db_url: str, engine_factory: Callable[..., Engine], server: FeedServer
) -> None:
    engine = api_engine(engine_factory, db_url, server)
    serve_window(server, today() - dt.timedelta(days=7), today())
    report = engine.ingest(["biorxiv:genomics"])
    (result,) = report.sources
    assert (result.status, result.new, result.source) == ("ok", 40, "biorxiv:genomics")
    preprint = engine.show("10.1101/001768")
    assert preprint is not None and preprint.doi == "10.1016/j.isci.2022.105906" and preprint.journal is None
    assert preprint.source == "biorxiv:genomics" and preprint.categories == ["systems biology"]
    by_journal_doi = engine.show("https://doi.org/10.1016/j.isci.2022.105906")
    assert by_journal_doi is not None and by_journal_doi.id == "10.1101/001768"
    assert "mailto:lab@example.org" in server.requests[0].headers["User-Agent"]


def test_the_next_fetch_asks_only_since_the_last_good_one(
    sqlite_url: str, engine_factory: Callable[..., Engine], server: FeedServer
) -> None:
    engine = api_engine(engine_factory, sqlite_url, server)
    serve_window(server, today() - dt.timedelta(days=7), today())
    serve_window(server, today() - dt.timedelta(days=1), today())
    assert engine.ingest(["biorxiv"]).sources[0].new == 40
    again = engine.ingest(["biorxiv"]).sources[0]
    assert (again.new, again.unchanged) == (0, 40)
    assert server.requests[-1].path.startswith(f"/details/biorxiv/{today() - dt.timedelta(days=1)}/")


def test_a_failure_part_way_keeps_what_arrived_and_the_window(
    sqlite_url: str, engine_factory: Callable[..., Engine], server: FeedServer
) -> None:
    engine = api_engine(engine_factory, sqlite_url, server)
    base = serve_window(server, today() - dt.timedelta(days=7), today())
    server.fail(f"{base}/{SPLIT}", 503)
    (result,) = engine.ingest(["biorxiv"]).sources
    assert result.status == "failed" and "HTTP 503" in (result.error or "")
    assert result.new == len({r["doi"] for r in ROWS[:SPLIT]})  # the first page is stored
    with engine.db.session() as session:
        assert state_repo.get_fetch_state(session=session, source="biorxiv") is None  # asks again next time


def test_bad_sources_are_one_line_each_and_lose_nothing(
    sqlite_url: str, engine_factory: Callable[..., Engine], server: FeedServer, tmp_path: Path
) -> None:
    engine = api_engine(engine_factory, sqlite_url, server)
    server.fail("/journals/0028-0836/works", 429, retry_after="0")
    saved = tmp_path / "efetch.xml"
    saved.write_bytes(EFETCH.read_bytes())
    report = engine.ingest(["crossref:0028-0837", "biorxiv:astrology", "pubmed:", str(saved)])
    errors = [s.error or "" for s in report.sources[:3]]
    assert [s.status for s in report.sources] == ["failed", "failed", "failed", "ok"]
    assert (
        "check digit" in errors[0] and "not a biorxiv subject" in errors[1] and "needs a search" in errors[2]
    )
    assert all("\n" not in e for e in errors) and report.sources[3].new == 2
    assert not server.requests  # nothing was asked of an API for a line that names no source


def test_a_lasting_429_fails_that_source_only(
    sqlite_url: str,
    engine_factory: Callable[..., Engine],
    server: FeedServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    engine = api_engine(engine_factory, sqlite_url, server)
    server.fail("/journals/0028-0836/works", 429, retry_after="0")
    server.route("/nature.rss", NATURE.read_bytes())
    report = engine.ingest(["crossref:0028-0836", server.url("/nature.rss")])
    first, second = report.sources
    assert first.status == "failed" and "HTTP 429" in (first.error or "") and "\n" not in (first.error or "")
    assert second.status == "ok" and second.new == 75
    assert server.count("/journals/0028-0836/works") == 3  # two retries, then one sentence


def _catalogue_with(url: str) -> dict[str, Any]:
    return {
        "presets": {"nature": {"title": "Nature", "source": url, "issn": "0028-0836"}},
        "subjects": {"biorxiv": ["genomics"], "medrxiv": ["epidemiology"]},
    }


def test_a_preset_name_fetches_its_feed_and_feed_rules_follow_it(
    sqlite_url: str,
    engine_factory: Callable[..., Engine],
    server: FeedServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server.route("/nature.rss", NATURE.read_bytes())
    monkeypatch.setattr(presets_module, "_catalogue", lambda: _catalogue_with(server.url("/nature.rss")))
    engine = api_engine(engine_factory, sqlite_url, server)
    (result,) = engine.ingest(["nature"]).sources
    assert (result.source, result.new) == ("nature", 75)
    paper = engine.show("10.1038/s41586-024-07657-w")
    assert paper is not None and len(paper.authors) == 137 and paper.source == server.url("/nature.rss")
    rule = parse_rule("feed:nature")
    assert rule.value == server.url("/nature.rss")
    assert "10.1038/s41586-024-07657-w" in RadarIndex([paper]).match([rule])


def test_feed_nature_matches_the_real_preset_url() -> None:
    papers = parse_any(NATURE.read_bytes(), "https://www.nature.com/nature.rss").papers
    other = parse_any(BIORXIV.read_bytes(), "biorxiv:genomics").papers
    index = RadarIndex(papers + other)
    assert len(index.match([parse_rule("feed:nature")])) == 75
    assert len(index.match([parse_rule("feed:biorxiv")])) == 40  # the whole server covers its subjects
    assert parse_rule("feed:nature").text == "feed:https://www.nature.com/nature.rss"


def test_papers_sources_lists_the_presets(sqlite_url: str, engine_factory: Callable[..., Engine]) -> None:
    engine = engine_factory(sqlite_url)
    reply = engine.commands.run("sources", CALLER)
    assert not reply.error
    for name in ("`nature`", "`pnas`", "`neurips`", "biorxiv:genomics", "openalex:author:"):
        assert name in reply.text
    assert "/papers sources" in engine.commands.run("help", CALLER).text
    bad = engine.commands.run("subscribe feed:crossref:0028-0837", CALLER)
    assert bad.error and "check digit" in bad.text


@pytest.mark.parametrize(
    ("name", "body", "kind_new"),
    [
        ("biorxiv.json", BIORXIV.read_bytes(), 40),
        ("crossref.json", cassette_body(ECOLOGY), 20),
        ("openalex.json", OA_WORK.read_bytes(), 1),
        ("efetch.xml", EFETCH.read_bytes(), 2),
        ("nature.rdf", NATURE.read_bytes(), 75),
    ],
)
def test_fetch_source_file_recognises_saved_answers(
    tmp_path: Path, name: str, body: bytes, kind_new: int
) -> None:
    saved = tmp_path / name
    saved.write_bytes(body)
    result = run(["fetch", "--source", str(saved), "--json"], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["new"] == kind_new


def test_sources_command(tmp_path: Path) -> None:
    listed = run(["sources", "--json"], tmp_path)
    assert listed.returncode == 0
    names = {p["name"] for p in json.loads(listed.stdout)["presets"]}
    assert {"nature", "science", "cell", "pnas", "prl", "nejm", "lancet", "jama", "neurips"} <= names
    assert "genomics" in run(["sources", "--subjects", "biorxiv"], tmp_path).stdout.split("\n")
    text = run(["sources"], tmp_path).stdout
    assert "nature" in text and "neurips" in text and "pubmed:QUERY" in text
    bad = run(["fetch", "--source", "crossref:1234", "--json"], tmp_path)
    assert bad.returncode == 1 and "is not an ISSN" in json.loads(bad.stdout)["sources"][0]["error"]
    bad_email = run(["sources"], tmp_path, ACADEMICHUB_CONTACT_EMAIL="nobody")
    assert bad_email.returncode == 0  # `sources` needs no settings
    fetch_bad_email = run(["fetch", "--source", "biorxiv"], tmp_path, ACADEMICHUB_CONTACT_EMAIL="nobody")
    assert fetch_bad_email.returncode == 2 and "ACADEMICHUB_CONTACT_EMAIL" in fetch_bad_email.stderr
