"""boards

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 20:40:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

import db

# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('boards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('content', sa.Text().with_variant(mysql.MEDIUMTEXT(), 'mariadb').with_variant(mysql.MEDIUMTEXT(), 'mysql'), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('created_at', db.UTCDateTime(), nullable=False),
    sa.Column('updated_at', db.UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_boards_author_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_boards'))
    )
    with op.batch_alter_table('boards', schema=None) as batch_op:
        batch_op.create_index('ix_boards_author_id_id', ['author_id', 'id'], unique=False)


def downgrade():
    # Dropping the table drops its indexes; MySQL refuses to drop ix_boards_author_id_id on its
    # own while the foreign key needs it.
    op.drop_table('boards')
