"""likes and scraps: board_likes, board_scraps, and their counters on boards

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 21:44:40

"""
from alembic import op
import sqlalchemy as sa

import db

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

MARK_TABLES = ('board_likes', 'board_scraps')


def upgrade():
    for table in MARK_TABLES:
        # The primary key (user_id, board_id) is the unique constraint: one mark per user and board.
        op.create_table(table,
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('board_id', sa.Integer(), nullable=False),
        sa.Column('created_at', db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['board_id'], ['boards.id'], name=op.f(f'fk_{table}_board_id_boards'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f(f'fk_{table}_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'board_id', name=op.f(f'pk_{table}'))
        )
        op.create_index(op.f(f'ix_{table}_board_id'), table, ['board_id'], unique=False)
    op.create_index('ix_board_scraps_user_id_created_at_board_id', 'board_scraps', ['user_id', 'created_at', 'board_id'], unique=False)

    # Plain ALTER TABLE, never batch mode's copy of the table: on SQLite a copy would lose the
    # row-count triggers of 0005. Existing boards start with no likes and no scraps.
    op.add_column('boards', sa.Column('like_count', sa.Integer(), server_default='0', nullable=False))
    op.add_column('boards', sa.Column('scrap_count', sa.Integer(), server_default='0', nullable=False))
    op.create_index('ix_boards_like_count_id', 'boards', ['like_count', 'id'], unique=False)


def downgrade():
    # Dropping a table drops its indexes (MySQL refuses to drop an index a foreign key needs).
    for table in reversed(MARK_TABLES):
        op.drop_table(table)
    op.drop_index('ix_boards_like_count_id', table_name='boards')
    # ALTER TABLE … DROP COLUMN (SQLite 3.35+, MySQL, MariaDB): the table and its triggers stay.
    with op.batch_alter_table('boards', recreate='never') as batch_op:
        batch_op.drop_column('scrap_count')
        batch_op.drop_column('like_count')
