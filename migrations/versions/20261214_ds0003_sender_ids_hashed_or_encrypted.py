"""dossiers: subscribers' sender ids encrypted with a keyed hash to find them; lookup sessions keyed by a keyed hash

Subscriptions are converted in place with THUTUC_DATA_KEY (base/crypto.py): the sender id a notification is pushed to
becomes an `enc:v1:` value, and `sender_hash` (unique per dossier) finds a sender's subscriptions. Lookup sessions were
keyed by a plain SHA-256 of the sender id, which cannot be turned into the keyed hash; they last 30 minutes, so the
few open ones are deleted (those citizens type their receipt code again).

Revision ID: ds0003
Revises: ds0002
Create Date: 2026-12-14
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "ds0003"
down_revision = "ds0002"
branch_labels = None
depends_on = None

UNIQUE = "uq_dossier_subscriptions_dossier_sender"
subscriptions = sa.table("dossier_subscriptions", sa.column("id", sa.Integer), sa.column("sender_id", sa.Text),
                         sa.column("sender_hash", sa.String))


def upgrade() -> None:
    op.execute(sa.text("DELETE FROM dossier_lookup_sessions"))
    with op.batch_alter_table("dossier_subscriptions") as batch:
        batch.add_column(sa.Column("sender_hash", sa.String(length=64), nullable=True))
        batch.alter_column("sender_id", type_=sa.Text(), existing_type=sa.String(length=255), existing_nullable=False)
    bind = op.get_bind()
    rows = bind.execute(sa.select(subscriptions.c.id, subscriptions.c.sender_id)).all()
    if rows:  # the data key is only needed when there is something to convert
        from base.crypto import decrypt, encrypt, is_encrypted, sender_hash

        for row_id, sender in rows:
            bind.execute(subscriptions.update().where(subscriptions.c.id == row_id).values(
                sender_id=sender if is_encrypted(sender) else encrypt(sender), sender_hash=sender_hash(decrypt(sender))))
    with op.batch_alter_table("dossier_subscriptions") as batch:
        batch.drop_constraint(UNIQUE, type_="unique")
        batch.alter_column("sender_hash", existing_type=sa.String(length=64), nullable=False)
        batch.create_unique_constraint(UNIQUE, ["dossier_id", "sender_hash"])
        batch.create_index("ix_dossier_subscriptions_sender_hash", ["sender_hash"])


def downgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.select(subscriptions.c.id, subscriptions.c.sender_id)).all()
    if rows:
        from base.crypto import decrypt

        for row_id, sender in rows:
            bind.execute(subscriptions.update().where(subscriptions.c.id == row_id).values(sender_id=decrypt(sender)))
    with op.batch_alter_table("dossier_subscriptions") as batch:
        batch.drop_index("ix_dossier_subscriptions_sender_hash")
        batch.drop_constraint(UNIQUE, type_="unique")
        batch.drop_column("sender_hash")
        batch.alter_column("sender_id", type_=sa.String(length=255), existing_type=sa.Text(), existing_nullable=False)
        batch.create_unique_constraint(UNIQUE, ["dossier_id", "sender_id"])
    op.execute(sa.text("DELETE FROM dossier_lookup_sessions"))
