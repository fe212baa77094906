"""conversations: staff accounts (clerks, operators) and their sessions

Revision ID: cv0003
Revises: cv0002
Create Date: 2026-12-07
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "cv0003"
down_revision = "cv0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "conv_staff_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.String(length=256), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conv_staff_users")),
        sa.UniqueConstraint("name", name=op.f("uq_conv_staff_users_name")),
    )
    op.create_table(
        "conv_staff_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["conv_staff_users.id"], ondelete="CASCADE",
                                name=op.f("fk_conv_staff_sessions_user_id_conv_staff_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conv_staff_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_conv_staff_sessions_token_hash")),
    )
    op.create_index("ix_conv_staff_sessions_user_id", "conv_staff_sessions", ["user_id"])


def downgrade() -> None:
    op.drop_table("conv_staff_sessions")
    op.drop_table("conv_staff_users")
