"""password reset: digest and expiry of the pending reset

The keyed digest of the reset token (never the token) and when it expires; see services/password_reset.py.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 22:28:09.389527

"""
from alembic import op
import sqlalchemy as sa

import db

# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('password_reset_digest', db.exact_string(64), nullable=True))
        batch_op.add_column(sa.Column('password_reset_expires_at', db.UTCDateTime(), nullable=True))


def downgrade():
    # A plain ALTER TABLE: batch mode's copy of `users` would break the triggers on `boards` that
    # name it (0008) on SQLite.
    with op.batch_alter_table('users', recreate='never') as batch_op:
        batch_op.drop_column('password_reset_expires_at')
        batch_op.drop_column('password_reset_digest')
