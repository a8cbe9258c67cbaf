"""comment likes: comment_likes (comments.like_count exists since 0006)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 22:55:00

"""

from alembic import op
import sqlalchemy as sa

import db

# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    # The primary key (user_id, comment_id) is the unique constraint: one like per user and comment.
    op.create_table(
        "comment_likes",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.Column("created_at", db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["comment_id"],
            ["comments.id"],
            name=op.f("fk_comment_likes_comment_id_comments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_comment_likes_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "comment_id", name=op.f("pk_comment_likes")),
    )
    op.create_index(op.f("ix_comment_likes_comment_id"), "comment_likes", ["comment_id"], unique=False)


def downgrade():
    # Dropping the table drops its indexes (MySQL refuses to drop an index a foreign key needs).
    # comments.like_count stays: it belongs to 0006.
    op.drop_table("comment_likes")
