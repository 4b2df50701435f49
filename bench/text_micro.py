"""Micro-benchmark of the bulk-load text hot path: LaTeX decoding and author-name folding.

Runs over the real strings of tests/fixtures/corpus (arXiv listings, the metadata snapshot,
OAI-PMH pages): every title, abstract and author string, raw, LaTeX included.

    python -m bench.text_micro                 # timings
    python -m bench.text_micro --dump out.json # also write every output (to compare two versions)
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path

from bench.common import machine
from bot import names
from bot.sources.latex import decode_latex

_AUTHOR_GAP_RE = re.compile(r",\s*|\s+and\s+")


def split_authors(text: str) -> list[str]:
    """Author strings as written, LaTeX kept (the parser's splitter decodes, which would hide it)."""
    return [a.strip() for a in _AUTHOR_GAP_RE.split(text) if a.strip()]


CORPUS = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "corpus"
ROUNDS = 7


def _jsonl_strings(path: Path) -> Iterator[tuple[str, str]]:
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        for key in ("title", "summary", "abstract"):
            if record.get(key):
                yield "text", record[key]
        authors = record.get("authors")
        if isinstance(authors, str):
            authors = split_authors(authors)
        for author in authors or []:
            yield "author", author


def _xml_strings(path: Path) -> Iterator[tuple[str, str]]:
    for element in ET.parse(path).iter():
        tag = element.tag.rpartition("}")[2]
        text = (element.text or "").strip()
        if not text:
            continue
        if tag in ("title", "abstract", "description"):
            yield "text", text
        elif tag == "creator":
            yield "author", text
        elif tag == "authors":
            yield from (("author", a) for a in split_authors(text))


def corpus_strings() -> tuple[list[str], list[str]]:
    """(texts, author strings) of every corpus file."""
    texts: list[str] = []
    authors: list[str] = []
    for path in sorted(CORPUS.iterdir()):
        found = _jsonl_strings(path) if path.suffix == ".jsonl" else _xml_strings(path)
        for kind, value in found:
            (authors if kind == "author" else texts).append(value)
    return texts, authors


def _per_call_us(
    fn: Callable[[str], object], values: list[str], reset: Callable[[], None] | None = None
) -> float:
    best = float("inf")
    for _ in range(ROUNDS):
        if reset:
            reset()
        start = time.perf_counter()
        for value in values:
            fn(value)
        best = min(best, time.perf_counter() - start)
    return best / max(1, len(values)) * 1e6


def _clear_name_caches() -> None:
    for cached in (names.fold, names._split_name, names._parts, names._pieces, names.index_keys_of):
        cached.cache_clear()


def first_latex_ms() -> float:
    """Milliseconds for the first string with a backslash in a fresh interpreter: the one-time cost
    of reading the LaTeX tables (pylatexenc) and compiling the regexes; later strings skip it."""
    code = (
        "import time, bot.sources.latex as l, bot.names as n; t = time.perf_counter(); "
        "l.decode_latex(chr(92) + 'oe'); n.fold(chr(92) + 'o'); print((time.perf_counter() - t) * 1000)"
    )
    runs = [float(subprocess.check_output([sys.executable, "-c", code], text=True)) for _ in range(5)]
    return sorted(runs)[len(runs) // 2]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dump", type=Path, help="write every output here as JSON")
    args = parser.parse_args()
    texts, authors = corpus_strings()
    latex_texts = [t for t in texts + authors if "\\" in t]
    latex_authors = [a for a in authors if "\\" in a]
    rows = [
        (
            "decode_latex, every string",
            len(texts) + len(authors),
            _per_call_us(decode_latex, texts + authors),
        ),
        ("decode_latex, strings with a backslash", len(latex_texts), _per_call_us(decode_latex, latex_texts)),
        ("fold (uncached), every author", len(authors), _per_call_us(names._fold, authors)),
        ("fold (uncached), authors with LaTeX", len(latex_authors), _per_call_us(names._fold, latex_authors)),
        (
            "index_keys_of, caches cleared",
            len(authors),
            _per_call_us(names.index_keys_of, authors, _clear_name_caches),
        ),
    ]
    print(f"machine: {machine()}; best of {ROUNDS} rounds")
    print("| measure | strings | µs per call |\n|---|---|---|")
    for label, count, micros in rows:
        print(f"| {label} | {count} | {micros:.2f} |")
    print(f"| first LaTeX string in a process (tables built once) | 1 | {first_latex_ms():.1f} ms |")
    if args.dump:
        outputs = {
            "decode_latex": [decode_latex(t) for t in texts + authors],
            "fold": [names.fold(a) for a in authors],
            "index_keys_of": [list(names.index_keys_of(a)) for a in authors],
            "surname_key": [names.surname_key(a) for a in authors],
        }
        args.dump.write_text(json.dumps(outputs, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
