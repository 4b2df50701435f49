"""Reading-list export: BibTeX, RIS and CSL-JSON from papers (pure: papers in, text out)."""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import TYPE_CHECKING

import bibtexparser
from bibtexparser.model import Entry, Field

from bot.identity import paper_date
from bot.ids import abs_url
from bot.models import Attachment, Paper
from bot.names import LETTER_FOLD
from bot.query.model import export_format
from bot.sources.latex import decode_latex

if TYPE_CHECKING:
    from nameparser.config import Constants

FILENAME_STEM = "academichub-reading-list"
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_COLLECTIVE_RE = re.compile(r"\b(collaboration|consortium|team|group|project|committee|et al)\b", re.I)
_KEY_STOPWORDS = frozenset(
    {"a", "an", "the", "on", "of", "in", "for", "to", "and", "with", "from", "by", "at", "is", "are", "via",
     "towards", "toward"}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class PersonName:
    """An author split for citation formats; `literal` names (collaborations) are never split."""

    family: str
    given: str = ""
    particle: str = ""  # lower-case "von" part kept apart: van, von, de la …
    suffix: str = ""
    literal: bool = False


@cache
def _name_rules() -> Constants:
    """nameparser's rules, narrowed for author lists: its titles ("Sister", "Dean"), acronym
    suffixes ("Iso", "MD") and English conjunctions ("The") are given names and surnames in
    real arXiv author strings; "el" joins its particles (El Saddik, like al-/el- it knows).
    Built on the first export, not at import (nameparser takes a quarter second to load)."""
    from nameparser.config import CONSTANTS, Constants

    return Constants(
        titles=(),
        first_name_titles=(),
        suffix_acronyms=(),
        conjunctions=("y", "i", "e"),
        prefixes=(*CONSTANTS.prefixes, "el"),
    )


@lru_cache(maxsize=1 << 14)  # nameparser takes ~0.5 ms a name; reading lists repeat authors
def split_name(name: str) -> PersonName:
    """Split `First Last`, `Last, First`, `Last, Jr, First`, particles and collaborations."""
    clean = " ".join(re.sub(r"\([^)]*\)", " ", name).split()).strip(" ,;")
    if _COLLECTIVE_RE.search(clean) or not clean:
        return PersonName(family=clean, literal=True)
    parts = [p.strip() for p in clean.split(",") if p.strip()]
    if len(parts) >= 3:  # BibTeX's `von Last, Jr, First`, which nameparser reads as suffixes
        particle, family = _split_particle(parts[0])
        return PersonName(family, ", ".join(parts[2:]), particle, parts[1])
    from nameparser import HumanName

    human = HumanName(clean, constants=_name_rules())
    given = " ".join(p for p in (human.title, human.first, human.middle) if p)
    if not human.last:  # a single name ("Madonna") is a family name
        return PersonName(family=given or clean, suffix=human.suffix)
    particle, family = _split_particle(human.last)
    return PersonName(family, given, particle, human.suffix)


def _split_particle(last: str) -> tuple[str, str]:
    """nameparser keeps particles in the last name; the leading lower-case ones (van, de la) are
    BibTeX's `von` part, and a capitalised `Van` stays in the family name."""
    tokens = last.split()
    i = 0
    while i < len(tokens) - 1 and tokens[i].islower() and tokens[i] in _name_rules().prefixes:
        i += 1
    return " ".join(tokens[:i]), " ".join(tokens[i:])


# --- TeX text ------------------------------------------------------------------------------

_TEX_PIECE_RE = re.compile(
    r"(?P<math>\$\$[^$]+\$\$|\$[^$]+\$)"
    r"|(?P<cmd>\\(?:[A-Za-z]+|[^A-Za-z{}\x00\x01]))"
    r"|(?P<at>@(?=\w*[ \t]*[{(]))"
    r"|(?P<special>[&%#_^$\\])"
    r"|(?P<text>[^$\\&%#_^@]+|@)"
)
_ESCAPES = {"&": r"\&", "%": r"\%", "#": r"\#", "_": r"\_", "$": r"\$", "^": r"\textasciicircum{}",
            "\\": r"\textbackslash{}"}  # fmt: skip


def tex_to_unicode(text: str) -> str:
    """Decode TeX accents (`Bal\\'azs`, `{\\O}bro`, `\\v{S}`) as arXiv metadata writes them."""
    return decode_latex(text) if "\\" in text else text


def plain_text(text: str) -> str:
    """One-line plain text for RIS/CSL: TeX accents decoded, protective braces and escapes dropped."""
    text = tex_to_unicode(text)
    if "$" not in text:  # outside math, `\emph{x}` and `{LHC}` are formatting, not content
        text = re.sub(r"(?<!\\)[{}]", "", re.sub(r"\\[A-Za-z]+\s*(?=\{)", "", text))
    return " ".join(re.sub(r"\\([&%#_{}$])", r"\1", text).split())


def ascii_fold(text: str) -> str:
    """Lower-case ASCII letters and digits only, for citation keys."""
    decomposed = unicodedata.normalize("NFKD", tex_to_unicode(text).casefold().translate(LETTER_FOLD))
    return re.sub(r"[^a-z0-9]", "", decomposed.encode("ascii", "ignore").decode())


def tex_escape(text: str) -> str:
    """Escape text for a BibTeX value: specials escaped, `$…$` math and TeX commands kept, braces balanced."""
    text = _mark_unmatched_braces(" ".join(text.replace("\x00", "").replace("\x01", "").split()))
    out: list[str] = []
    for m in _TEX_PIECE_RE.finditer(text):
        kind, piece = m.lastgroup, m.group()
        if kind == "math":
            piece = re.sub(r"(?<!\\)([&%#])", r"\\\1", piece)  # alignment/comment chars break math too
        elif kind == "at":
            piece = "{@}"  # an `@name{` inside a value reads as a new entry to some parsers
        elif kind == "special":
            piece = _ESCAPES[piece]
        out.append(piece)
    return "".join(out).replace("\x00", r"\textbraceleft{}").replace("\x01", r"\textbraceright{}")


def _mark_unmatched_braces(text: str) -> str:
    """Turn `\\{`, `\\}` and unmatched braces into placeholders: BibTeX counts even escaped braces."""
    text = re.sub(r"(?<!\\)\\\{", "\x00", re.sub(r"(?<!\\)\\\}", "\x01", text))
    chars, stack = list(text), []
    for i, ch in enumerate(chars):
        if ch == "{":
            stack.append(i)
        elif ch == "}":
            if stack:
                stack.pop()
            else:
                chars[i] = "\x01"
    for i in stack:
        chars[i] = "\x00"
    return "".join(chars)


# --- shared preparation --------------------------------------------------------------------


def _paper_date(paper: Paper) -> dt.date | None:
    """Dated by the paper (first version, or the journal's date), not by when we stored it."""
    return paper_date(paper.id, paper.published, paper.announced or paper.updated)


def _is_published(paper: Paper) -> bool:
    """Journal article when a journal or a non-arXiv DOI is known (10.48550 is arXiv's own DOI)."""
    own_doi = bool(paper.doi) and not (paper.doi or "").lower().startswith("10.48550/")
    return bool(paper.journal or paper.journal_ref or own_doi)


def _url(paper: Paper) -> str:
    if paper.url:
        return paper.url
    if paper.is_arxiv:
        return abs_url(paper.id)
    return f"https://doi.org/{paper.doi}" if paper.doi else ""


def _key_base(paper: Paper) -> str:
    """`surnameYYYYfirstword`, ASCII-folded; the first title word skips stop words and math."""
    family = split_name(paper.authors[0]).family if paper.authors else ""
    surname = ascii_fold(family) or "anon"
    date = _paper_date(paper)
    words = (ascii_fold(w) for w in re.sub(r"\$[^$]*\$", " ", paper.title).split())
    first = next((w for w in words if w and w not in _KEY_STOPWORDS), "")
    return f"{surname}{date.year if date else ''}{first}"


def _suffixes() -> Iterator[str]:
    """ "", a, b, …, z, aa, ab, … — the first paper keeps the plain key."""
    yield ""
    letters = "abcdefghijklmnopqrstuvwxyz"
    width = 1
    while True:
        for n in range(26**width):
            yield "".join(letters[(n // 26**p) % 26] for p in reversed(range(width)))
        width += 1


def keyed_papers(papers: Sequence[Paper]) -> list[tuple[str, Paper]]:
    """(citation key, paper) pairs: deduplicated by id, unique keys, sorted; input order never matters."""
    newest: dict[str, Paper] = {}
    for paper in papers:
        if paper.id not in newest or _freshness(paper) > _freshness(newest[paper.id]):
            newest[paper.id] = paper
    used: set[str] = set()
    keyed: list[tuple[str, Paper]] = []
    ranked = sorted(((_key_base(p), p) for p in newest.values()), key=lambda bp: (bp[0], bp[1].id))
    for base, paper in ranked:
        key = next(base + s for s in _suffixes() if base + s not in used)
        used.add(key)
        keyed.append((key, paper))
    return sorted(keyed, key=lambda kp: kp[0])


def _freshness(paper: Paper) -> tuple[int, str, str]:
    """Which of two copies of one paper to export: the newest version, then a stable tie-break."""
    return (paper.version or 0, str(paper.updated or ""), json.dumps(paper.to_json(), sort_keys=True))


# --- BibTeX --------------------------------------------------------------------------------


def _bib_name(name: PersonName) -> str:
    """`von Last, Jr, First` — the one BibTeX form that keeps multi-word family names whole."""

    def protect(part: str) -> str:
        escaped = tex_escape(part)
        return "{" + escaped + "}" if re.search(r"\band\b|,", escaped, re.I) else escaped

    if name.literal:
        return "{" + tex_escape(name.family) + "}"
    last = protect(f"{name.particle} {name.family}".strip())
    parts = (
        [last]
        + ([protect(name.suffix)] if name.suffix else [])
        + ([protect(name.given)] if name.given else [])
    )
    return ", ".join(parts) if name.given or name.suffix else last


def _bib_entry(key: str, paper: Paper) -> Entry:
    date = _paper_date(paper)
    fields = [
        Field("author", " and ".join(_bib_name(split_name(a)) for a in paper.authors)),
        Field("title", "{" + tex_escape(paper.title) + "}"),  # double braces keep the capitals
    ]
    if date:
        fields.append(Field("year", str(date.year)))
        fields.append(Field("month", _MONTHS[date.month - 1], enclosing="no-enclosing"))
    journal = paper.journal or paper.journal_ref
    if journal:
        fields.append(Field("journal", tex_escape(journal)))
    if paper.doi:
        fields.append(Field("doi", re.sub(r"[{}\s]", "", paper.doi)))  # doi/url are verbatim fields
    if paper.is_arxiv:
        fields.append(Field("eprint", paper.id))
        fields.append(Field("archivePrefix", "arXiv"))
        primary = paper.primary_category or (paper.categories[0] if paper.categories else None)
        if primary:
            fields.append(Field("primaryClass", primary))
    if _url(paper):
        fields.append(Field("url", re.sub(r"[{}\s]", "", _url(paper))))
    return Entry("article" if _is_published(paper) else "misc", key, fields)


def to_bibtex(papers: Sequence[Paper]) -> str:
    """BibTeX (UTF-8) for the papers: @article when published, else @misc with arXiv eprint fields."""
    library = bibtexparser.Library([_bib_entry(key, paper) for key, paper in keyed_papers(papers)])
    fmt = bibtexparser.BibtexFormat()
    fmt.indent = "  "
    fmt.value_column = "auto"
    return bibtexparser.write_string(library, bibtex_format=fmt)


# --- RIS -----------------------------------------------------------------------------------

RIS_EOL = "\r\n"  # the RIS specification ends every line with CR LF


def _ris_name(name: PersonName) -> str:
    if name.literal:
        return plain_text(name.family)
    last = plain_text(f"{name.particle} {name.family}".strip())
    rest = [plain_text(p) for p in (name.given, name.suffix) if p]
    return ", ".join([last, *rest])


def _ris_record(paper: Paper) -> list[tuple[str, str]]:
    date = _paper_date(paper)
    tags = [("TY", "JOUR" if _is_published(paper) else "UNPB"), ("TI", plain_text(paper.title))]
    tags += [("AU", _ris_name(split_name(a))) for a in paper.authors]
    if date:
        tags += [("PY", str(date.year)), ("DA", date.strftime("%Y/%m/%d/"))]
    journal = paper.journal or paper.journal_ref
    optional = [("T2", plain_text(journal or "")), ("DO", paper.doi or ""), ("UR", _url(paper))]
    tags += [(tag, value) for tag, value in optional if value]
    if paper.abstract:
        tags.append(("AB", plain_text(paper.abstract)))
    tags += [("KW", c) for c in paper.categories]
    if paper.is_arxiv:
        tags.append(("N1", f"arXiv:{paper.id}"))
    return tags


def to_ris(papers: Sequence[Paper]) -> str:
    """RIS records (`TY` … `ER`), CRLF line ends, `UNPB` for preprints and `JOUR` for articles."""
    lines: list[str] = []
    for _, paper in keyed_papers(papers):
        lines += [f"{tag}  - {' '.join(value.split())}" for tag, value in _ris_record(paper)]
        lines += ["ER  - ", ""]
    return RIS_EOL.join(lines) + (RIS_EOL if lines else "")


# --- CSL-JSON ------------------------------------------------------------------------------


def _csl_name(name: PersonName) -> dict[str, str]:
    if name.literal:
        return {"literal": plain_text(name.family)}
    out = {"family": plain_text(name.family), "given": plain_text(name.given)}
    if name.particle:
        out["non-dropping-particle"] = name.particle
    if name.suffix:
        out["suffix"] = name.suffix
    return {k: v for k, v in out.items() if v}


def _csl_item(key: str, paper: Paper) -> dict[str, object]:
    date = _paper_date(paper)
    item: dict[str, object] = {
        "id": key,
        "type": "article-journal" if _is_published(paper) else "article",
        "title": plain_text(paper.title),
        "author": [_csl_name(split_name(a)) for a in paper.authors],
    }
    if date:
        item["issued"] = {"date-parts": [[date.year, date.month, date.day]]}
    journal = paper.journal or paper.journal_ref
    optional = {"DOI": paper.doi, "URL": _url(paper), "container-title": journal, "abstract": paper.abstract}
    item.update({k: plain_text(v) for k, v in optional.items() if v})
    if paper.is_arxiv:
        item.update({"archive": "arXiv", "number": paper.id})
    return item


def to_csl_json(papers: Sequence[Paper]) -> str:
    """CSL-JSON: a list of items (ids are the BibTeX keys), sorted keys, stable bytes."""
    items = [_csl_item(key, paper) for key, paper in keyed_papers(papers)]
    return json.dumps(items, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


# --- one entry point -----------------------------------------------------------------------

_FORMATS: dict[str, tuple[Callable[[Sequence[Paper]], str], str, str]] = {
    "bibtex": (to_bibtex, "bib", "application/x-bibtex"),
    "ris": (to_ris, "ris", "application/x-research-info-systems"),
    "csl-json": (to_csl_json, "json", "application/vnd.citationstyles.csl+json"),
}


def export(papers: Sequence[Paper], fmt: str) -> Attachment:
    """The reading list as a file in `fmt` (bibtex, ris, csl-json); ValueError for any other format."""
    name = export_format(fmt) if fmt.strip() else None  # the grammar's bare `export` is its choice
    if name is None:
        raise ValueError(f"Unknown export format {fmt!r}: use bibtex, ris or csl-json.")
    render, ext, mimetype = _FORMATS[name]
    return Attachment(f"{FILENAME_STEM}.{ext}", render(papers).encode("utf-8"), mimetype)
