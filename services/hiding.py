"""Hidden boards and comments: who sees them, and the one writer of `hidden`.

A hidden board or comment is out of sight for everyone but its author and admins: a comment is
also out of sight when its board or its parent is, unless the viewer wrote that one. The rule
is `Item.visible_to` here, and the WHERE conditions of `board_visibility` / `comment_visibility`
for the lists (services/boards.py, services/comments.py, services/marks.py), in three variants,
one per kind of viewer (`viewer_kind`): anonymous, a user, an admin.

`set_hidden` alone writes `hidden` (moderation hides and restores through it, a delete restores
first through it), and moves the counts that lists show so that they count visible items: a
board leaves `table_counts`, its forum's `board_count` and its author's (unless anonymous); a
comment leaves its board's `comment_count` (with its replies, for a top-level comment) and its
parent's `reply_count`.

Lock order, as every comment write: the board's row, then the comment's (`lock_item`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Integer, bindparam, false, or_, select, type_coerce, update

from db import connection
from models import Board, Comment, Forum, TableCount, TokenUser, User
from models.counters import counter_moves, counter_update, move, untouched

boards = Board.__table__
comments = Comment.__table__
parents = comments.alias("parent")

ANONYMOUS, USER, ADMIN = "anonymous", "user", "admin"
VIEWER_KINDS = (ANONYMOUS, USER, ADMIN)


def viewer_kind(viewer: TokenUser | None) -> str:
    """Which variant of a list's statements this viewer reads."""
    if viewer is None:
        return ANONYMOUS
    return ADMIN if viewer.is_admin else USER


def visible(hidden: Any, author_id: Any, kind: str) -> ColumnElement[bool] | None:
    """The WHERE condition that keeps a row with these `hidden` and `author_id` columns in sight
    of a viewer of `kind` (bind parameter `viewer` for a user); None for admins, who see all."""
    if kind == ADMIN:
        return None
    if kind == ANONYMOUS:
        return hidden == 0
    return or_(hidden == 0, author_id == bindparam("viewer"))


# `hidden + 0`, which no index serves: the planners would otherwise read a page of boards
# through ix_boards_hidden_author_id (hidden = 0 is nearly every board) and sort it, where the
# primary key or another index gives the page in order. That index is for counting the hidden.
_BOARD_HIDDEN_UNINDEXED = type_coerce(Board.hidden, Integer) + 0


def board_visibility(kind: str) -> ColumnElement[bool] | None:
    return visible(_BOARD_HIDDEN_UNINDEXED, Board.author_id, kind)


def comment_visibility(kind: str) -> ColumnElement[bool] | None:
    return visible(Comment.hidden, Comment.author_id, kind)


def can_see(viewer: TokenUser | None, *holders: tuple[int | None, bool]) -> bool:
    """Whether the viewer sees an item whose (author_id, hidden) and those of what holds it (its
    board, its parent) are `holders`."""
    if viewer is not None and viewer.is_admin:
        return True
    return all(not hidden or (viewer is not None and author == viewer.id) for author, hidden in holders)


# Locks: a write that changes nothing (updated_at untouched). Bind names differ from column names:
# an UPDATE reserves those for its SET clause.
LOCK_BOARD = (
    update(boards)
    .where(boards.c.id == bindparam("item_id"))
    .values(hidden=boards.c.hidden, **untouched(boards))
)
LOCK_COMMENT = (
    update(comments)
    .where(comments.c.id == bindparam("item_id"))
    .values(hidden=comments.c.hidden, **untouched(comments))
)
# A comment's board (it never changes): a plain read, then the board's lock. One UPDATE with the
# read as its subquery would take a shared lock on the comment on MariaDB, which the comment's
# lock then upgrades: two such requests deadlock.
BOARD_OF_COMMENT = select(comments.c.board_id).where(comments.c.id == bindparam("item_id"))
BOARD_ITEM = (
    select(
        boards.c.id,
        boards.c.author_id,
        boards.c.hidden,
        boards.c.created_at,
        boards.c.forum_id,
        boards.c.anonymous,
    )
    .where(boards.c.id == bindparam("item_id"))
    .with_for_update()
)
COMMENT_ITEM = (
    select(
        comments.c.id,
        comments.c.author_id,
        comments.c.hidden,
        comments.c.deleted,
        comments.c.board_id,
        comments.c.parent_id,
        comments.c.reply_count,
        comments.c.version,
        comments.c.content,
        comments.c.updated_at,
        comments.c.created_at,
        boards.c.author_id.label("board_author_id"),
        boards.c.hidden.label("board_hidden"),
        parents.c.author_id.label("parent_author_id"),
        parents.c.hidden.label("parent_hidden"),
    )
    .join(boards, boards.c.id == comments.c.board_id)
    .outerjoin(parents, parents.c.id == comments.c.parent_id)
    .where(comments.c.id == bindparam("item_id"))
    .with_for_update()
)

# What holds a comment, for `comment_holders`.
HOLDERS = (
    select(
        boards.c.author_id.label("board_author_id"),
        boards.c.hidden.label("board_hidden"),
        parents.c.author_id.label("parent_author_id"),
        parents.c.hidden.label("parent_hidden"),
    )
    .select_from(comments)
    .join(boards, boards.c.id == comments.c.board_id)
    .outerjoin(parents, parents.c.id == comments.c.parent_id)
    .where(comments.c.id == bindparam("item_id"))
)


def comment_holders(comment_id: int) -> tuple[tuple[int | None, bool], ...]:
    """(author_id, hidden) of the comment's board, and of its parent for a reply: a comment is out
    of sight with them. Empty when the comment is gone."""
    row = connection().execute(HOLDERS, {"item_id": comment_id}).first()
    if row is None:
        return ()
    holders = [(row.board_author_id, bool(row.board_hidden))]
    if row.parent_author_id is not None or row.parent_hidden is not None:
        holders.append((row.parent_author_id, bool(row.parent_hidden)))
    return tuple(holders)


# Hiding and restoring: conditional on the state found, so that a second hide changes nothing.
SET_BOARD_HIDDEN = (
    update(boards)
    .where(boards.c.id == bindparam("item_id"), boards.c.hidden == bindparam("was"))
    .values(hidden=bindparam("to"), **untouched(boards))
)
SET_COMMENT_HIDDEN = (
    update(comments)
    .where(
        comments.c.id == bindparam("item_id"),
        comments.c.hidden == bindparam("was"),
        comments.c.deleted == false(),
    )
    .values(hidden=bindparam("to"), **untouched(comments))
)
VISIBLE_BOARDS = {
    by: update(TableCount)
    .where(TableCount.table_name == boards.name)
    .values(row_count=TableCount.row_count + by)
    for by in (-1, +1)
}
AUTHOR_BOARDS = {by: counter_update(User.board_count, by) for by in (-1, +1)}
FORUM_BOARDS = {by: counter_update(Forum.board_count, by) for by in (-1, +1)}
REPLIES = {by: counter_update(Comment.reply_count, by) for by in (-1, +1)}
BOARD_COMMENTS = counter_moves(Board.comment_count, bindparam("by")).where(boards.c.id == bindparam("row_id"))


@dataclass(frozen=True)
class Item:
    """A reported board or comment, read under its locks."""

    type: str
    id: int
    author_id: int | None
    hidden: bool
    # With the id, what tells this item from a later one that reuses a deleted one's id (SQLite
    # hands out the highest id again once its row is gone).
    created_at: datetime
    # A comment deleted to a placeholder: nothing left to report, hide or restore.
    deleted: bool = False
    board_id: int = 0
    parent_id: int | None = None
    parent_hidden: bool = False
    reply_count: int = 0
    version: int = 0
    # A board's forum, and whether it is anonymous (then its author's board_count leaves it out).
    forum_id: int = 0
    anonymous: bool = False
    # What its author wrote, for an If-Match on its deletion.
    content: str = ""
    updated_at: datetime | None = None
    # (author_id, hidden) of what holds it: a comment is out of sight when its board or its
    # parent is hidden, as the item itself.
    holders: tuple[tuple[int | None, bool], ...] = ()

    def visible_to(self, viewer: TokenUser | None) -> bool:
        return can_see(viewer, (self.author_id, self.hidden), *self.holders)

    @property
    def name(self) -> str:
        return f"{self.type.capitalize()} {self.id}"


def lock_item(target_type: str, target_id: int) -> Item | None:
    """Lock the item (its board first) and read it; None when it does not exist."""
    conn = connection()
    if target_type == "board":
        if not conn.execute(LOCK_BOARD, {"item_id": target_id}).rowcount:
            return None
        row = conn.execute(BOARD_ITEM, {"item_id": target_id}).one()
        return Item(
            "board",
            row.id,
            row.author_id,
            bool(row.hidden),
            row.created_at,
            board_id=row.id,
            forum_id=row.forum_id,
            anonymous=bool(row.anonymous),
        )
    board_id = conn.execute(BOARD_OF_COMMENT, {"item_id": target_id}).scalar()
    if board_id is None:
        return None
    conn.execute(LOCK_BOARD, {"item_id": board_id})
    if not conn.execute(LOCK_COMMENT, {"item_id": target_id}).rowcount:
        return None
    row = conn.execute(COMMENT_ITEM, {"item_id": target_id}).one()
    holders = [(row.board_author_id, bool(row.board_hidden))]
    if row.parent_id is not None:
        holders.append((row.parent_author_id, bool(row.parent_hidden)))
    return Item(
        "comment",
        row.id,
        row.author_id,
        bool(row.hidden),
        row.created_at,
        deleted=bool(row.deleted),
        board_id=row.board_id,
        parent_id=row.parent_id,
        parent_hidden=bool(row.parent_hidden),
        reply_count=row.reply_count,
        version=row.version,
        content=row.content,
        updated_at=row.updated_at,
        holders=tuple(holders),
    )


def set_hidden(item: Item, hidden: bool) -> bool:
    """Hide or restore the item and move the counts that leave it out; False when it already was."""
    conn = connection()
    flip = {"item_id": item.id, "was": not hidden, "to": hidden}
    by = -1 if hidden else +1
    if item.type == "board":
        if not conn.execute(SET_BOARD_HIDDEN, flip).rowcount:
            return False
        # The author's row, the forum's, then the count's: the order of a board's insert and delete.
        if not item.anonymous:  # an anonymous board is not in its author's count
            move(AUTHOR_BOARDS[by], item.author_id)  # type: ignore[arg-type]
        move(FORUM_BOARDS[by], item.forum_id)
        conn.execute(VISIBLE_BOARDS[by])
        return True
    if not conn.execute(SET_COMMENT_HIDDEN, flip).rowcount:
        return False
    if item.parent_id is None:
        # Its replies leave the board's count with it (they are out of sight with their thread).
        move(BOARD_COMMENTS, item.board_id, by=by * (1 + item.reply_count))
    else:
        move(REPLIES[by], item.parent_id)
        if not item.parent_hidden:  # under a hidden parent it was out of the count already
            move(BOARD_COMMENTS, item.board_id, by=by)
    return True
