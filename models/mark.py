"""Likes and scraps: a user's marks on boards, one row per user and board, counted on the board.

One small table per kind of mark and target (`board_likes`, `board_scraps`; comments get
`comment_likes` the same way) rather than one table with a target type: each row then has a
real foreign key to its target (the database drops a board's marks with the board), and the
primary key (user_id, board_id) is the unique constraint that decides "at most once", on SQLite
and MariaDB alike. A polymorphic (target_type, target_id) row could have no foreign key.

Every kind of mark moves through `Mark.set`, which keeps the target's counter column exact
under concurrent requests (see there), and goes with its user through `delete_marks_of_user`.
Likes of comments are one more model (`comment_likes`) and one more Mark, whose `live` condition
keeps placeholders out: a deleted comment cannot be liked, and loses its likes when it becomes a
placeholder (models/comment.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from sqlalchemy import (
    Column,
    ColumnElement,
    Delete,
    ForeignKey,
    Index,
    Insert,
    Select,
    Table,
    Update,
    bindparam,
    delete,
    false,
    insert,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from db import UTCDateTime, commit, connection, db, rollback, utcnow
from models.board import Board
from models.comment import Comment
from models.counters import counter_moves, counter_update


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


@dataclass(frozen=True)
class Mark:
    """One kind of mark: its table, the column naming the target, and the target's counter.

    `live`: conditions a target must meet to be marked at all (a comment placeholder is not).
    """

    target: Column[int]
    counter: Column[int]
    live: tuple[ColumnElement[bool], ...] = field(default=())

    @property
    def table(self) -> Table:
        return self.target.table  # type: ignore[return-value]

    @property
    def targets(self) -> Table:
        return self.counter.table  # type: ignore[return-value]

    # The statements of `set`, built once with bind parameters (building one costs more than
    # running it). A mark is not an edit: updated_at stays as it is (counter_update).
    @cached_property
    def _add(self) -> Update:
        return counter_update(self.counter, +1, *self.live)

    @cached_property
    def _remove(self) -> Update:
        return counter_update(self.counter, -1, *self.live)

    @cached_property
    def _insert(self) -> Insert:
        # An existing mark inserts nothing (rowcount 0) instead of raising: a repeated like is
        # an ordinary answer, and an IntegrityError cost it ~100 µs. Only the primary key's
        # conflict is ignored on SQLite; MariaDB's IGNORE also turns a missing user (deleted
        # meanwhile) into rowcount 0, which ends as SQLite's IntegrityError does in `set`.
        statement = insert(self.table).values(
            user_id=bindparam("user_id"),
            **{self.target.name: bindparam("row_id")},
            created_at=bindparam("at"),
        )
        return (
            statement.prefix_with("OR IGNORE", dialect="sqlite")
            .prefix_with("IGNORE", dialect="mysql")
            .prefix_with("IGNORE", dialect="mariadb")
        )

    @cached_property
    def _delete(self) -> Delete:
        return delete(self.table).where(
            self.table.c.user_id == bindparam("user_id"), self.target == bindparam("row_id")
        )

    @cached_property
    def _count(self) -> Select[tuple[int]]:
        return select(self.counter).where(self.targets.c.id == bindparam("row_id"), *self.live)

    def set(self, user_id: int, target_id: int, *, on: bool) -> int | None:
        """Mark (on) or unmark the target for the user and commit; the target's new count, or
        None when there is no such (live) target. Idempotent.

        The counter moves first: that UPDATE locks the target's row, so every change of one
        target's marks queues there, and MariaDB cannot deadlock two likes on the foreign key's
        shared lock of the same row. Then the mark table decides: an INSERT refused by the
        primary key (already marked), or a DELETE of no row (not marked), changed nothing, and
        the transaction is rolled back, the counter with it. Exact however many requests race.
        """
        conn = connection()
        ids = {"user_id": user_id, "row_id": target_id}
        changed = 0
        if conn.execute(self._add if on else self._remove, ids).rowcount:
            try:
                if on:
                    changed = conn.execute(self._insert, {**ids, "at": utcnow()}).rowcount
                else:
                    changed = conn.execute(self._delete, ids).rowcount
            except IntegrityError:
                changed = 0
        if not changed:
            rollback()
        count = conn.execute(self._count, ids).scalar()
        commit()
        return count

    def delete_of_user(self, user_id: int) -> None:
        """Remove the user's marks of this kind, in the caller's transaction. A user marks a
        target at most once: every target they marked loses exactly one, in one UPDATE."""
        conn = connection()
        marked = select(self.target).where(self.table.c.user_id == user_id)
        conn.execute(counter_moves(self.counter, -1).where(self.targets.c.id.in_(marked)))
        conn.execute(delete(self.table).where(self.table.c.user_id == user_id))


BOARD_LIKE = Mark(BoardLike.__table__.c.board_id, Board.__table__.c.like_count)
BOARD_SCRAP = Mark(BoardScrap.__table__.c.board_id, Board.__table__.c.scrap_count)
# A placeholder (a deleted comment kept for its replies) is no target: liking it is a 404.
COMMENT_LIKE = Mark(
    CommentLike.__table__.c.comment_id,
    Comment.__table__.c.like_count,
    live=(Comment.__table__.c.deleted == false(),),
)
MARKS = (BOARD_LIKE, BOARD_SCRAP, COMMENT_LIKE)


def delete_marks_of_user(user_id: int) -> None:
    """Deleting a user: their likes (of boards and comments) and scraps go, and every count they
    added moves back. Run after delete_comments_of_user: the likes of the user's own comments
    went with those comments already (their board's lock first, as every comment write)."""
    for mark in MARKS:
        mark.delete_of_user(user_id)
