"""conversations: after-hours access codes on tickets, and the clerks' replies per ticket

Revision ID: cv0004
Revises: cv0003
Create Date: 2026-12-07
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "cv0004"
down_revision = "cv0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("conv_handoff_tickets") as batch:
        batch.add_column(sa.Column("access_code_hash", sa.String(length=64), nullable=True))
    op.create_index("ix_conv_handoff_tickets_access_code_hash", "conv_handoff_tickets", ["access_code_hash"])
    op.create_table(
        "conv_ticket_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("staff", sa.String(length=40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["conv_handoff_tickets.id"], ondelete="CASCADE",
                                name=op.f("fk_conv_ticket_replies_ticket_id_conv_handoff_tickets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conv_ticket_replies")),
    )
    op.create_index("ix_conv_ticket_replies_ticket_id", "conv_ticket_replies", ["ticket_id"])


def downgrade() -> None:
    op.drop_table("conv_ticket_replies")
    op.drop_index("ix_conv_handoff_tickets_access_code_hash", table_name="conv_handoff_tickets")
    with op.batch_alter_table("conv_handoff_tickets") as batch:
        batch.drop_column("access_code_hash")
