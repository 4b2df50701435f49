"""The scholarly API fetchers against the local feed server serving the real recordings:
paging, batches, rate limits, polite headers, 429/503, and a failure part-way through."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from urllib.parse import parse_qs

import pytest

from bot.sources import SourceUnavailable
from bot.sources import crossref as crossref_module
from bot.sources import pubmed as pubmed_module
from bot.sources.apis import ApiOptions, IncompleteSource, parse_source_spec
from bot.sources.scholarly import fetch_source
from tests.fakes.feed_server import FeedServer
from tests.sources.test_scholarly_apis import (
    BIORXIV,
    ECOLOGY,
    EFETCH,
    OA_SEARCH,
    SOURCES,
    STRUCTURED,
    UFSM,
    cassette_body,
    wrapped_body,
)

SINCE, UNTIL = dt.date(2020, 1, 1), dt.date(2022, 12, 31)
INTERVAL = "/details/biorxiv/2020-01-01/2022-12-31"


def options(server: FeedServer, **extra: object) -> ApiOptions:
    bases = dict.fromkeys(("biorxiv", "medrxiv", "pubmed", "crossref", "openalex"), server.base_url)
    settings: dict[str, object] = {"timeout": 5.0, "since": SINCE, "until": UNTIL, "base_urls": bases}
    settings.update(extra)
    return ApiOptions(**settings)  # type: ignore[arg-type]


ROWS = json.loads(BIORXIV.read_bytes())["collection"]
# Where the recording's rows are cut into two pages: between two versions of one DOI.
SPLIT = next(i for i in range(1, len(ROWS)) if ROWS[i - 1]["doi"] == ROWS[i]["doi"])


def serve_biorxiv(server: FeedServer, cut: int = SPLIT) -> None:
    """The recorded page served as cursor pages [0, cut) and [cut, 50), each with its `messages`."""
    doc = json.loads(BIORXIV.read_bytes())
    for start, end in ((0, cut), (cut, len(ROWS))) if cut < len(ROWS) else ((0, cut),):
        message = dict(doc["messages"][0], cursor=start, count=end - start, total=str(len(ROWS)))
        body = json.dumps({"messages": [message], "collection": ROWS[start:end]}).encode()
        server.route(f"{INTERVAL}/{start}", body, content_type="application/json")


def query_of(server: FeedServer, path: str) -> list[dict[str, list[str]]]:
    return [parse_qs(r.query) for r in server.requests if r.path == path]


# ---- bioRxiv ----------------------------------------------------------------------------------


def test_biorxiv_pages_by_cursor_and_merges_versions_across_pages(feed_server: FeedServer) -> None:
    serve_biorxiv(feed_server)
    feed = fetch_source(parse_source_spec("biorxiv:genomics"), options(feed_server))  # type: ignore[arg-type]
    paths = [r.path for r in feed_server.requests]
    assert paths == [f"{INTERVAL}/0", f"{INTERVAL}/{SPLIT}"]  # stops when the cursor reaches `total`
    assert all(parse_qs(r.query) == {"category": ["genomics"]} for r in feed_server.requests)
    both = {r["doi"] for r in ROWS[:SPLIT]} & {r["doi"] for r in ROWS[SPLIT:]}
    assert len(feed.papers) == 40 and both
    for doi in both:  # versions on both pages make one paper with the newest version
        paper = next(p for p in feed.papers if p.id == doi)
        assert paper.version == max(int(r["version"]) for r in ROWS if r["doi"] == doi)
    assert {p.source for p in feed.papers} == {"biorxiv:genomics"}


def test_biorxiv_subject_with_spaces_goes_as_underscores(feed_server: FeedServer) -> None:
    serve_biorxiv(feed_server, cut=len(ROWS))
    fetch_source(parse_source_spec("biorxiv:cell biology"), options(feed_server))  # type: ignore[arg-type]
    assert feed_server.requests[0].query == "category=cell_biology"


def test_biorxiv_failure_after_a_page_keeps_that_page(feed_server: FeedServer) -> None:
    serve_biorxiv(feed_server)
    feed_server.fail(f"{INTERVAL}/{SPLIT}", 503)  # every time: the retries give up
    with pytest.raises(IncompleteSource) as err:
        fetch_source(parse_source_spec("biorxiv"), options(feed_server, sleep=lambda s: None))  # type: ignore[arg-type]
    message = str(err.value)
    assert "HTTP 503" in message and f"after {SPLIT} records of bioRxiv" in message and "\n" not in message
    assert {p.id for p in err.value.papers} == {r["doi"] for r in ROWS[:SPLIT]}


def test_biorxiv_429_is_retried_honouring_retry_after(feed_server: FeedServer) -> None:
    serve_biorxiv(feed_server, cut=len(ROWS))
    feed_server.fail(f"{INTERVAL}/0", 429, times=1, retry_after="1")
    waits: list[float] = []
    feed = fetch_source(parse_source_spec("biorxiv"), options(feed_server, sleep=waits.append))  # type: ignore[arg-type]
    assert waits == [1.0] and len(feed.papers) == 40


def test_a_lasting_429_is_one_line(feed_server: FeedServer) -> None:
    feed_server.fail(f"{INTERVAL}/0", 429, retry_after="0")
    with pytest.raises(SourceUnavailable, match="HTTP 429") as err:
        fetch_source(parse_source_spec("biorxiv"), options(feed_server, sleep=lambda s: None))  # type: ignore[arg-type]
    assert "\n" not in str(err.value) and not isinstance(err.value, IncompleteSource)


# ---- PubMed -----------------------------------------------------------------------------------


def serve_pubmed(server: FeedServer) -> None:
    esearch = (SOURCES / "pubmed_esearch_json_ml_nlp_2020-2022_retmax50.json").read_bytes()
    server.route("/esearch.fcgi", esearch, content_type="application/json")
    ids = json.loads(esearch)["esearchresult"]["idlist"]
    server.route("/efetch.fcgi", EFETCH.read_bytes(), content_type="text/xml")
    # the last batch answers with the structured-abstract record
    server.route(
        "/efetch.fcgi", STRUCTURED.read_bytes(), content_type="text/xml", query={"id": ",".join(ids[40:])}
    )


class PacingClock:
    """Monotonic time that moves only when the client sleeps, read where the client starts each
    request: the spacing asserted is the client's own, not arrival times at a stand-in on a loaded
    machine (which jitter both ways). Without pacing nothing sleeps and every gap is 0."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.starts: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def gaps(self) -> list[float]:
        return [b - a for a, b in itertools.pairwise(self.starts)]


@pytest.fixture
def pacing(monkeypatch: pytest.MonkeyPatch) -> PacingClock:
    """Records the clock at each request PubMed's client starts (its one `get`)."""
    clock = PacingClock()
    real_get = pubmed_module.get

    def get(url: str, opts: ApiOptions) -> bytes:
        clock.starts.append(clock())
        return real_get(url, opts)

    monkeypatch.setattr(pubmed_module, "get", get)
    return clock


def test_pubmed_esearch_then_efetch_in_batches_with_key(
    feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch, pacing: PacingClock
) -> None:
    monkeypatch.setattr(pubmed_module, "BATCH", 20)
    serve_pubmed(feed_server)
    opts = options(
        feed_server, ncbi_api_key="k3y", contact_email="lab@example.org", clock=pacing, sleep=pacing.sleep
    )
    feed = fetch_source(parse_source_spec("pubmed:machine learning[tiab]"), opts)  # type: ignore[arg-type]
    (search,) = query_of(feed_server, "/esearch.fcgi")
    assert search["term"] == ["machine learning[tiab]"] and search["datetype"] == ["edat"]
    assert (search["mindate"], search["maxdate"]) == (["2020/01/01"], ["2022/12/31"])
    assert (
        search["api_key"] == ["k3y"]
        and search["email"] == ["lab@example.org"]
        and search["tool"] == ["academichub"]
    )
    fetches = query_of(feed_server, "/efetch.fcgi")
    assert [len(q["id"][0].split(",")) for q in fetches] == [20, 20, 10]
    assert len(feed.papers) == 3  # the two-article answer twice (once each), then the structured one
    structured = next(p for p in feed.papers if p.id == "10.1136/oemed-2017-104431")
    assert structured.abstract.startswith("OBJECTIVES: ")
    assert len(pacing.starts) == len(feed_server.requests) == 4
    assert all(gap >= 0.1 - 1e-9 for gap in pacing.gaps())  # 10 a second with a key


def test_pubmed_without_key_keeps_to_three_a_second(
    feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch, pacing: PacingClock
) -> None:
    monkeypatch.setattr(pubmed_module, "BATCH", 25)
    serve_pubmed(feed_server)
    opts = options(feed_server, clock=pacing, sleep=pacing.sleep)
    fetch_source(parse_source_spec("pubmed:x"), opts)  # type: ignore[arg-type]
    assert len(pacing.starts) == len(feed_server.requests) == 3
    assert all(gap >= 0.34 - 1e-9 for gap in pacing.gaps())
    assert "api_key" not in feed_server.requests[0].query


def test_pubmed_refusal_is_one_line(feed_server: FeedServer) -> None:
    body = b'{"header":{"type":"esearch","version":"0.3"},"esearchresult":{"ERROR":"Invalid query"}}'
    feed_server.route("/esearch.fcgi", body, content_type="application/json")
    with pytest.raises(Exception, match="PubMed refused the search: Invalid query"):
        fetch_source(parse_source_spec("pubmed:((("), options(feed_server))  # type: ignore[arg-type]


# ---- Crossref ---------------------------------------------------------------------------------


def test_crossref_journal_works_polite_and_paged(
    feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(crossref_module, "ROWS", 20)
    first = json.loads(cassette_body(ECOLOGY))
    first["message"]["next-cursor"] = "DnF1ZXJ5VGhlbkZldGNo"
    path = "/journals/0028-0836/works"
    feed_server.route(
        path, json.dumps(first).encode(), content_type="application/json", query={"cursor": "*"}
    )
    feed_server.route(
        path, cassette_body(UFSM), content_type="application/json", query={"cursor": "DnF1ZXJ5VGhlbkZldGNo"}
    )
    opts = options(feed_server, contact_email="lab@example.org")
    feed = fetch_source(parse_source_spec("crossref:0028-0836"), opts)  # type: ignore[arg-type]
    assert len(feed.papers) == 40 and len(feed_server.requests) == 2  # 20 + 20, then a short page ends it
    query = parse_qs(feed_server.requests[0].query)
    assert query["filter"] == ["from-pub-date:2020-01-01,until-pub-date:2022-12-31"]
    assert query["mailto"] == ["lab@example.org"] and query["rows"] == ["20"]
    assert "mailto:lab@example.org" in feed_server.requests[0].headers["User-Agent"]


def test_crossref_unknown_issn_is_one_line(feed_server: FeedServer) -> None:
    feed_server.route(
        "/journals/0000-0000/works", b"Resource not found.", status=404, content_type="text/plain"
    )
    with pytest.raises(SourceUnavailable, match="HTTP 404") as err:
        fetch_source(parse_source_spec("crossref:0000-0000"), options(feed_server))  # type: ignore[arg-type]
    assert "\n" not in str(err.value)


# ---- OpenAlex ---------------------------------------------------------------------------------


def test_openalex_author_by_orcid(feed_server: FeedServer) -> None:
    feed_server.route("/works", wrapped_body(OA_SEARCH), content_type="application/json")
    spec = parse_source_spec("openalex:author:0000-0003-1613-5981")
    feed = fetch_source(spec, options(feed_server, contact_email="lab@example.org"))  # type: ignore[arg-type]
    assert len(feed.papers) == 5 and {p.source for p in feed.papers} == {
        "openalex:author:0000-0003-1613-5981"
    }
    (query,) = query_of(feed_server, "/works")
    assert query["filter"] == [
        "authorships.author.orcid:https://orcid.org/0000-0003-1613-5981,"
        "from_publication_date:2020-01-01,to_publication_date:2022-12-31"
    ]
    assert query["mailto"] == ["lab@example.org"] and query["cursor"] == ["*"]


def test_openalex_journal_by_issn(feed_server: FeedServer) -> None:
    feed_server.route("/works", (SOURCES / "openalex_work_W2741809807_single_raw_2025-06.json").read_bytes())
    feed = fetch_source(parse_source_spec("openalex:source:2167-8359"), options(feed_server))  # type: ignore[arg-type]
    assert [p.id for p in feed.papers] == ["10.7717/peerj.4375"]
    assert query_of(feed_server, "/works")[0]["filter"][0].startswith(
        "primary_location.source.issn:2167-8359,"
    )


def test_default_window_is_the_last_week() -> None:
    today = dt.datetime.now(dt.UTC).date()
    assert ApiOptions().window() == (today - dt.timedelta(days=7), today)
    assert ApiOptions(since=today - dt.timedelta(days=2)).window() == (today - dt.timedelta(days=2), today)


def test_user_agent_names_the_contact() -> None:
    assert "mailto" not in ApiOptions().user_agent
    assert ApiOptions(contact_email="a@b.org").user_agent.endswith("; mailto:a@b.org)")
