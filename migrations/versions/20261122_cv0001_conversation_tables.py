"""conversation tables: handoff tickets and answer feedback

Revision ID: cv0001
Revises:
Create Date: 2026-11-22
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "cv0001"
down_revision = None
branch_labels = ("conversations",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "conv_handoff_tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.String(length=128), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("question", sa.Text(), nullable=True),
        sa.Column("contact", sa.String(length=128), nullable=True),
        sa.Column("procedure_code", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conv_handoff_tickets")),
    )
    op.create_index("ix_conv_handoff_tickets_sender_id", "conv_handoff_tickets", ["sender_id"])
    op.create_index("ix_conv_handoff_tickets_status", "conv_handoff_tickets", ["status"])
    op.create_table(
        "conv_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.String(length=128), nullable=False),
        sa.Column("value", sa.String(length=8), nullable=False),
        sa.Column("procedure_code", sa.String(length=32), nullable=True),
        sa.Column("facet", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conv_feedback")),
    )
    op.create_index("ix_conv_feedback_sender_id", "conv_feedback", ["sender_id"])
    op.create_index("ix_conv_feedback_procedure_code", "conv_feedback", ["procedure_code"])


def downgrade() -> None:
    op.drop_table("conv_feedback")
    op.drop_table("conv_handoff_tickets")
