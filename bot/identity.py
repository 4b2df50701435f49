"""A paper's identity: which records are the same paper (SPEC §4, §12).

Ids themselves are spelled in `bot.ids`; this module decides sameness across sources — a
journal item and its preprint by DOI, by the preprint id a source names, or by equal
normalised titles with agreeing author lists — so that parsers, the store and exports ask
one place.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from bot.ids import is_canonical_arxiv_id
from bot.models import Paper
from bot.names import given_names, surname_key
from bot.sources.latex import decode_latex

# bioRxiv and medRxiv mint DOIs under one prefix; their records are preprints like arXiv's.
PREPRINT_DOI_PREFIXES = ("10.1101/",)
# One pass over an ASCII title: TeX grouping and math marks go ("{S}hared" is "Shared"),
# every other non-alphanumeric character separates words (a TeX command name stays a word).
_ASCII_FOLD = str.maketrans(
    {
        **{chr(c): " " for c in range(128) if not chr(c).isalnum()},
        **dict.fromkeys("${}^_"),
        **{chr(c): chr(c + 32) for c in range(ord("A"), ord("Z") + 1)},
    }
)
_NOT_WORD = re.compile(r"[^0-9a-z]+")
# Shorter titles ("Editorial", "Reply to comment") are too common to identify a paper.
MIN_TITLE_WORDS = 3
MIN_TITLE_CHARS = 16


def is_preprint_id(paper_id: str, is_arxiv: bool) -> bool:
    """A preprint's canonical id: an arXiv id, or a bioRxiv/medRxiv DOI."""
    return is_arxiv or paper_id.startswith(PREPRINT_DOI_PREFIXES)


@lru_cache(maxsize=1 << 12)
def _fold_title(title: str) -> str:
    text = decode_latex(title) if "\\" in title else title
    if text.isascii():  # nearly every title: one translate, no regex
        return " ".join(text.translate(_ASCII_FOLD).split())
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c)).translate(_ASCII_FOLD)
    return " ".join(_NOT_WORD.sub(" ", text).split())


def title_key(title: str) -> str:
    """A title folded for comparison: case, accents, LaTeX, punctuation and spacing ignored;
    "" when it is too short or generic to identify a paper."""
    key = _fold_title(title)
    if key.count(" ") + 1 < MIN_TITLE_WORDS or len(key) < MIN_TITLE_CHARS:
        return ""
    return key


def title_hash(title: str) -> int | None:
    """The indexed form of `title_key`: a signed 64-bit hash, None when the title is too short."""
    key = title_key(title)
    if not key:
        return None
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)


def _initials_agree(a: str, b: str) -> bool:
    """Given names agree when either is missing or their first letters are equal."""
    first_a, first_b = given_names(a), given_names(b)
    return not first_a or not first_b or first_a[0][0] == first_b[0][0]


def authors_agree(one: Sequence[str], other: Sequence[str]) -> bool:
    """Two author lists of one paper: the first authors share surname and initial, and every
    surname of the shorter list is in the longer one (journal feeds often list fewer)."""
    if not one or not other:
        return False
    if surname_key(one[0]) != surname_key(other[0]) or not surname_key(one[0]):
        return False
    if not _initials_agree(one[0], other[0]):
        return False
    shorter, longer = (one, other) if len(one) <= len(other) else (other, one)
    surnames = {surname_key(a) for a in longer}
    return all(surname_key(a) in surnames for a in shorter)


def same_work(title_a: str, authors_a: Sequence[str], title_b: str, authors_b: Sequence[str]) -> bool:
    """Two records are one paper by title and authors: equal title keys and agreeing authors."""
    key = title_key(title_a)
    return bool(key) and key == title_key(title_b) and authors_agree(authors_a, authors_b)


def is_version_of(item: Any, preprint: Any) -> bool:
    """Is this journal item a version of this preprint? DOI, the item's named preprint, or title + authors."""
    if item.preprint_id and item.preprint_id == preprint.id:
        return True
    if item.doi and preprint.doi and item.doi == preprint.doi:
        return True
    return same_work(item.title, item.authors or [], preprint.title, preprint.authors or [])


def arxiv_first_version_month(arxiv_id: str) -> dt.date | None:
    """The month an arXiv id was minted, i.e. its first version: `2205.06398` -> 2022-05-01,
    `math/0601001` -> 2006-01-01 (old-style numbers start YYMM; 91-99 are the 1990s)."""
    if not is_canonical_arxiv_id(arxiv_id):
        return None
    digits = arxiv_id.rsplit("/", 1)[-1][:4]
    year, month = int(digits[:2]), int(digits[2:4])
    if not 1 <= month <= 12:
        return None
    return dt.date(1900 + year if year >= 91 else 2000 + year, month, 1)


def paper_date(paper_id: str, published: dt.date | None, fallback: dt.date | None = None) -> dt.date | None:
    """When a paper appeared: its first version's (or the journal's) publication date; when a
    source gave none, an arXiv id's month (the id encodes it) — never the day we stored it."""
    return published or arxiv_first_version_month(paper_id) or fallback


# ---- the merge policy: which of two records of one paper wins, and what is kept ----------------


def content_hash(paper: Paper) -> str:
    """A digest of the fields whose change makes a stored journal item 'updated'; "" for an
    arXiv paper, which changes by version (_is_update) — hashing its abstract cost a
    million-paper load 4 µs a paper for a value nothing read."""
    if paper.is_arxiv:
        return ""
    joined = "\x1e".join(
        (
            paper.title,
            paper.abstract,
            "\x1f".join(paper.authors),
            " ".join(paper.categories),
            str(paper.version or ""),
            paper.doi or "",
            paper.journal_ref or "",
            paper.journal or "",
        )
    )
    return hashlib.blake2b(joined.encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()


def merge_duplicates(papers: Iterable[Paper]) -> dict[str, Paper]:
    """One paper per id within a batch: the newest version wins, categories are united."""
    out: dict[str, Paper] = {}
    for paper in papers:
        seen = out.get(paper.id)
        if seen is None:
            out[paper.id] = paper
            continue
        newer = paper if (paper.version or 0) > (seen.version or 0) else seen
        older = seen if newer is paper else paper
        for cat in older.categories:
            if cat not in newer.categories:
                newer.categories.append(cat)
        if newer.announce_type in ("cross", None) and older.announce_type == "new":
            newer.announce_type = "new"
        out[paper.id] = newer
    return out


FIRST_ANNOUNCEMENTS = ("new", "cross")


def first_announcement(stored: Any, paper: Paper) -> tuple[Any, str | None]:
    """(day, type) of a paper's first announcement: a `new` or `cross` listing keeps its day
    whatever version or replacement comes later; an earlier one seen late (feeds read out of
    order) takes its place."""
    if stored.announced is None:
        return paper.announced, paper.announce_type
    if paper.announced is None or paper.announce_type not in FIRST_ANNOUNCEMENTS:
        return stored.announced, stored.announce_type
    if stored.announce_type not in FIRST_ANNOUNCEMENTS or paper.announced < stored.announced:
        return paper.announced, paper.announce_type
    return stored.announced, stored.announce_type


def is_update(stored: Any, paper: Paper) -> bool:
    """A newer version, facts we did not have (DOI, journal reference) or an earlier first
    announcement make an update."""
    if first_announcement(stored, paper) != (stored.announced, stored.announce_type):
        return True
    if (paper.version or 0) > (stored.version or 0):
        return True
    if (paper.version or 0) < (stored.version or 0):
        return False
    gained = (paper.doi and not stored.doi) or (paper.journal_ref and not stored.journal_ref)
    if gained:
        return True
    # Same version re-announced (a cross-list seen again): unchanged, unless the
    # journal feed corrected its own item.
    return not paper.is_arxiv and stored.content_hash != content_hash(paper)


def merge_for_update(stored: Any, paper: Paper) -> Paper:
    """Keep what we knew and the newer version can lack (first announcement, DOI, journal)."""
    paper.announced, paper.announce_type = first_announcement(stored, paper)
    paper.published = stored.published or paper.published
    paper.doi = paper.doi or stored.doi
    paper.journal_ref = paper.journal_ref or stored.journal_ref
    paper.journal = paper.journal or stored.journal
    for cat in stored.categories or []:
        if cat not in paper.categories:
            paper.categories.append(cat)
    return paper
