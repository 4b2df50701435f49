"""Build small feeds in the exact rss.arxiv.org shape of the captured fixtures, for cases the
fixtures lack (a chosen id, a replacement, hostile text). The item layout is copied from
tests/fixtures/arxiv_rss/trimmed4_multi_csLG_csAI_csCL_statML_2026-09-24_new_cross_replace.xml."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape


@dataclass
class Item:
    id: str
    title: str
    creators: str
    abstract: str = "We study a problem and prove a theorem about it."
    categories: list[str] = field(default_factory=lambda: ["cs.LG"])
    announce: str = "new"
    version: int = 1
    doi: str | None = None
    journal_ref: str | None = None


def _item_xml(item: Item, stamp: dt.datetime) -> str:
    extra = ""
    if item.doi:
        extra += f"      <arxiv:DOI>{escape(item.doi)}</arxiv:DOI>\n"
    if item.journal_ref:
        extra += f"      <arxiv:journal_reference>{escape(item.journal_ref)}</arxiv:journal_reference>\n"
    cats = "".join(f"      <category>{c}</category>\n" for c in item.categories)
    return (
        "    <item>\n"
        f"      <title>{escape(item.title)}</title>\n"
        f"      <link>https://arxiv.org/abs/{item.id}</link>\n"
        f"      <description>arXiv:{item.id}v{item.version} Announce Type: {item.announce} \n"
        f"Abstract: {escape(item.abstract)}</description>\n"
        f'      <guid isPermaLink="false">oai:arXiv.org:{item.id}v{item.version}</guid>\n'
        f"{cats}      <pubDate>{format_datetime(stamp)}</pubDate>\n"
        f"      <arxiv:announce_type>{item.announce}</arxiv:announce_type>\n"
        "      <dc:rights>http://creativecommons.org/licenses/by/4.0/</dc:rights>\n"
        f"      <dc:creator>{escape(item.creators)}</dc:creator>\n{extra}"
        "    </item>\n"
    )


def arxiv_feed(items: list[Item], day: dt.date) -> str:
    """An RSS 2.0 rss.arxiv.org feed for one announcement day."""
    stamp = dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone(dt.timedelta(hours=-4)))
    return (
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        '<rss xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:atom="http://www.w3.org/2005/Atom" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'version="2.0">\n  <channel>\n'
        "    <title>cs.LG, math.NA updates on arXiv.org</title>\n"
        "    <link>http://rss.arxiv.org/rss/cs.LG+math.NA</link>\n"
        "    <description>cs.LG, math.NA updates on the arXiv.org e-print archive.</description>\n"
        f"    <pubDate>{format_datetime(stamp)}</pubDate>\n"
        "    <skipDays>\n      <day>Sunday</day>\n      <day>Saturday</day>\n    </skipDays>\n"
        + "".join(_item_xml(i, stamp) for i in items)
        + "  </channel>\n</rss>\n"
    )


def write_feed(path: Path, items: list[Item], day: dt.date) -> str:
    path.write_text(arxiv_feed(items, day), encoding="utf-8")
    return str(path)


GROHS = Item(
    id="2606.16028",
    title="The Information-Theoretic Benefit of Shared Representations under Orthogonality Constraints",
    creators="Philipp Grohs (University of Vienna, Faculty of Mathematics), Anna M\\\"uller, Andr\\'e Weber",
    abstract=(
        "We prove that shared representations reduce sample complexity. Neural operator experiments agree."
    ),
    categories=["cs.LG", "math.NA", "stat.ML"],
    doi="10.1000/shared.2026.16028",
)


@dataclass
class JournalItem:
    """One item of a journal's RSS 1.0 / PRISM table of contents (the shape of the Wiley and
    MDPI captures in tests/fixtures/journals)."""

    doi: str
    title: str
    creators: list[str]
    published: dt.date
    abstract: str = "We report results."


def journal_feed(items: list[JournalItem], journal: str = "SIAM J. Numer. Anal.") -> str:
    """An RSS 1.0 feed with PRISM fields, one dc:creator per author."""
    body = ""
    for item in items:
        creators = "".join(f"    <dc:creator>{escape(c)}</dc:creator>\n" for c in item.creators)
        body += (
            f'  <item rdf:about="https://doi.org/{item.doi}">\n'
            f"    <title>{escape(item.title)}</title>\n"
            f"    <link>https://doi.org/{item.doi}</link>\n"
            f"    <description>{escape(item.abstract)}</description>\n{creators}"
            f"    <dc:date>{item.published.isoformat()}</dc:date>\n"
            f"    <prism:doi>{item.doi}</prism:doi>\n"
            f"    <prism:publicationName>{escape(journal)}</prism:publicationName>\n"
            "  </item>\n"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:prism="http://prismstandard.org/namespaces/basic/2.0/">\n'
        f'  <channel rdf:about="https://journal.example/toc">\n    <title>{escape(journal)}</title>\n'
        "    <link>https://journal.example/toc</link>\n    <description>Latest articles</description>\n"
        "  </channel>\n" + body + "</rdf:RDF>\n"
    )


def write_journal_feed(path: Path, items: list[JournalItem], journal: str = "SIAM J. Numer. Anal.") -> str:
    path.write_text(journal_feed(items, journal), encoding="utf-8")
    return str(path)


def listing_items(count: int) -> list[Item]:
    """`count` real records of the listings in tests/fixtures/corpus as feed items (titles,
    abstracts, authors and categories as arXiv gave them; ids as listed), newest day first."""
    from tests.corpus import LISTING_DAYS, listing_papers

    items: dict[str, Item] = {}
    for day in reversed(LISTING_DAYS):
        for paper in listing_papers(day):
            items.setdefault(
                paper.id,
                Item(
                    id=paper.id,
                    title=paper.title,
                    creators=", ".join(paper.authors),
                    abstract=paper.abstract,
                    categories=paper.categories or ["cs.LG"],
                ),
            )
            if len(items) == count:
                return list(items.values())
    raise ValueError(f"the listings hold fewer than {count} papers")
