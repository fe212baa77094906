"""dossiers: failed lookups are counted by base.ratelimit (table base_rate_events) now

Revision ID: ds0002
Revises: ds0001
Create Date: 2026-12-07
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "ds0002"
down_revision = "ds0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dossier_lookup_failures", schema=None) as batch_op:
        batch_op.drop_index("ix_dossier_lookup_failures_key_at")
    op.drop_table("dossier_lookup_failures")


def downgrade() -> None:
    op.create_table(
        "dossier_lookup_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sender_key", sa.String(length=128), nullable=False),
        sa.Column("failed_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dossier_lookup_failures")),
    )
    with op.batch_alter_table("dossier_lookup_failures", schema=None) as batch_op:
        batch_op.create_index("ix_dossier_lookup_failures_key_at", ["sender_key", "failed_at"], unique=False)
