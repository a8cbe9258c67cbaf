"""token generation: per-user counter that voids older tokens (logout-all, password change)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 20:21:00.006091

"""
from alembic import op
import sqlalchemy as sa

import db

# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token_generation', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('kept_token_family', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('kept_token_family')
        batch_op.drop_column('token_generation')
