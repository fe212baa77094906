"""base: rate-limit keys are keyed hashes now; events under the former plain-SHA-256 keys are deleted

The former keys cannot be converted (only their hash is stored) and would no longer be counted; deleting them leaves
no hash of a sender id that can be confirmed by hashing a guess. Counters restart at the upgrade (windows are at most
24 hours; a receipt code locked for chat before the upgrade is unlocked by it).

Revision ID: bs0002
Revises: bs0001
Create Date: 2026-12-14
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "bs0002"
down_revision = "bs0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(sa.text("DELETE FROM base_rate_events"))


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM base_rate_events"))
