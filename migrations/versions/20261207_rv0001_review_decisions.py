"""review: the operators' decisions on unanswered questions

Revision ID: rv0001
Revises:
Create Date: 2026-12-07
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "rv0001"
down_revision = None
branch_labels = ("review",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "review_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_key", sa.String(length=400), nullable=False),
        sa.Column("texts", sa.Text(), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("procedure_code", sa.String(length=32), nullable=True),
        sa.Column("facet", sa.String(length=24), nullable=True),
        sa.Column("reviewer", sa.String(length=80), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_decisions")),
        sa.UniqueConstraint("group_key", name=op.f("uq_review_decisions_group_key")),
    )


def downgrade() -> None:
    op.drop_table("review_decisions")
