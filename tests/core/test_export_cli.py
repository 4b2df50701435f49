"""`academichub export`: a reading list to stdout in three formats; no saves is a clear line."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from pathlib import Path

import bibtexparser

from bot.models import Caller
from tests.conftest import make_engine
from tests.core.test_cli import EXE
from tests.feeds import GROHS, Item, write_feed


def test_export_formats_and_no_saves(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'e.db'}"
    engine = make_engine(url)
    tricky = Item(id="2606.50001", title="Bounds for $a < b$ & friends", creators="Ada Lovelace")
    engine.ingest([write_feed(tmp_path / "d.xml", [GROHS, tricky], dt.date(2026, 6, 16))])
    bob = Caller("slack", "T0LAB", "C0PAPERS", "U0BOB")
    engine.save(bob, "2606.16028", True)
    engine.save(bob, "2606.50001", True)
    engine.close()
    env = {**os.environ, "DATABASE_URL": url}

    def export(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([EXE, "export", *args], env=env, capture_output=True, text=True, timeout=60)

    bib = export("--user", "U0BOB")
    assert bib.returncode == 0, bib.stderr
    library = bibtexparser.parse_string(bib.stdout)
    assert not library.failed_blocks and len(library.entries) == 2
    assert {e.fields_dict["eprint"].value for e in library.entries} == {"2606.16028", "2606.50001"}
    assert export("--user", "slack:T0LAB/U0BOB").stdout == bib.stdout  # qualified, and stable bytes
    ris = export("--user", "U0BOB", "--format", "ris").stdout
    assert ris.count("TY  - ") == 2 and ris.count("ER  - ") == 2
    csl = json.loads(export("--user", "U0BOB", "--format", "csl-json").stdout)
    assert {item["author"][0]["family"] for item in csl} == {"Grohs", "Lovelace"}
    nobody = export("--user", "U0NOBODY")
    assert nobody.returncode == 1 and "no saved papers" in nobody.stderr and "Traceback" not in nobody.stderr
    bad = export("--user", "U0BOB", "--format", "docx")
    assert bad.returncode == 2 and "docx" in bad.stderr
