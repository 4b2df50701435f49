"""Personal radars: a member who left the workspace is no longer posted to

Revision ID: 0006
Revises: 0004
Create Date: 2026-12-03 09:00:00

A personal radar is a row of `channels` whose key names a person (`slack:T0LAB/@U0ALICE`,
`discord:GUILD/@USER`, `console:@me`); its rules, digests and deliveries use the channel tables
as they are. The one new fact is `channels.left_at`: when the platform said the member is gone
(Slack `user_not_found` / `account_inactive`, Discord 50007). Such a radar is skipped until its
member runs a `--me` command again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("channels") as batch:
        batch.add_column(sa.Column("left_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("channels") as batch:
        batch.drop_column("left_at")
