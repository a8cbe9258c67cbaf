"""Comments and their one level of replies, and the rules of their life cycle (CONTRACT §7).

- A reply points at a top-level comment of the same board (`parent_id`).
- Deleting a comment that has replies leaves a placeholder: `deleted`, its content and author
  wiped (nothing of what was deleted is kept); it vanishes with its last reply.
- The board's `comment_count` counts visible comments and replies; a comment's `reply_count`
  its replies (all visible: a reply has no replies, so it never becomes a placeholder).
- A comment's likes go with it: by the foreign key when it is deleted, explicitly when it
  becomes a placeholder (which cannot be liked, and shows `like_count` 0).

Lock order, so that concurrent writers on MariaDB wait for each other instead of deadlocking:
the board row first (every write of a comment moves its board's count), then the comment, then
its parent. Every decision that races (is the parent still there? does this comment still have
replies?) is the WHERE clause of the write itself, never a value read earlier in Python.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import (
    ForeignKey,
    Index,
    Text,
    bindparam,
    column,
    delete,
    false,
    insert,
    select,
    table,
    true,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column

from db import UTCDateTime, connection, db, utcnow
from models.board import Board, same_as_created_at
from models.counters import counter_update, move, move_many

if TYPE_CHECKING:
    from sqlalchemy.engine import CursorResult


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
    # delete_comments_of_user first, which applies the placeholder rule and moves the counts.
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
    # As on boards: an edit is an UPDATE conditional on the version it read (If-Match races).
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<Comment {self.id} on board {self.board_id}>"


class ParentRefused(Exception):
    """The `parent_id` of a new reply names no comment that can be replied to; `str()` says why."""


class BoardGone(Exception):
    """The board of a new comment does not exist."""


ADD_TO_BOARD = counter_update(Board.comment_count, +1)
REMOVE_FROM_BOARD = counter_update(Board.comment_count, -1)
# Checks the parent and counts the reply in one statement, under the parent's row lock: a parent
# deleted a moment earlier matches nothing, and one deleted a moment later sees this reply.
ADD_REPLY = counter_update(
    Comment.reply_count,
    +1,
    Comment.board_id == bindparam("on_board"),
    Comment.parent_id.is_(None),
    Comment.deleted == false(),
)
REMOVE_REPLY = counter_update(Comment.reply_count, -1)
INSERT = insert(Comment)
PARENT = select(Comment.board_id, Comment.parent_id, Comment.deleted).where(Comment.id == bindparam("id"))
# (Bind names differ from column names: an UPDATE reserves those for its SET clause.)
_same_version = (Comment.id == bindparam("target_id"), Comment.version == bindparam("read_version"))
DELETE_IF_NO_REPLIES = delete(Comment).where(*_same_version, Comment.reply_count == 0)
DELETE = delete(Comment).where(*_same_version)
PLACEHOLDER = {
    "deleted": True,
    "content": "",
    "author_id": None,
    "like_count": 0,
    "version": Comment.version + 1,
}
# updated_at stays: a placeholder tells nobody when it was deleted.
MAKE_PLACEHOLDER = (
    update(Comment).where(*_same_version).values({**PLACEHOLDER, "updated_at": Comment.updated_at})
)
# models/mark.py holds the CommentLike model (and imports this module): its table by name here.
_likes = table("comment_likes", column("comment_id"))
DELETE_LIKES = delete(_likes).where(_likes.c.comment_id == bindparam("target_id"))
DELETE_EMPTY_PLACEHOLDER = delete(Comment).where(
    Comment.id == bindparam("target_id"), Comment.deleted == true(), Comment.reply_count == 0
)


def _execute(statement: Any, params: dict[str, Any] | None = None) -> CursorResult[Any]:
    return connection().execute(statement, params or {})  # type: ignore[return-value]


def add_comment(board_id: int, author_id: int, content: str, parent_id: int | None) -> tuple[int, datetime]:
    """Insert a comment (a reply when `parent_id` is given) and move the counts; its id and time.

    Raises BoardGone or ParentRefused, after which the caller rolls back.
    """
    if not move(ADD_TO_BOARD, board_id):
        raise BoardGone
    if parent_id is not None and not move(ADD_REPLY, parent_id, on_board=board_id):
        raise ParentRefused(parent_problem(board_id, parent_id))
    now = utcnow()
    values = {"board_id": board_id, "parent_id": parent_id, "author_id": author_id, "content": content}
    values |= {"created_at": now, "updated_at": now, "version": 1, "deleted": False}
    values |= {"like_count": 0, "reply_count": 0}
    return _execute(INSERT, values).inserted_primary_key[0], now


def parent_problem(board_id: int, parent_id: int) -> str:
    """Why this comment cannot be replied to (read after the guarded update refused it)."""
    row = _execute(PARENT, {"id": parent_id}).first()
    if row is None:
        return f"Comment {parent_id} does not exist."
    if row.board_id != board_id:
        return f"Comment {parent_id} is on another board."
    if row.parent_id is not None:
        return f"Comment {parent_id} is a reply: reply to its top-level comment {row.parent_id}."
    return f"Comment {parent_id} has been deleted."


def delete_comment(comment_id: int, board_id: int, parent_id: int | None, version: int) -> bool:
    """Delete a visible comment read at `version`: it disappears, or stays as a placeholder while
    it has replies; a reply takes its parent placeholder along when it was the last one.
    False when the comment changed or went since it was read: nothing may be kept then."""
    move(REMOVE_FROM_BOARD, board_id)
    same = {"target_id": comment_id, "read_version": version}
    if parent_id is None:
        if _execute(DELETE_IF_NO_REPLIES, same).rowcount:
            return True  # its likes went by ON DELETE CASCADE
        if not _execute(MAKE_PLACEHOLDER, same).rowcount:
            return False
        # After the UPDATE, which holds the row: a like that committed before it is deleted
        # here, and one that comes later finds a placeholder (404).
        _execute(DELETE_LIKES, {"target_id": comment_id})
        return True
    if not _execute(DELETE, same).rowcount:
        return False
    move(REMOVE_REPLY, parent_id)
    _execute(DELETE_EMPTY_PLACEHOLDER, {"target_id": parent_id})
    return True


def delete_comments_of_user(user_id: int) -> None:
    """Before a user goes: the comments on their boards go with the boards, and their other
    comments go as if deleted one by one (placeholders where others replied), in a constant
    number of statements however many there are."""
    own_boards = select(Board.id).where(Board.author_id == user_id)
    # Lock order (boards first), on MariaDB; SQLite has one writer at a time anyway.
    boards_touched = select(Comment.board_id).where(Comment.author_id == user_id)
    _execute(
        select(Board.id).where(Board.id.in_(boards_touched) | Board.id.in_(own_boards)).with_for_update()
    )
    # A write first: on SQLite it starts the transaction, so that the reads below are current.
    _execute(delete(Comment).where(Comment.board_id.in_(own_boards)))
    mine = _execute(
        select(Comment.id, Comment.board_id, Comment.parent_id)
        .where(Comment.author_id == user_id)
        .with_for_update()
    ).all()
    if not mine:
        return
    per_board: dict[int, int] = {}
    per_parent: dict[int, int] = {}
    for row in mine:
        per_board[row.board_id] = per_board.get(row.board_id, 0) - 1
        if row.parent_id is not None:
            per_parent[row.parent_id] = per_parent.get(row.parent_id, 0) - 1
    move_many(Comment.reply_count, per_parent)
    move_many(Board.comment_count, per_board)
    # Their replies, and their comments left without replies, disappear; the rest become placeholders.
    is_mine = Comment.author_id == user_id
    # The likes of all of them: those about to be deleted would go by the foreign key too, the
    # placeholders' would not (and, once placeholders, they no longer name their author).
    _execute(delete(_likes).where(_likes.c.comment_id.in_(select(Comment.id).where(is_mine))))
    _execute(delete(Comment).where(is_mine, Comment.parent_id.is_not(None) | (Comment.reply_count == 0)))
    _execute(update(Comment).where(is_mine).values({**PLACEHOLDER, "updated_at": Comment.updated_at}))
    if per_parent:
        emptied = Comment.id.in_(sorted(per_parent))
        _execute(delete(Comment).where(emptied, Comment.deleted == true(), Comment.reply_count == 0))
