"""The scholarly API parsers (pure) over the real recordings in tests/fixtures/sources."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import yaml

from bot.sources import FeedError, biorxiv, crossref, openalex, parse_any, pubmed
from bot.sources.apis import SourceSpecError, parse_source_spec, valid_issn, valid_orcid
from bot.sources.presets import presets, resolve

SOURCES = Path(__file__).resolve().parents[1] / "fixtures" / "sources"
BIORXIV = SOURCES / "biorxiv_api_details_interval_2020-01-01_2022-12-31_cursor0_50items.json"
MEDRXIV = SOURCES / "medrxiv_api_details_interval_2020-01-01_2022-12-31_cursor0_50items.json"
EFETCH = SOURCES / "pubmed_efetch_2articles_dtd2025.xml"
STRUCTURED = SOURCES / "pubmed_efetch_structured_abstract_dtd2018.xml"
ECOLOGY = SOURCES / "crossref_works_query_ecology_author_20items_vcr.yaml"
UFSM = SOURCES / "crossref_works_query_publisher_ufsm_20items_multilingual_vcr.yaml"
OA_SEARCH = SOURCES / "openalex_works_search_select_5items_2026_wrapped.json"
OA_WORK = SOURCES / "openalex_work_W2741809807_single_raw_2025-06.json"


def cassette_body(path: Path) -> bytes:
    """The Crossref JSON a habanero VCR cassette recorded (already decoded, despite its gzip header)."""
    return yaml.safe_load(path.read_text())["interactions"][0]["response"]["content"].encode()


def wrapped_body(path: Path) -> bytes:
    """The API body inside a `{status_code, url, body}` recording."""
    return json.dumps(json.loads(path.read_text())["body"]).encode()


# ---- bioRxiv / medRxiv -------------------------------------------------------------------------


def test_biorxiv_one_paper_per_doi_with_its_newest_version() -> None:
    rows = json.loads(BIORXIV.read_bytes())["collection"]
    papers = {p.id: p for p in biorxiv.parse(BIORXIV.read_bytes(), "biorxiv")}
    assert len(rows) == 50 and len(papers) == 40  # rows are versions
    v3, v4 = [r for r in rows if r["doi"] == "10.1101/008326"]  # two versions on this page
    assert (v3["version"], v4["version"]) == ("3", "4")
    paper = papers["10.1101/008326"]
    assert paper.version == 4
    assert (paper.published, paper.updated) == (dt.date(2021, 4, 27), dt.date(2021, 10, 1))
    assert paper.url == "https://www.biorxiv.org/content/10.1101/008326v4"
    assert paper.pdf_url == paper.url + ".full.pdf"
    assert max(p.version or 0 for p in papers.values()) == 13


def test_biorxiv_published_gives_the_journal_doi_and_the_server_is_not_a_journal() -> None:
    papers = {p.id: p for p in biorxiv.parse(BIORXIV.read_bytes(), "biorxiv:systems biology")}
    linked = papers["10.1101/001768"]
    assert linked.doi == "10.1016/j.isci.2022.105906"  # the preprint -> journal link, as arXiv's doi
    assert linked.journal is None and linked.source == "biorxiv:systems biology"
    assert linked.categories == ["systems biology"] and linked.primary_category == "systems biology"
    assert linked.authors[:2] == ["L. Durrieu", "A. Bush"]
    unpublished = [p for p in papers.values() if p.doi is None]
    assert unpublished and all(p.id.startswith("10.1101/") for p in papers.values())


def test_biorxiv_text_is_cleaned() -> None:
    papers = biorxiv.parse(BIORXIV.read_bytes(), "biorxiv") + biorxiv.parse(MEDRXIV.read_bytes(), "medrxiv")
    names = [a for p in papers for a in p.authors]
    assert any("Dönertas" in n for n in names)  # NFD combining diaeresis composed
    assert not any("\u0308" in n for n in names)
    assert all("\n" not in p.abstract and "  " not in p.abstract for p in papers)
    heads = ("Background", "Motivation", "Objectives")
    glued = [p.abstract for p in papers if p.abstract.startswith(heads)]
    assert len(glued) > 20 and all(a.split(":")[0].split("/")[0].split(" &")[0] in heads for a in glued)
    assert any(a.startswith("Background & Aims: Accurate") for a in glued)
    assert any("malaria to travelers. Funding: AFHSB" in p.abstract for p in papers)


def test_medrxiv_is_recognised_by_content() -> None:
    feed = parse_any(MEDRXIV.read_bytes(), "saved.json")
    assert feed.kind == "medrxiv" and len(feed.papers) == 49
    assert all(p.url and p.url.startswith("https://www.medrxiv.org/content/10.1101/") for p in feed.papers)
    assert parse_any(BIORXIV.read_bytes(), "saved.json").kind == "biorxiv"


# ---- PubMed ------------------------------------------------------------------------------------


def test_pubmed_structured_abstract_joined_with_labels() -> None:
    (paper,) = pubmed.parse(STRUCTURED.read_bytes(), "pubmed:thyroid")
    assert paper.abstract.startswith("OBJECTIVES: Animal studies suggest")
    for label in ("METHODS: Self-reported", "RESULTS: Higher exposure", "CONCLUSIONS: Our results"):
        assert label in paper.abstract
    assert "OR Q3 =4.15" not in paper.abstract and "ORQ3=4.15" in paper.abstract  # <sub> kept inline
    assert paper.id == paper.doi == "10.1136/oemed-2017-104431"
    assert paper.url == "https://pubmed.ncbi.nlm.nih.gov/28775130/"
    assert len(paper.authors) == 12 and paper.authors[0] == "Catherine C Lerro"
    assert paper.journal == "Occupational and environmental medicine"


def test_pubmed_2025_dtd_dates_initials_and_escapes() -> None:
    first, second = pubmed.parse(EFETCH.read_bytes(), "pubmed:x")
    assert first.id == "10.1006/cryo.2001.2328" and first.published is not None
    assert (first.published.year, first.published.month) == (2001, 6)  # Year + Month only
    assert first.authors[0] == "A. R. Taddei"  # initials-only ForeName
    assert not first.title.endswith(".")
    assert second.id.startswith("10.") or second.id.startswith("https://pubmed.ncbi.nlm.nih.gov/")
    assert any("P < 0.001" in p.abstract or "P<0.001" in p.abstract for p in (first, second))


def test_pubmed_esearch_json_and_xml() -> None:
    ids, count = pubmed.parse_esearch(
        (SOURCES / "pubmed_esearch_json_ml_nlp_2020-2022_retmax50.json").read_bytes()
    )
    assert (len(ids), count, ids[0]) == (50, 1834, "36006759")
    ids, count = pubmed.parse_esearch((SOURCES / "pubmed_esearch_xml_2020_retmax50.xml").read_bytes())
    assert (len(ids), count) == (50, 51)


def test_a_saved_esearch_answer_says_what_to_do() -> None:
    for name in (
        "pubmed_esearch_json_ml_nlp_2020-2022_retmax50.json",
        "pubmed_esearch_xml_2020_retmax50.xml",
    ):
        with pytest.raises(FeedError, match="pubmed:QUERY"):
            parse_any((SOURCES / name).read_bytes(), name)
    assert parse_any(STRUCTURED.read_bytes(), "x.xml").kind == "pubmed"


# ---- Crossref ----------------------------------------------------------------------------------


def test_crossref_jats_abstracts_to_plain_text() -> None:
    papers = crossref.parse(cassette_body(ECOLOGY), "crossref:x")
    assert len(papers) == 20
    with_abstract = [p for p in papers if p.abstract]
    assert len(with_abstract) == 16
    assert all("<" not in p.abstract and not p.abstract.startswith("Abstract") for p in with_abstract)
    forecast = next(p for p in papers if p.id == "10.1111/ele.14024")
    assert forecast.title == "The forecast trap" and forecast.journal == "Ecology Letters"
    assert forecast.authors[0] == "Carl Boettiger"
    assert forecast.abstract.startswith("Encouraged by decision makers’ appetite")
    assert "Big Data & Society" in {p.journal for p in papers}  # `&amp;` inside JSON
    assert not any("<scp>" in p.title for p in papers)
    preprints = [p for p in papers if p.id.startswith("10.1101/")]
    assert len(preprints) == 3 and all(p.journal is None for p in preprints)  # posted-content


def test_crossref_glued_doi_link_is_dropped() -> None:
    papers = {p.id: p for p in crossref.parse(cassette_body(UFSM), "crossref:x")}
    assert len(papers) == 20
    assert papers["10.5902/2179460x14620"].abstract.startswith("The main goal this paper")
    assert parse_any(cassette_body(UFSM), "saved.json").kind == "crossref"


# ---- OpenAlex ----------------------------------------------------------------------------------


def test_openalex_single_work_with_rebuilt_abstract() -> None:
    (paper,) = openalex.parse(OA_WORK.read_bytes(), "openalex:source:2167-8359")
    index = json.loads(OA_WORK.read_bytes())["abstract_inverted_index"]
    assert len(paper.abstract.split()) == sum(len(v) for v in index.values())
    assert paper.abstract.startswith("Despite growing interest in Open Access (OA) to scholarly literature")
    assert paper.id == paper.doi == "10.7717/peerj.4375" and paper.journal == "PeerJ"
    assert paper.authors[0] == "Heather Piwowar" and len(paper.authors) == 9
    assert paper.preprint_id is None  # PMC and repositories are not preprints
    assert parse_any(OA_WORK.read_bytes(), "w.json").kind == "openalex"


def test_openalex_results_list() -> None:
    papers = openalex.parse(wrapped_body(OA_SEARCH), "openalex:author:A1")
    assert len(papers) == 5 and all(p.abstract for p in papers)
    names = {a for p in papers for a in p.authors}
    assert "Tai‐Jiang Mu" in names  # U+2010 kept as OpenAlex sends it


def test_openalex_links_a_journal_work_to_its_arxiv_and_biorxiv_preprints() -> None:
    work = json.loads(OA_WORK.read_bytes())
    work["locations"].append({"landing_page_url": "https://arxiv.org/abs/1705.07538v2", "source": None})
    (paper,) = openalex.parse(json.dumps(work).encode(), "x")
    assert paper.preprint_id == "1705.07538"
    work["locations"][-1] = {"landing_page_url": "https://doi.org/10.1101/2020.01.01.123456", "source": None}
    (paper,) = openalex.parse(json.dumps(work).encode(), "x")
    assert paper.preprint_id == "10.1101/2020.01.01.123456"
    work["doi"] = "https://doi.org/10.48550/arXiv.1705.07538"  # OpenAlex's record of the arXiv paper
    (paper,) = openalex.parse(json.dumps(work).encode(), "x")
    assert paper.id == "1705.07538" and paper.preprint_id is None


# ---- journal feeds: Nature (RSS 1.0 + PRISM) and Atypon ----------------------------------------


def test_nature_feed() -> None:
    feed = parse_any((SOURCES / "nature_rss1_prism_75items_2024-07-18.rdf").read_bytes(), "nature")
    assert feed.kind == "journal" and len(feed.papers) == 75
    biggest = max(feed.papers, key=lambda p: len(p.authors))
    assert len(biggest.authors) == 137 and biggest.id == "10.1038/s41586-024-07657-w"
    assert sum(1 for p in feed.papers if not p.authors) == 4
    sn2 = feed.papers[0]
    assert sn2.title == "Catalysis of an SN2 pathway by geometric preorganization"  # <sub> inline
    assert sn2.abstract == ""  # the feed only repeats the title: no abstract rather than a fake one
    assert not any(p.abstract.startswith("Nature, Published online") for p in feed.papers)
    assert all(p.journal == "Nature" and p.published for p in feed.papers)
    assert any("cis-regulatory" in p.title for p in feed.papers)


def test_atypon_feed_with_leading_newline_and_prefixed_rss() -> None:
    data = (SOURCES / "atypon_ajph_toc_rss1_prefixed_20items_2015.xml").read_bytes()
    assert data.startswith(b"\n<?xml")
    feed = parse_any(data, "pnas")
    assert len(feed.papers) == 20
    first = feed.papers[0]
    assert first.id == "10.2105/ajph.2014.302274"
    assert first.journal == "American Journal of Public Health"  # not the title in prism:publicationName
    assert first.title.startswith("Effect of Systems Change")
    assert first.authors[:2] == ["Sarah Moody-Thomas", "Laura Nasuti"]
    assert all(p.abstract == "" for p in feed.papers)  # "…, Volume 105, Issue S2, Page e1-e7" is no abstract


# ---- source lines and presets ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "text"),
    [
        ("biorxiv:genomics", "biorxiv:genomics"),
        ("bioRxiv:Cell_Biology", "biorxiv:cell biology"),
        ("medrxiv", "medrxiv"),
        ("medrxiv:", "medrxiv"),
        ('pubmed: "deep learning"[tiab]  AND radiology', 'pubmed:"deep learning"[tiab] AND radiology'),
        ("crossref:00280836", "crossref:0028-0836"),
        ("openalex:author:a5048491430", "openalex:author:A5048491430"),
        ("openalex:author:https://orcid.org/0000-0003-1613-5981", "openalex:author:0000-0003-1613-5981"),
        ("openalex:source:1049-5258", "openalex:source:1049-5258"),
    ],
)
def test_source_lines(line: str, text: str) -> None:
    spec = parse_source_spec(line)
    assert spec is not None and spec.text == text


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("crossref:0028-0837", "wrong check digit"),
        ("crossref:nature", "is not an ISSN"),
        ("biorxiv:astrology", "is not a biorxiv subject"),
        ("biorxiv:genomic", "did you mean biorxiv:genomics"),
        ("pubmed:", "needs a search"),
        ("pubmed:   ", "needs a search"),
        ("openalex:author:Grohs", "neither an OpenAlex author id"),
        ("openalex:author:0000-0003-1613-5982", "neither an OpenAlex author id"),
        ("openalex:venue:x", "needs `author:ID`"),
    ],
)
def test_bad_source_lines_are_one_sentence(line: str, reason: str) -> None:
    with pytest.raises(SourceSpecError, match=reason) as err:
        parse_source_spec(line)
    assert "\n" not in str(err.value)


def test_other_lines_are_no_api_source() -> None:
    for line in ("https://www.nature.com/nature.rss", "arxiv:cs.LG", "feed.xml", "/tmp/x.json"):
        assert parse_source_spec(line) is None


def test_check_digits() -> None:
    assert valid_issn("2167-8359") == "2167-8359" and valid_issn("0000-006x") == "0000-006X"
    assert valid_orcid("0000-0002-1825-0097") == "0000-0002-1825-0097"
    assert valid_orcid("0000-0002-1825-0098") is None


def test_presets_are_data_and_every_one_names_a_valid_source() -> None:
    catalogue = presets()
    for name in ("nature", "science", "cell", "pnas", "prl", "nejm", "lancet", "jama", "neurips"):
        assert name in catalogue
    for preset in catalogue.values():
        line = resolve(preset.name)
        assert line.startswith("https://") or parse_source_spec(line) is not None, preset
        assert preset.issn is None or valid_issn(preset.issn) == preset.issn
    assert resolve("NATURE") == "https://www.nature.com/nature.rss"
    assert resolve("https://example.org/feed") == "https://example.org/feed"
