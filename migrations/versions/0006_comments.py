"""comments: comments and replies, and the boards' comment_count

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 21:46:50

"""
from alembic import op
import sqlalchemy as sa

import db

# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('board_id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('created_at', db.UTCDateTime(), nullable=False),
    sa.Column('updated_at', db.UTCDateTime(), nullable=False),
    sa.Column('deleted', sa.Boolean(), server_default=sa.text('0'), nullable=False),
    sa.Column('like_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('reply_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_comments_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['board_id'], ['boards.id'], name=op.f('fk_comments_board_id_boards'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['parent_id'], ['comments.id'], name=op.f('fk_comments_parent_id_comments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comments'))
    )
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.create_index('ix_comments_author_id', ['author_id'], unique=False)
        batch_op.create_index('ix_comments_board_id_parent_id_id', ['board_id', 'parent_id', 'id'], unique=False)
        batch_op.create_index('ix_comments_parent_id_id', ['parent_id', 'id'], unique=False)

    # A plain ALTER TABLE ADD COLUMN on SQLite too (batch mode would only copy the table if it had
    # to): existing boards start at 0, which is exact, as there are no comments yet.
    with op.batch_alter_table('boards', schema=None) as batch_op:
        batch_op.add_column(sa.Column('comment_count', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    # Not in batch mode: on SQLite that would copy `boards` into a new table and lose its row-count
    # triggers (0005). ALTER TABLE DROP COLUMN needs SQLite 3.35 (2021).
    op.drop_column('boards', 'comment_count')
    # Dropping the table drops its indexes; MySQL refuses to drop an index a foreign key needs.
    op.drop_table('comments')
