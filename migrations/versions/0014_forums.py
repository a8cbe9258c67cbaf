"""forums: forums and pins, every board in a forum (General), anonymous boards and comments

- `forums` with `General` (id 1, category `general`, anonymous `optional`) holding every
  existing board; `forum_pins`.
- `boards.forum_id` (NOT NULL, defaults to General's id 1, indexed with the id for a forum's
  newest first), `boards.anonymous`, `boards.anonymous_commenter_count`; `comments.anonymous`,
  `comments.author_number`; `board_anonymous_authors` (who has which "anonymous N" on a board).
- The boards' counter triggers: `users.board_count` now counts the boards that name their
  author (anonymous ones aside), and `forums.board_count` is kept the same way. Every counter
  trigger runs BEFORE the row is written, users' then forums' (models/board.py says why).

On SQLite a NOT NULL column with a foreign key cannot be added to a table: `boards` is copied
into a new table (batch mode), with foreign keys switched off for the copy (with them on, the
copy's DROP TABLE would delete every comment, like and scrap through ON DELETE CASCADE) and
every trigger of the schema set aside and put back (a copy loses the triggers on `boards`, and
SQLite refuses to rename a table while a trigger elsewhere names a missing one).

The downgrade refuses to run while anonymous boards or comments exist: without the column,
each of them would show its author.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 09:00:00

"""

from collections.abc import Callable
from datetime import UTC, datetime

from alembic import op
from alembic.operations import BatchOperations
import sqlalchemy as sa

import db

# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

GENERAL_ID = 1

# Frozen copies of models.board.BOARD_COUNT_TRIGGERS: valid on SQLite and MySQL/MariaDB.
TRIGGERS = {
    "trg_boards_author_count_insert": "CREATE TRIGGER trg_boards_author_count_insert BEFORE INSERT ON boards "
    "FOR EACH ROW BEGIN UPDATE users SET board_count = board_count + "
    "CASE WHEN NEW.anonymous THEN 0 ELSE 1 END WHERE id = NEW.author_id; END",
    "trg_boards_author_count_delete": "CREATE TRIGGER trg_boards_author_count_delete BEFORE DELETE ON boards "
    "FOR EACH ROW BEGIN UPDATE users SET board_count = board_count - "
    "CASE WHEN OLD.anonymous THEN 0 ELSE 1 END WHERE id = OLD.author_id; END",
    "trg_boards_forum_count_insert": "CREATE TRIGGER trg_boards_forum_count_insert BEFORE INSERT ON boards "
    "FOR EACH ROW BEGIN UPDATE forums SET board_count = board_count + 1 WHERE id = NEW.forum_id; END",
    "trg_boards_forum_count_delete": "CREATE TRIGGER trg_boards_forum_count_delete BEFORE DELETE ON boards "
    "FOR EACH ROW BEGIN UPDATE forums SET board_count = board_count - 1 WHERE id = OLD.forum_id; END",
}
# The triggers of 0008 that the first two replace, put back by the downgrade.
TRIGGERS_0008 = {
    "trg_boards_author_count_insert": "CREATE TRIGGER trg_boards_author_count_insert BEFORE INSERT ON boards "
    "FOR EACH ROW BEGIN UPDATE users SET board_count = board_count + 1 WHERE id = NEW.author_id; END",
    "trg_boards_author_count_delete": "CREATE TRIGGER trg_boards_author_count_delete AFTER DELETE ON boards "
    "FOR EACH ROW BEGIN UPDATE users SET board_count = board_count - 1 WHERE id = OLD.author_id; END",
}
ANONYMOUS_LEFT = (
    "Anonymous boards or comments exist: without forums, each would show its author. Delete them "
    "(or keep this revision) before downgrading."
)


def _on_sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _change_boards(change: Callable[[BatchOperations], None]) -> None:
    """Apply `change` to `boards`: ALTER TABLE statements on MySQL/MariaDB, a copy on SQLite."""
    if not _on_sqlite():
        with op.batch_alter_table("boards") as batch_op:
            change(batch_op)
        return
    bind = op.get_bind()
    context = op.get_context()
    triggers = bind.execute(sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")).all()
    with context.autocommit_block():
        op.execute("PRAGMA foreign_keys = OFF")
    try:
        if bind.exec_driver_sql("PRAGMA foreign_keys").scalar():
            raise RuntimeError("Foreign keys are still on: copying boards would cascade to its comments.")
        for name, _ in triggers:
            op.execute(f'DROP TRIGGER "{name}"')
        with op.batch_alter_table("boards", recreate="always") as batch_op:
            change(batch_op)
        for _, sql in triggers:
            op.execute(sql)
        broken = bind.exec_driver_sql("PRAGMA foreign_key_check").all()
        if broken:
            raise RuntimeError(f"Rows that break a foreign key after the copy of boards: {broken[:5]}")
    finally:
        with context.autocommit_block():
            op.execute("PRAGMA foreign_keys = ON")


def _add_forum_columns(batch_op: BatchOperations) -> None:
    batch_op.add_column(sa.Column("forum_id", sa.Integer(), server_default=str(GENERAL_ID), nullable=False))
    batch_op.add_column(sa.Column("anonymous", sa.Boolean(), server_default=sa.text("0"), nullable=False))
    batch_op.add_column(
        sa.Column("anonymous_commenter_count", sa.Integer(), server_default="0", nullable=False)
    )
    # Before the foreign key: MySQL would otherwise make an index of its own for it.
    batch_op.create_index("ix_boards_forum_id_id", ["forum_id", "id"], unique=False)
    batch_op.create_foreign_key(op.f("fk_boards_forum_id_forums"), "forums", ["forum_id"], ["id"])


def _drop_forum_columns(batch_op: BatchOperations) -> None:
    batch_op.drop_constraint(op.f("fk_boards_forum_id_forums"), type_="foreignkey")
    batch_op.drop_index("ix_boards_forum_id_id")
    batch_op.drop_column("anonymous_commenter_count")
    batch_op.drop_column("anonymous")
    batch_op.drop_column("forum_id")


def upgrade():
    forums = op.create_table(
        "forums",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("name_lower", db.exact_string(50), nullable=False),
        sa.Column("category", db.exact_string(30), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("anonymous", sa.String(length=8), nullable=False),
        sa.Column("board_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", db.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "anonymous IN ('never', 'optional', 'always')", name=op.f("ck_forums_anonymous")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forums")),
        sa.UniqueConstraint("name_lower", name=op.f("uq_forums_name_lower")),
    )
    op.create_index("ix_forums_category_name_lower", "forums", ["category", "name_lower"], unique=False)
    op.bulk_insert(
        forums,
        [
            {
                "id": GENERAL_ID,
                "name": "General",
                "name_lower": "general",
                "category": "general",
                "description": "",
                "anonymous": "optional",
                "board_count": 0,
                "created_at": datetime.now(UTC),
            }
        ],
    )

    # Every existing board lands in General through the column's default.
    _change_boards(_add_forum_columns)
    with op.batch_alter_table("comments", recreate="never") as batch_op:
        batch_op.add_column(sa.Column("anonymous", sa.Boolean(), server_default=sa.text("0"), nullable=False))
        batch_op.add_column(sa.Column("author_number", sa.Integer(), nullable=True))

    op.create_table(
        "forum_pins",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("forum_id", sa.Integer(), nullable=False),
        sa.Column("created_at", db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["forum_id"], ["forums.id"], name=op.f("fk_forum_pins_forum_id_forums"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_forum_pins_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "forum_id", name=op.f("pk_forum_pins")),
    )
    op.create_index(op.f("ix_forum_pins_forum_id"), "forum_pins", ["forum_id"], unique=False)
    op.create_index(
        "ix_forum_pins_user_id_created_at_forum_id",
        "forum_pins",
        ["user_id", "created_at", "forum_id"],
        unique=False,
    )
    op.create_table(
        "board_anonymous_authors",
        sa.Column("board_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["board_id"],
            ["boards.id"],
            name=op.f("fk_board_anonymous_authors_board_id_boards"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_board_anonymous_authors_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("board_id", "user_id", name=op.f("pk_board_anonymous_authors")),
        sa.UniqueConstraint("board_id", "number", name=op.f("uq_board_anonymous_authors_board_id_number")),
    )
    op.create_index(
        op.f("ix_board_anonymous_authors_user_id"), "board_anonymous_authors", ["user_id"], unique=False
    )

    op.execute(
        f"UPDATE forums SET board_count = (SELECT COUNT(*) FROM boards WHERE forum_id = {GENERAL_ID}) "
        f"WHERE id = {GENERAL_ID}"
    )
    for name in TRIGGERS_0008:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    for statement in TRIGGERS.values():
        op.execute(statement)


def downgrade():
    bind = op.get_bind()
    anonymous = bind.execute(
        sa.text(
            "SELECT (SELECT COUNT(*) FROM boards WHERE anonymous = 1)"
            " + (SELECT COUNT(*) FROM comments WHERE anonymous = 1)"
        )
    ).scalar()
    if anonymous:
        raise RuntimeError(ANONYMOUS_LEFT)

    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    for statement in TRIGGERS_0008.values():
        op.execute(statement)
    # Dropping a table drops its indexes (MySQL refuses to drop one that a foreign key needs).
    op.drop_table("board_anonymous_authors")
    op.drop_table("forum_pins")
    # ALTER TABLE … DROP COLUMN: neither column has an index or a foreign key.
    with op.batch_alter_table("comments", recreate="never") as batch_op:
        batch_op.drop_column("author_number")
        batch_op.drop_column("anonymous")
    _change_boards(_drop_forum_columns)
    op.drop_table("forums")
