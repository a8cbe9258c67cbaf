"""follows, and the users' follower/following/board counts

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 21:45:51.691505

"""
from alembic import op
import sqlalchemy as sa

import db

# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

# A frozen copy of models.board.AUTHOR_COUNT_TRIGGERS: valid on SQLite and MySQL/MariaDB.
TRIGGERS = {
    'trg_boards_author_count_insert':
        "CREATE TRIGGER trg_boards_author_count_insert BEFORE INSERT ON boards FOR EACH ROW "
        "BEGIN UPDATE users SET board_count = board_count + 1 WHERE id = NEW.author_id; END",
    'trg_boards_author_count_delete':
        "CREATE TRIGGER trg_boards_author_count_delete AFTER DELETE ON boards FOR EACH ROW "
        "BEGIN UPDATE users SET board_count = board_count - 1 WHERE id = OLD.author_id; END",
}


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('follower_count', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('following_count', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('board_count', sa.Integer(), server_default='0', nullable=False))
    op.execute(
        "UPDATE users SET board_count = (SELECT COUNT(*) FROM boards WHERE boards.author_id = users.id)"
    )
    for statement in TRIGGERS.values():
        op.execute(statement)

    op.create_table('follows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('follower_id', sa.Integer(), nullable=False),
    sa.Column('followee_id', sa.Integer(), nullable=False),
    sa.Column('created_at', db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['followee_id'], ['users.id'], name=op.f('fk_follows_followee_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['follower_id'], ['users.id'], name=op.f('fk_follows_follower_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follows')),
    sa.UniqueConstraint('follower_id', 'followee_id', name=op.f('uq_follows_follower_id_followee_id'))
    )
    with op.batch_alter_table('follows', schema=None) as batch_op:
        batch_op.create_index('ix_follows_followee_id_id', ['followee_id', 'id'], unique=False)
        batch_op.create_index('ix_follows_follower_id_id', ['follower_id', 'id'], unique=False)


def downgrade():
    op.drop_table('follows')
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('board_count')
        batch_op.drop_column('following_count')
        batch_op.drop_column('follower_count')
