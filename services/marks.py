"""Likes and scraps: marking a board or a comment, unmarking it, a user's scraps, and the marks
that go with a user.

Every kind of mark moves through `Mark.set`, which keeps the target's counter column exact
however many requests race: the target's row is locked first (models/row_lock.py), so every
change of one target's marks queues there, and MariaDB cannot deadlock two likes on the foreign
key's shared lock of the same row. Then the mark table decides: an INSERT that the primary key
turns away (already marked) or a DELETE of no row (not marked) changes nothing, and the counter
moves only when the mark did.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Column, Table, bindparam, delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from db import connection, utcnow
from models import Board, BoardLike, BoardScrap, Comment, CommentLike, TokenUser
from models.counters import counter_moves, counter_update
from models.row_lock import lock_row
from schemas.board import board_rows_json
from services.boards import BOARD_ROWS, MARKS, MY_LIKE, MY_SCRAP
from services.errors import NotFound
from services.hiding import ADMIN, USER, board_visibility, can_see, comment_holders
from services.pages import Page, PageRequest


class Mark:
    """One kind of mark: its table, the column naming the target, and the target's counter.

    `gone`: a column of the target that, when true, makes it no target (a comment placeholder
    cannot be liked). `holders`: the (author_id, hidden) of what holds a target (a comment's board
    and parent), which hide it too. Its statements are built once, here, with bind parameters.
    """

    def __init__(
        self,
        target: Column[int],
        counter: Column[int],
        what: str,
        gone: str | None = None,
        holders: Callable[[int], tuple[tuple[int | None, bool], ...]] | None = None,
    ) -> None:
        self.target = target
        self.counter = counter
        self.what = what
        self.gone = gone
        self.holders = holders
        self.table: Table = target.table  # type: ignore[assignment]
        self.targets: Table = counter.table  # type: ignore[assignment]
        # A hidden target is no target either, but to its author and admins (services/hiding.py).
        self.locked = (counter.name, "author_id", "hidden", *((gone,) if gone else ()))
        # A mark is not an edit: updated_at stays as it is (counter_update).
        self.add = counter_update(counter, +1)
        self.remove = counter_update(counter, -1)
        # An existing mark inserts nothing (rowcount 0) instead of raising: a repeated like is an
        # ordinary answer, not an exception. Only the primary key's conflict is ignored on SQLite;
        # MariaDB's IGNORE also turns a missing user (deleted meanwhile) into rowcount 0, which
        # ends as SQLite's IntegrityError does in `set`.
        self.insert = (
            insert(self.table)
            .values(
                user_id=bindparam("user_id"), **{target.name: bindparam("row_id")}, created_at=bindparam("at")
            )
            .prefix_with("OR IGNORE", dialect="sqlite")
            .prefix_with("IGNORE", dialect="mysql")
            .prefix_with("IGNORE", dialect="mariadb")
        )
        self.delete = delete(self.table).where(
            self.table.c.user_id == bindparam("user_id"), target == bindparam("row_id")
        )

    def set(self, user: TokenUser, target_id: int, *, on: bool) -> int:
        """Mark (on) or unmark the target for the user; the target's count after. Idempotent."""
        conn = connection()
        row = lock_row(self.targets, target_id, *self.locked)
        if row is None or not self._markable(user, row, target_id):
            raise NotFound(f"{self.what} {target_id} not found.")
        ids = {"user_id": user.id, "row_id": target_id}
        try:
            if on:
                changed = conn.execute(self.insert, {**ids, "at": utcnow()}).rowcount
            else:
                changed = conn.execute(self.delete, ids).rowcount
        except IntegrityError:
            changed = 0  # the user is gone (SQLite): nothing was written
        if not changed:
            return row[0]  # type: ignore[no-any-return]
        conn.execute(self.add if on else self.remove, ids)
        return row[0] + (1 if on else -1)  # type: ignore[no-any-return]

    def _markable(self, user: TokenUser, row: Any, target_id: int) -> bool:
        if self.gone and row._mapping[self.gone]:
            return False
        if user.is_admin:
            return True
        holders = self.holders(target_id) if self.holders else ()
        return can_see(user, (row.author_id, row.hidden), *holders)

    def delete_of_user(self, user_id: int) -> None:
        """Remove the user's marks of this kind. A user marks a target at most once: every
        target they marked loses exactly one, in one UPDATE."""
        conn = connection()
        marked = select(self.target).where(self.table.c.user_id == user_id)
        conn.execute(counter_moves(self.counter, -1).where(self.targets.c.id.in_(marked)))
        conn.execute(delete(self.table).where(self.table.c.user_id == user_id))


BOARD_LIKE = Mark(BoardLike.__table__.c.board_id, Board.__table__.c.like_count, "Board")
BOARD_SCRAP = Mark(BoardScrap.__table__.c.board_id, Board.__table__.c.scrap_count, "Board")
# A placeholder (a deleted comment kept for its replies) is no target: liking it is a 404.
COMMENT_LIKE = Mark(
    CommentLike.__table__.c.comment_id,
    Comment.__table__.c.like_count,
    "Comment",
    gone="deleted",
    holders=comment_holders,
)
ALL_MARKS = (BOARD_LIKE, BOARD_SCRAP, COMMENT_LIKE)


def like_board(user: TokenUser, board_id: int, *, on: bool) -> dict[str, object]:
    return {"liked": on, "like_count": BOARD_LIKE.set(user, board_id, on=on)}


def scrap_board(user: TokenUser, board_id: int, *, on: bool) -> dict[str, object]:
    return {"scrapped": on, "scrap_count": BOARD_SCRAP.set(user, board_id, on=on)}


def like_comment(user: TokenUser, comment_id: int, *, on: bool) -> dict[str, object]:
    return {"liked": on, "like_count": COMMENT_LIKE.set(user, comment_id, on=on)}


# GET /users/me/scraps: the reader's scraps, most recently scrapped first; a board hidden since
# it was scrapped leaves them (but for its author and admins). Per kind of reader: (count, page).
def _scraps(kind: str) -> tuple[Any, Any]:
    visibility = board_visibility(kind)
    page = (
        BOARD_ROWS.add_columns(*MARKS)
        .join(BoardScrap, MY_SCRAP)
        .outerjoin(BoardLike, MY_LIKE)
        .order_by(BoardScrap.created_at.desc(), BoardScrap.board_id.desc())
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )
    count = select(func.count()).select_from(BoardScrap).where(BoardScrap.user_id == bindparam("viewer"))
    if visibility is not None:
        page = page.where(visibility)
        count = count.join(Board, Board.id == BoardScrap.board_id).where(visibility)
    return count, page


MY_SCRAPS = {kind: _scraps(kind) for kind in (USER, ADMIN)}
SCRAP_JSON = board_rows_json(MY_SCRAPS[USER][1].selected_columns.keys(), marked=True)


def my_scraps(reader: TokenUser, page: PageRequest) -> Page:
    """One page of the reader's scraps (a count, then the page)."""
    conn = connection()
    count, rows_of_page = MY_SCRAPS[ADMIN if reader.is_admin else USER]
    total = conn.execute(count, {"viewer": reader.id}).scalar_one()
    rows = []
    if page.offset < total:
        params = {"viewer": reader.id, "limit": page.page_size, "offset": page.offset}
        rows = conn.execute(rows_of_page, params).all()
    return Page(SCRAP_JSON(rows, reader.is_admin), total)


def delete_marks_of_user(user_id: int) -> None:
    """Deleting a user: their likes (of boards and comments) and scraps go, and every count they
    added moves back. Run after delete_comments_of_user: the likes of the user's own comments
    went with those comments already (their board's lock first, as every comment write)."""
    for mark in ALL_MARKS:
        mark.delete_of_user(user_id)
