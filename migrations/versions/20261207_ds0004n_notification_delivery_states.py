"""dossiers: notification delivery states — retry time, claim time and the web chat outbox row

A delivery that failed waits for `next_attempt_at` (backoff); a `sending` claim older than a few minutes (a notifier
that died mid-send) is released by `claimed_at`; a web chat notification is `waiting` on its `base_outbox` row
(`outbox_id`) until the page confirms it. Rows claimed by the old notifier (`sending`) go back to `pending`.

Revision ID: ds0004n
Revises: ds0003
Create Date: 2026-12-07
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "ds0004n"
down_revision = "ds0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dossier_notifications") as batch:
        batch.add_column(sa.Column("next_attempt_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("claimed_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("outbox_id", sa.Integer(), nullable=True))
    op.execute(sa.text("UPDATE dossier_notifications SET status = 'pending' WHERE status = 'sending'"))


def downgrade() -> None:
    op.execute(sa.text("UPDATE dossier_notifications SET status = 'pending' WHERE status IN ('waiting', 'expired')"))
    with op.batch_alter_table("dossier_notifications") as batch:
        batch.drop_column("outbox_id")
        batch.drop_column("claimed_at")
        batch.drop_column("next_attempt_at")
