"""The comments table: comments and their one level of replies. Their rules (replies,
placeholders, counts, lock order) and statements are services/comments.py."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from db import UTCDateTime, db, utcnow
from models.board import same_as_created_at


class Comment(db.Model):
    __tablename__ = "comments"
    __table_args__ = (
        # A board's top-level comments oldest first (parent_id IS NULL ORDER BY id), and its count.
        Index("ix_comments_board_id_parent_id_id", "board_id", "parent_id", "id"),
        # A comment's replies oldest first: the window function's partitions, and /replies pages.
        Index("ix_comments_parent_id_id", "parent_id", "id"),
        Index("ix_comments_author_id", "author_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    # NULL on a placeholder. SET NULL only as a fallback: deleting a user goes through
    # services.comments.delete_comments_of_user first, which applies the placeholder rule and moves the counts.
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # 2,000 characters of utf8mb4 are at most 8,000 bytes: TEXT (64 KiB) holds them on MySQL.
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=same_as_created_at, onupdate=utcnow)
    deleted: Mapped[bool] = mapped_column(default=False, server_default=false())
    like_count: Mapped[int] = mapped_column(default=0, server_default="0")
    reply_count: Mapped[int] = mapped_column(default=0, server_default="0")
    # Hidden by moderation (services/moderation.py, which alone sets it and moves the board's
    # comment_count and the parent's reply_count, which count visible comments only).
    hidden: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Anonymous comments show `author_label` instead of their author (models/anonymous_author.py):
    # the number is the commenter's on this board, copied here so that a read joins nothing.
    anonymous: Mapped[bool] = mapped_column(default=False, server_default=false())
    author_number: Mapped[int | None]
    # As on boards: moved by every edit of the row.
    version: Mapped[int] = mapped_column(default=1)

    def __repr__(self) -> str:
        return f"<Comment {self.id} on board {self.board_id}>"
