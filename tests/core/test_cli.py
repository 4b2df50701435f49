"""The `academichub` command as a user runs it: real processes, exit codes, JSON on stdout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.store.db import Database
from tests.conftest import CLOSED_PORT_URL, FIXTURES, REPO
from tests.feeds import GROHS, write_feed

EXE = str(Path(sys.executable).with_name("academichub"))


def run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "ACADEMICHUB_ARXIV_API_URL": CLOSED_PORT_URL,
        "OPENAI_API_KEY": "",
        **env,
    }
    full_env.pop("OPENAI_API_KEY")
    return subprocess.run(
        [EXE, *args], capture_output=True, text=True, env=full_env, cwd=tmp_path, timeout=120
    )


def feed_files() -> list[Path]:
    files = sorted((FIXTURES / "arxiv_rss").glob("*.xml"))
    files += sorted(p for p in (FIXTURES / "arxiv_api").glob("*.xml"))
    files += sorted(p for p in (FIXTURES / "journals").iterdir() if p.suffix in (".xml", ".rss", ".rdf"))
    files += sorted((FIXTURES / "corpus").glob("*.jsonl"))
    return files


def test_fetch_json_twice_reports_everything_unchanged(tmp_path: Path) -> None:
    feed = str(FIXTURES / "arxiv_rss" / "trimmed3_cs_lg_2026-04-27.xml")
    first = run(["fetch", "--source", feed, "--json"], tmp_path)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["new"] == 3
    second = json.loads(run(["fetch", "--source", feed, "--json"], tmp_path).stdout)
    assert (second["new"], second["updated"], second["unchanged"], second["failed"]) == (0, 0, 3, 0)
    assert second["sources"][0] == {
        "source": feed,
        "status": "ok",
        "error": None,
        "new": 0,
        "updated": 0,
        "unchanged": 3,
    }


def test_every_real_feed_file_ingests(tmp_path: Path) -> None:
    args = ["fetch", "--json"]
    for path in feed_files():
        args += ["--source", str(path)]
    result = run(args, tmp_path)
    report = json.loads(result.stdout)
    failed = [s for s in report["sources"] if s["status"] != "ok"]
    assert result.returncode == 0, failed
    assert report["new"] > 5000  # ~4,990 unique listing ids, 200 Kaggle rows, the feeds
    empty_ok = {"api2026"}  # every other file holds at least one paper
    for source in report["sources"]:
        if not any(k in source["source"] for k in empty_ok):
            assert source["new"] + source["unchanged"] + source["updated"] > 0, source


@pytest.mark.parametrize("path", sorted((FIXTURES / "tricky").iterdir()), ids=lambda p: p.name)
def test_tricky_files_end_with_a_clear_message(tmp_path: Path, path: Path) -> None:
    result = run(["fetch", "--source", str(path), "--json"], tmp_path)
    assert result.returncode in (0, 1)
    assert "Traceback" not in result.stderr + result.stdout
    report = json.loads(result.stdout)
    if report["failed"]:
        assert report["sources"][0]["error"]


def test_missing_file_is_one_line_and_exit_1(tmp_path: Path) -> None:
    result = run(["fetch", "--source", str(tmp_path / "nope.xml")], tmp_path)
    assert result.returncode == 1
    assert len(result.stdout.strip().splitlines()) == 1 and "no such file" in result.stdout
    assert "Traceback" not in result.stderr


def test_show_and_search_json(tmp_path: Path) -> None:
    feed = write_feed(tmp_path / "g.xml", [GROHS], __import__("datetime").date(2026, 6, 16))
    assert run(["fetch", "-s", feed], tmp_path).returncode == 0
    shown = run(["show", "https://arxiv.org/pdf/2606.16028", "--json"], tmp_path)
    assert json.loads(shown.stdout)["id"] == "2606.16028"
    found = json.loads(run(["search", "author Grohs", "--json"], tmp_path).stdout)
    assert [p["id"] for p in found["papers"]] == ["2606.16028"]
    bad = run(["search", "author", "--json"], tmp_path)
    assert bad.returncode == 2 and bad.stdout == "" and "author" in bad.stderr
    missing = run(["show", "9999.99999"], tmp_path)
    assert missing.returncode == 1 and "Traceback" not in missing.stderr


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        ({"ACADEMICHUB_LLM_DAILY_TOKENS": "lots"}, "ACADEMICHUB_LLM_DAILY_TOKENS"),
        ({"ACADEMICHUB_CONFIG": "/nonexistent.toml"}, "ACADEMICHUB_CONFIG"),
    ],
)
def test_bad_setting_is_one_line_naming_it(tmp_path: Path, env: dict[str, str], name: str) -> None:
    result = run(["search", "author Grohs"], tmp_path, **env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and name in lines[0], result.stderr


def test_demo_prints_a_digest_offline(tmp_path: Path) -> None:
    result = run(["demo", "--json"], tmp_path)
    assert result.returncode == 0, result.stderr
    digest = json.loads(result.stdout)["digests"][0]
    assert len(digest["papers"]) >= 5
    for paper in digest["papers"]:
        assert paper["title"] and paper["authors"] and 0 < len(paper["tldr"]) <= 280
    assert 0 < len(digest["briefing"]) <= 900
    text = run(["demo"], tmp_path)
    assert "TL;DR:" in text.stdout and "arXiv cs." in text.stdout and "https://arxiv.org/pdf/" in text.stdout
    assert not list(tmp_path.glob("*.db"))  # the demo leaves nothing behind


def test_db_upgrade_and_help(tmp_path: Path) -> None:
    head = Database(f"sqlite:///{tmp_path / 'unused.db'}").head_revision()
    assert f"database at revision {head}" in run(["db", "upgrade"], tmp_path).stdout
    helped = run(["--help"], tmp_path).stdout
    for command in ("demo", "fetch", "show", "search", "digest", "export", "db", "run"):
        assert command in helped
    assert (REPO / "Procfile").exists()
