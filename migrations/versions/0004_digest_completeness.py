"""Every radar match reaches the channel once: arrival times, title keys, digest cutoffs

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 09:00:00

* `papers.arrived_at`: when the store first learned of a journal (non-arXiv) item. Such
  items enter a channel's digest by arrival, not by the date printed on them, so a weekly
  TOC feed fetched after a digest is not lost. arXiv papers stay windowed by listing day
  and leave it NULL; a partial index keeps the column free for them. Existing items are
  back-filled with their publication day (what windowed them before).
* `papers.title_hash`: a 64-bit hash of the normalised title (bot.identity.title_key), so a
  journal item finds its preprint (and the other way round) by title through an index.
  The migration computes it with the application's own function: the index must hold what
  the code looks up. A later change to title_key needs a migration that recomputes it.
* `papers.preprint_id`: the preprint a source says an item is a version of (OpenAlex's
  arXiv location, bioRxiv's `published`), for linking when the preprint arrives later.
* `digests.cutoff`: when the digest's papers were selected; the next digest takes journal
  items that arrived after it. Back-filled with `created_at`.
* `query_cursors.digest_id`: `/papers more` continuing a digest's overflow, not a query.
* `saves.journal_notified`: the journal a saver was told their saved preprint appeared in.

Back-filling a million papers computes one hash each in Python (about a minute).
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

from bot.identity import title_hash
from bot.ids import is_canonical_arxiv_id

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_BATCH = 5000


def _backfill_papers() -> None:
    conn = op.get_bind()
    papers = sa.table(
        "papers",
        sa.column("pk", sa.Integer),
        sa.column("id", sa.String),
        sa.column("title", sa.Text),
        sa.column("sort_date", sa.Date),
        sa.column("title_hash", sa.BigInteger),
        sa.column("arrived_at", sa.DateTime(timezone=True)),
    )
    now = dt.datetime.now(dt.UTC)
    last = 0
    while True:
        rows = conn.execute(
            sa.select(papers.c.pk, papers.c.id, papers.c.title, papers.c.sort_date)
            .where(papers.c.pk > last)
            .order_by(papers.c.pk)
            .limit(_BATCH)
        ).all()
        if not rows:
            return
        last = rows[-1].pk
        values = []
        for row in rows:
            arrived = None
            if not is_canonical_arxiv_id(row.id):
                day = row.sort_date
                arrived = dt.datetime.combine(day, dt.time(), dt.UTC) if day else now
            values.append({"key": row.pk, "hash": title_hash(row.title or ""), "arrived": arrived})
        conn.execute(
            papers.update()
            .where(papers.c.pk == sa.bindparam("key"))
            .values(title_hash=sa.bindparam("hash"), arrived_at=sa.bindparam("arrived")),
            values,
        )


def upgrade() -> None:
    with op.batch_alter_table("papers") as batch:
        batch.add_column(sa.Column("arrived_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("title_hash", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("preprint_id", sa.String(512), nullable=True))
    _backfill_papers()
    op.create_index(
        "ix_papers_arrived",
        "papers",
        ["arrived_at"],
        sqlite_where=sa.text("arrived_at IS NOT NULL"),
        postgresql_where=sa.text("arrived_at IS NOT NULL"),
    )
    op.create_index("ix_papers_title_hash", "papers", ["title_hash"])
    op.create_index(
        "ix_papers_preprint",
        "papers",
        ["preprint_id"],
        sqlite_where=sa.text("preprint_id IS NOT NULL"),
        postgresql_where=sa.text("preprint_id IS NOT NULL"),
    )
    with op.batch_alter_table("digests") as batch:
        batch.add_column(sa.Column("cutoff", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE digests SET cutoff = created_at")
    with op.batch_alter_table("query_cursors") as batch:
        batch.add_column(sa.Column("digest_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("saves") as batch:
        batch.add_column(sa.Column("journal_notified", sa.Text(), nullable=True))
    # Savers already knew the journals their papers had: no notice for those.
    op.execute(
        "UPDATE saves SET journal_notified = "
        "(SELECT papers.journal FROM papers WHERE papers.id = saves.paper_id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("saves") as batch:
        batch.drop_column("journal_notified")
    with op.batch_alter_table("query_cursors") as batch:
        batch.drop_column("digest_id")
    with op.batch_alter_table("digests") as batch:
        batch.drop_column("cutoff")
    op.drop_index("ix_papers_preprint", table_name="papers")
    op.drop_index("ix_papers_title_hash", table_name="papers")
    op.drop_index("ix_papers_arrived", table_name="papers")
    with op.batch_alter_table("papers") as batch:
        batch.drop_column("preprint_id")
        batch.drop_column("title_hash")
        batch.drop_column("arrived_at")
