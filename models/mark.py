"""Likes and scraps: a user's marks on boards, one row per user and board, counted on the board.

One small table per kind of mark and target (`board_likes`, `board_scraps`; comments get
`comment_likes` the same way) rather than one table with a target type: each row then has a
real foreign key to its target (the database drops a board's marks with the board), and the
primary key (user_id, board_id) is the unique constraint that decides "at most once", on SQLite
and MariaDB alike. A polymorphic (target_type, target_id) row could have no foreign key.

The rules (marking, unmarking, the counters, a user's marks going with them) are services/marks.py.
Likes of comments are one more model (`comment_likes`): a deleted comment cannot be liked, and
loses its likes when it becomes a placeholder (models/comment.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from db import UTCDateTime, db, utcnow


class BoardLike(db.Model):
    __tablename__ = "board_likes"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    # Indexed on its own for the foreign key (a board's deletion finds its likes by it).
    board_id: Mapped[int] = mapped_column(
        ForeignKey("boards.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BoardScrap(db.Model):
    __tablename__ = "board_scraps"
    # GET /users/me/scraps: a user's scraps, most recently scrapped first, read off this index.
    __table_args__ = (
        Index("ix_board_scraps_user_id_created_at_board_id", "user_id", "created_at", "board_id"),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    board_id: Mapped[int] = mapped_column(
        ForeignKey("boards.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CommentLike(db.Model):
    __tablename__ = "comment_likes"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    # A comment's deletion (and its board's, and its user's) finds its likes by this index.
    comment_id: Mapped[int] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
