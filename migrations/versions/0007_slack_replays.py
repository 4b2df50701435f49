"""Signed Slack requests already seen, so a replay is refused by every process

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 10:00:00

Slack signs `v0:{timestamp}:{body}` and accepts a timestamp up to five minutes old, so a
captured request could be sent again within that window. `slack_replays` holds the
(timestamp, signature) of each request accepted in the last ten minutes; the key is unique,
so two processes that receive the same replay cannot both accept it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "slack_replays",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_slack_replays_seen_at", "slack_replays", ["seen_at"])


def downgrade() -> None:
    op.drop_index("ix_slack_replays_seen_at", table_name="slack_replays")
    op.drop_table("slack_replays")
