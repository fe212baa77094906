"""base: the audit log and the outbox of messages waiting for a citizen's page

Revision ID: bs0003
Revises: bs0002
Create Date: 2026-12-07
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "bs0003"
down_revision = "bs0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "base_audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("target", sa.String(length=120), nullable=True),
        sa.Column("detail", sa.String(length=300), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_base_audit_log")),
    )
    op.create_index("ix_base_audit_log_at", "base_audit_log", ["at"])
    op.create_index("ix_base_audit_log_actor", "base_audit_log", ["actor"])
    op.create_table(
        "base_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=128), nullable=False),
        sa.Column("author", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_base_outbox")),
    )
    op.create_index("ix_base_outbox_recipient_id", "base_outbox", ["recipient", "id"])


def downgrade() -> None:
    op.drop_table("base_outbox")
    op.drop_table("base_audit_log")
