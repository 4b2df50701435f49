"""Bad settings and interrupted loads end in one line (exit 2), never a traceback; a search
during a bulk load says the store is loading instead of "No papers found"."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.engine import Engine, StoreLoading
from bot.models import Caller
from bot.store import fulltext
from tests.conftest import CLOSED_PORT_URL, FIXTURES

EXE = str(Path(sys.executable).with_name("academichub"))
SNAPSHOT = FIXTURES / "corpus" / "kaggle_arxiv_metadata_oai_snapshot_first200.jsonl"


def run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{cwd / 'ok.db'}",
        "ACADEMICHUB_ARXIV_API_URL": CLOSED_PORT_URL,
    }
    full.pop("OPENAI_API_KEY", None)
    full.pop("ACADEMICHUB_CONFIG", None)
    full.update(env)
    return subprocess.run([EXE, *args], capture_output=True, text=True, env=full, cwd=cwd, timeout=120)


def bad_settings(tmp: Path) -> list[tuple[dict[str, str], str]]:
    (tmp / "junk.db").write_text("this is not a database\n")
    return [
        ({"ACADEMICHUB_CONFIG": ""}, "ACADEMICHUB_CONFIG: is set but empty: point it at a TOML file"),
        ({"ACADEMICHUB_CONFIG": str(tmp)}, f"ACADEMICHUB_CONFIG: {tmp} is a folder, not a TOML file"),
        ({"DATABASE_URL": "sqlite+nodriver:///x.db"}, "cannot use the database driver 'sqlite+nodriver'"),
        ({"DATABASE_URL": "postgresql+nodriver://u@h/db"}, "DATABASE_URL: cannot use the database driver"),
        ({"DATABASE_URL": f"sqlite:///{tmp / 'junk.db'}"}, "cannot be used as a database (file is not a"),
        ({"DATABASE_URL": f"sqlite:///{tmp}"}, "DATABASE_URL: cannot reach the database (unable to open"),
        (
            {"DATABASE_URL": f"sqlite:///{tmp / 'no' / 'such' / 'x.db'}"},
            f"DATABASE_URL: the folder {tmp / 'no' / 'such'} does not exist; create it first or fix the path",
        ),
    ]  # fmt: skip


def test_each_bad_setting_is_one_line_and_exit_2(tmp_path: Path) -> None:
    for env, says in bad_settings(tmp_path):
        result = run(["search", "author Grohs"], tmp_path, **env)
        assert result.returncode == 2, (env, result.stderr)
        assert result.stderr.startswith("academichub: ") and says in result.stderr, (env, result.stderr)
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    assert not (tmp_path / "no").exists(), "no folders are created"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["junk.db"]


def _big_snapshot(path: Path, copies: int) -> Path:
    """The real 200-record snapshot, repeated under fresh ids: a load that takes a few seconds."""
    records = [json.loads(line) for line in SNAPSHOT.read_text(encoding="utf-8").splitlines() if line.strip()]
    with path.open("w", encoding="utf-8") as out:
        for n in range(copies):
            for i, record in enumerate(records):
                out.write(json.dumps(record | {"id": f"2611.{n * len(records) + i:05d}"}) + "\n")
    return path


def test_a_killed_bulk_load_leaves_its_indexing_child_to_exit_quietly(tmp_path: Path) -> None:
    snapshot = _big_snapshot(tmp_path / "big.jsonl", 300)  # 60,000 papers
    loader = subprocess.Popen(
        [EXE, "fetch", "--source", str(snapshot)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'load.db'}"},
    )
    scratch = tmp_path / "load.db-fts-build"
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob("load.db-fts*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)  # well into the load, with the indexing child at work
    assert loader.poll() is None, "the load finished before it could be killed"
    loader.send_signal(signal.SIGKILL)
    # The child shares the loader's stderr: EOF comes once it, too, has exited.
    started = time.monotonic()
    _, stderr = loader.communicate(timeout=30)
    assert time.monotonic() - started < 20
    assert "Traceback" not in stderr and "Error" not in stderr, stderr
    del scratch


def test_a_search_during_a_bulk_load_says_the_store_is_loading(sqlite_engine: Engine) -> None:
    sqlite_engine.ingest([str(SNAPSHOT)])
    path = sqlite_engine.db.sqlite_path
    assert path is not None
    assert sqlite_engine.search("search calculation", limit=1)
    # What a load into an empty store looks like from another process: the rows are arriving,
    # the indexes are built on the side (empty here), the mark is set and the loader holds the lock.
    lock = fulltext.try_lock(fulltext.lock_path(path))
    assert lock is not None
    try:
        with sqlite3.connect(path) as conn:
            for index in (fulltext.TEXT_INDEX, fulltext.AUTHOR_INDEX):
                conn.execute(f"INSERT INTO {index}({index}) VALUES ('delete-all')")
            conn.execute(f"PRAGMA user_version = {fulltext.BUILD_MARK}")
        with pytest.raises(StoreLoading, match=r"^The store is loading: 200 papers so far\."):
            sqlite_engine.search("search calculation", limit=5)
        reply = sqlite_engine.handle("author Balázs", Caller("console", "local", "term", "me"))
        assert reply.text.startswith("The store is loading: 200 papers so far.") and not reply.papers
        assert sqlite_engine.search("cat:hep-ph", limit=1), "what the rows answer still answers"
    finally:
        lock.close()
    assert sqlite_engine.db.loading_note() is None  # the loader gone: the next start repairs it
