"""moderation: hidden boards and comments, reports, cases, bans and the audit log

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 10:00:00

"""

from alembic import op
import sqlalchemy as sa

import db

# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# The boards' delete triggers (0005, 0014) now leave hidden boards alone: moderation takes a board
# out of table_counts, users.board_count and forums.board_count when it hides it. Frozen copies,
# valid on SQLite and MySQL/MariaDB, of models.table_count.trigger_statements("boards",
# unless_hidden=True) and models.board.BOARD_COUNT_TRIGGERS. Recreated in 0014's order: MariaDB
# fires triggers of one event in the order they were made (the author's row, then the forum's).
VISIBLE_ONLY = {
    "trg_boards_author_count_delete":
        "CREATE TRIGGER trg_boards_author_count_delete BEFORE DELETE ON boards "
        "FOR EACH ROW BEGIN UPDATE users SET board_count = board_count - "
        "CASE WHEN OLD.anonymous THEN 0 ELSE 1 END WHERE id = OLD.author_id AND OLD.hidden = 0; END",
    "trg_boards_forum_count_delete":
        "CREATE TRIGGER trg_boards_forum_count_delete BEFORE DELETE ON boards "
        "FOR EACH ROW BEGIN UPDATE forums SET board_count = board_count - 1 WHERE id = OLD.forum_id"
        " AND OLD.hidden = 0; END",
    "trg_boards_count_delete":
        "CREATE TRIGGER trg_boards_count_delete AFTER DELETE ON boards FOR EACH ROW "
        "BEGIN UPDATE table_counts SET row_count = row_count - 1 WHERE table_name = 'boards'"
        " AND OLD.hidden = 0; END",
}
# What they were before (0005, 0014), for the downgrade.
EVERY_ROW = {
    "trg_boards_author_count_delete":
        "CREATE TRIGGER trg_boards_author_count_delete BEFORE DELETE ON boards "
        "FOR EACH ROW BEGIN UPDATE users SET board_count = board_count - "
        "CASE WHEN OLD.anonymous THEN 0 ELSE 1 END WHERE id = OLD.author_id; END",
    "trg_boards_forum_count_delete":
        "CREATE TRIGGER trg_boards_forum_count_delete BEFORE DELETE ON boards "
        "FOR EACH ROW BEGIN UPDATE forums SET board_count = board_count - 1 WHERE id = OLD.forum_id; END",
    "trg_boards_count_delete":
        "CREATE TRIGGER trg_boards_count_delete AFTER DELETE ON boards FOR EACH ROW "
        "BEGIN UPDATE table_counts SET row_count = row_count - 1 WHERE table_name = 'boards'; END",
}


def _replace_triggers(triggers):
    for name in triggers:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    for statement in triggers.values():
        op.execute(statement)


def upgrade():
    # Plain ALTER TABLE ADD COLUMN (not batch mode, which on SQLite would copy `boards` and lose
    # its triggers). Nothing is hidden yet: every count stays exact.
    op.add_column("boards", sa.Column("hidden", sa.Boolean(), server_default=sa.text("0"), nullable=False))
    op.create_index("ix_boards_hidden_author_id", "boards", ["hidden", "author_id"], unique=False)
    op.add_column("comments", sa.Column("hidden", sa.Boolean(), server_default=sa.text("0"), nullable=False))
    op.add_column("users", sa.Column("ban_reason", sa.String(length=500), nullable=True))
    op.add_column("users", sa.Column("banned_until", db.UTCDateTime(), nullable=True))
    _replace_triggers(VISIBLE_ONLY)

    op.create_table(
        "moderation_cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target_type", sa.String(length=10), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("target_created_at", db.UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("report_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("pending_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("spam_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("abuse_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("illegal_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("other_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("first_reported_at", db.UTCDateTime(), nullable=True),
        sa.Column("last_reported_at", db.UTCDateTime(), nullable=True),
        sa.Column("created_at", db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_cases")),
        sa.UniqueConstraint(
            "target_type",
            "target_id",
            "target_created_at",
            name=op.f("uq_moderation_cases_target_type_target_id_target_created_at"),
        ),
    )
    op.create_index(
        "ix_moderation_cases_status_report_count_id",
        "moderation_cases",
        ["status", "report_count", "id"],
        unique=False,
    )
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=10), nullable=False),
        sa.Column("detail", sa.String(length=500), nullable=False),
        sa.Column("created_at", db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["moderation_cases.id"], name=op.f("fk_reports_case_id_moderation_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["reporter_id"], ["users.id"], name=op.f("fk_reports_reporter_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
        sa.UniqueConstraint("case_id", "reporter_id", name=op.f("uq_reports_case_id_reporter_id")),
    )
    op.create_index(op.f("ix_reports_reporter_id"), "reports", ["reporter_id"], unique=False)
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("actor_username", sa.String(length=30), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("target_type", sa.String(length=10), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("detail", sa.String(length=500), nullable=False),
        sa.Column("created_at", db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )


def downgrade():
    # Dropping a table drops its indexes (MySQL refuses to drop an index a foreign key needs).
    op.drop_table("audit_log")
    op.drop_table("reports")
    op.drop_table("moderation_cases")
    _count_hidden_items_again()
    _replace_triggers(EVERY_ROW)  # before the column goes: they name it
    # Not in batch mode: on SQLite that would copy the tables and lose their triggers.
    op.drop_column("users", "banned_until")
    op.drop_column("users", "ban_reason")
    op.drop_column("comments", "hidden")
    op.drop_index("ix_boards_hidden_author_id", table_name="boards")
    op.drop_column("boards", "hidden")


def _count_hidden_items_again():
    """Without the column every hidden item is visible again: the counts that left it out take it
    back (a downgrade is rare and hidden items few: plain statements, item by item)."""
    conn = op.get_bind()
    conn.execute(sa.text(
        "UPDATE table_counts SET row_count = row_count + (SELECT COUNT(*) FROM boards WHERE hidden = 1)"
        " WHERE table_name = 'boards'"
    ))
    for author_id, hidden in conn.execute(sa.text(
        "SELECT author_id, COUNT(*) FROM boards WHERE hidden = 1 AND anonymous = 0 GROUP BY author_id"
    )).all():
        conn.execute(
            sa.text("UPDATE users SET board_count = board_count + :n WHERE id = :id"), {"n": hidden, "id": author_id}
        )
    for forum_id, hidden in conn.execute(sa.text(
        "SELECT forum_id, COUNT(*) FROM boards WHERE hidden = 1 GROUP BY forum_id"
    )).all():
        conn.execute(
            sa.text("UPDATE forums SET board_count = board_count + :n WHERE id = :id"), {"n": hidden, "id": forum_id}
        )
    boards = conn.execute(sa.text("SELECT DISTINCT board_id FROM comments WHERE hidden = 1")).scalars().all()
    for board_id in boards:
        visible = conn.execute(
            sa.text("SELECT COUNT(*) FROM comments WHERE board_id = :id AND deleted = 0"), {"id": board_id}
        ).scalar_one()
        conn.execute(sa.text("UPDATE boards SET comment_count = :n WHERE id = :id"), {"n": visible, "id": board_id})
    parents = conn.execute(
        sa.text("SELECT DISTINCT parent_id FROM comments WHERE hidden = 1 AND parent_id IS NOT NULL")
    ).scalars().all()
    for parent_id in parents:
        replies = conn.execute(
            sa.text("SELECT COUNT(*) FROM comments WHERE parent_id = :id"), {"id": parent_id}
        ).scalar_one()
        conn.execute(sa.text("UPDATE comments SET reply_count = :n WHERE id = :id"), {"n": replies, "id": parent_id})
