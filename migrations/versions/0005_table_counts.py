"""table counts: boards counted by triggers, for a cheap X-Pagination total

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21 20:29:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

# A frozen copy of models.table_count.trigger_statements("boards"): valid on SQLite and MySQL/MariaDB.
TRIGGERS = {
    'trg_boards_count_insert':
        "CREATE TRIGGER trg_boards_count_insert AFTER INSERT ON boards FOR EACH ROW "
        "BEGIN UPDATE table_counts SET row_count = row_count + 1 WHERE table_name = 'boards'; END",
    'trg_boards_count_delete':
        "CREATE TRIGGER trg_boards_count_delete AFTER DELETE ON boards FOR EACH ROW "
        "BEGIN UPDATE table_counts SET row_count = row_count - 1 WHERE table_name = 'boards'; END",
}


def upgrade():
    op.create_table('table_counts',
    sa.Column('table_name', sa.String(length=64), nullable=False),
    sa.Column('row_count', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('table_name', name=op.f('pk_table_counts'))
    )
    op.execute("INSERT INTO table_counts (table_name, row_count) SELECT 'boards', COUNT(*) FROM boards")
    for statement in TRIGGERS.values():
        op.execute(statement)


def downgrade():
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table('table_counts')
