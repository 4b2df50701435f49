"""Small pieces of state (bot/store/state.py): what a `/papers` answer writes on the side."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from bot.engine import Engine
from bot.store import state


def _sync_commit(session: Session) -> str:
    return str(session.execute(text("SHOW synchronous_commit")).scalar_one())


def test_a_cursor_and_tldrs_are_stored_and_read_back(engine: Engine) -> None:
    with engine.db.session() as session:
        state.put_cursor(
            session=session, user_key="slack:T0/U0", channel_key="slack:T0/C0", query="search x", offset=5
        )
        state.put_summaries(session=session, items={"2401.00001": "A TL;DR."}, key="k", language="en")
    with engine.db.session() as session:
        cursor = state.get_cursor(session=session, user_key="slack:T0/U0", channel_key="slack:T0/C0")
        assert cursor is not None and (cursor.query, cursor.offset) == ("search x", 5)
        assert state.get_summaries(session=session, ids=["2401.00001"], key="k", language="en") == {
            "2401.00001": "A TL;DR."
        }


def test_a_cursor_is_replaced_by_the_callers_next_query(engine: Engine) -> None:
    """One upsert per answer: the next query (or a digest being paged) replaces the cursor, and
    another channel's cursor of the same person stays."""
    put = state.put_cursor
    with engine.db.session() as session:
        put(session=session, user_key="slack:T0/U0", channel_key="slack:T0/C0", query="search x", offset=5)
        put(session=session, user_key="slack:T0/U0", channel_key="slack:T0/C1", query="author y", offset=5)
    with engine.db.session() as session:
        put(
            session=session,
            user_key="slack:T0/U0",
            channel_key="slack:T0/C0",
            query="more",
            offset=10,
            digest_id=3,
        )
    with engine.db.session() as session:
        first = state.get_cursor(session=session, user_key="slack:T0/U0", channel_key="slack:T0/C0")
        other = state.get_cursor(session=session, user_key="slack:T0/U0", channel_key="slack:T0/C1")
        assert first is not None and (first.query, first.offset, first.digest_id) == ("more", 10, 3)
        assert other is not None and (other.query, other.offset, other.digest_id) == ("author y", 5, None)


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_on_postgres_only_those_transactions_skip_waiting_for_the_wal_flush(engine: Engine) -> None:
    """A cursor or a TL;DR can be made again, so its commit does not wait for the disk; the
    setting is the transaction's own (SET LOCAL): the next one on the same connection, which
    may record a delivery, waits as every other does."""
    with engine.db.session() as session:
        assert _sync_commit(session) == "on"
        state.put_cursor(
            session=session, user_key="slack:T0/U0", channel_key="slack:T0/C0", query="q", offset=0
        )
        assert _sync_commit(session) == "off"
    with engine.db.session() as session:
        assert _sync_commit(session) == "on"
        state.put_summaries(session=session, items={"2401.00001": "A TL;DR."}, key="k", language="en")
        assert _sync_commit(session) == "off"
    for _ in range(3):  # whichever pooled connection comes next
        with engine.db.session() as session:
            assert _sync_commit(session) == "on"
