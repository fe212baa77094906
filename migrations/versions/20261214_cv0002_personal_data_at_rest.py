"""conversations: ticket sender ids and contacts encrypted, questions masked, sender ids hashed (keyed)

Existing rows are converted in place with the configured THUTUC_DATA_KEY (base/crypto.py): a ticket's sender id and
contact become `enc:v1:` values and get a keyed hash to be found by; its question is masked; feedback keeps the
keyed hash only (the sender id is dropped). Downgrading decrypts tickets again; feedback's sender ids are gone for
good (the hash is written in their place).

Revision ID: cv0002
Revises: cv0001
Create Date: 2026-12-14
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "cv0002"
down_revision = "cv0001"
branch_labels = None
depends_on = None

tickets = sa.table("conv_handoff_tickets", sa.column("id", sa.Integer), sa.column("sender_id", sa.Text),
                   sa.column("sender_hash", sa.String), sa.column("question", sa.Text), sa.column("contact", sa.Text))
feedback = sa.table("conv_feedback", sa.column("id", sa.Integer), sa.column("sender_id", sa.String),
                    sa.column("sender_hash", sa.String))


def upgrade() -> None:
    with op.batch_alter_table("conv_handoff_tickets") as batch:
        batch.drop_index("ix_conv_handoff_tickets_sender_id")
        batch.add_column(sa.Column("sender_hash", sa.String(length=64), nullable=True))
        batch.alter_column("sender_id", type_=sa.Text(), existing_type=sa.String(length=128), existing_nullable=False)
        batch.alter_column("contact", type_=sa.Text(), existing_type=sa.String(length=128), existing_nullable=True)
    with op.batch_alter_table("conv_feedback") as batch:
        batch.add_column(sa.Column("sender_hash", sa.String(length=64), nullable=True))
    bind = op.get_bind()
    ticket_rows = bind.execute(sa.select(tickets.c.id, tickets.c.sender_id, tickets.c.question,
                                         tickets.c.contact)).all()
    feedback_rows = bind.execute(sa.select(feedback.c.id, feedback.c.sender_id)).all()
    if ticket_rows or feedback_rows:  # the data key is only needed when there is something to convert
        from base.crypto import decrypt, encrypt, is_encrypted, sender_hash
        from base.privacy import mask_text

        for row_id, sender, question, contact in ticket_rows:
            bind.execute(tickets.update().where(tickets.c.id == row_id).values(
                sender_id=sender if is_encrypted(sender) else encrypt(sender),
                sender_hash=sender_hash(decrypt(sender)),
                question=mask_text(question) if question else question,
                contact=contact if is_encrypted(contact) else encrypt(contact),
            ))
        for row_id, sender in feedback_rows:
            bind.execute(feedback.update().where(feedback.c.id == row_id).values(sender_hash=sender_hash(sender)))
    with op.batch_alter_table("conv_handoff_tickets") as batch:
        batch.alter_column("sender_hash", existing_type=sa.String(length=64), nullable=False)
        batch.create_index("ix_conv_handoff_tickets_sender_hash", ["sender_hash"])
    with op.batch_alter_table("conv_feedback") as batch:
        batch.drop_index("ix_conv_feedback_sender_id")
        batch.drop_column("sender_id")
        batch.alter_column("sender_hash", existing_type=sa.String(length=64), nullable=False)
        batch.create_index("ix_conv_feedback_sender_hash", ["sender_hash"])


def downgrade() -> None:
    with op.batch_alter_table("conv_feedback") as batch:
        batch.drop_index("ix_conv_feedback_sender_hash")
        batch.add_column(sa.Column("sender_id", sa.String(length=128), nullable=True))
    bind = op.get_bind()
    bind.execute(feedback.update().values(sender_id=feedback.c.sender_hash))
    with op.batch_alter_table("conv_feedback") as batch:
        batch.drop_column("sender_hash")
        batch.alter_column("sender_id", existing_type=sa.String(length=128), nullable=False)
        batch.create_index("ix_conv_feedback_sender_id", ["sender_id"])
    rows = bind.execute(sa.select(tickets.c.id, tickets.c.sender_id, tickets.c.contact)).all()
    if rows:
        from base.crypto import decrypt

        for row_id, sender, contact in rows:
            bind.execute(tickets.update().where(tickets.c.id == row_id).values(sender_id=decrypt(sender),
                                                                             contact=decrypt(contact)))
    with op.batch_alter_table("conv_handoff_tickets") as batch:
        batch.drop_index("ix_conv_handoff_tickets_sender_hash")
        batch.drop_column("sender_hash")
        batch.alter_column("sender_id", type_=sa.String(length=128), existing_type=sa.Text(), existing_nullable=False)
        batch.alter_column("contact", type_=sa.String(length=128), existing_type=sa.Text(), existing_nullable=True)
        batch.create_index("ix_conv_handoff_tickets_sender_id", ["sender_id"])
