"""messages: private messages between users, unread counter on users

A message row keeps a deleted flag per party; its four indexes serve a box newest first (sent,
received), one conversation, and the unread received messages (models/message.py).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 21:46:58

"""
from alembic import op
import sqlalchemy as sa

import db

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sender_id', sa.Integer(), nullable=True),
    sa.Column('recipient_id', sa.Integer(), nullable=True),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('created_at', db.UTCDateTime(), nullable=False),
    sa.Column('read_at', db.UTCDateTime(), nullable=True),
    sa.Column('sender_deleted', sa.Boolean(), server_default=sa.text('0'), nullable=False),
    sa.Column('recipient_deleted', sa.Boolean(), server_default=sa.text('0'), nullable=False),
    sa.ForeignKeyConstraint(['recipient_id'], ['users.id'], name=op.f('fk_messages_recipient_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['sender_id'], ['users.id'], name=op.f('fk_messages_sender_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_messages'))
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index('ix_messages_conversation', ['sender_id', 'recipient_id', 'id'], unique=False)
        batch_op.create_index('ix_messages_received', ['recipient_id', 'recipient_deleted', 'id'], unique=False)
        batch_op.create_index('ix_messages_sent', ['sender_id', 'sender_deleted', 'id'], unique=False)
        batch_op.create_index('ix_messages_unread', ['recipient_id', 'recipient_deleted', 'read_at', 'id'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unread_messages', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    # A plain ALTER TABLE: batch mode's copy of `users` would break the triggers on `boards` that
    # name it (0008) on SQLite.
    with op.batch_alter_table('users', recreate='never') as batch_op:
        batch_op.drop_column('unread_messages')

    # The indexes go with the table: MySQL refuses to drop one that a foreign key still needs.
    op.drop_table('messages')
