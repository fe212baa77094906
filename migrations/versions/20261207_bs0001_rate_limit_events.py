"""base: events of the sliding-window rate limits

Revision ID: bs0001
Revises:
Create Date: 2026-12-07
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "bs0001"
down_revision = None
branch_labels = ("base",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "base_rate_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=96), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_base_rate_events")),
    )
    op.create_index("ix_base_rate_events_key_at", "base_rate_events", ["key", "at"])
    op.create_index("ix_base_rate_events_expires_at", "base_rate_events", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_base_rate_events_expires_at", table_name="base_rate_events")
    op.drop_index("ix_base_rate_events_key_at", table_name="base_rate_events")
    op.drop_table("base_rate_events")
