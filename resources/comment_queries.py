"""The reads of comments, in a constant number of statements whatever the page and the threads.

A page of top-level comments is three statements: the board with its number of threads (404 and
X-Pagination's total at once), the page, and the first replies of every comment on the page in
one window-function query (`ROW_NUMBER() OVER (PARTITION BY parent_id ORDER BY id)`, SQLite
≥ 3.25 and MariaDB ≥ 10.2), asked only when some comment of the page has replies. Like the board
reads, they run Core statements built once and build the JSON with `schemas.comment.comment_json`.

With a token, every comment also says whether the reader likes it: a LEFT JOIN on
comment_likes' primary key (user_id, comment_id) in the page's statement and in the replies'
window query, so a reader costs no statement more, whatever the page and its threads.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Response, jsonify
from sqlalchemy import Row, Select, and_, bindparam, func, select

from db import UTCTimestampText, connection
from models import Board, Comment, CommentLike, TokenUser, User
from schemas.comment import EMBEDDED_REPLIES, comment_json

FIELDS = (
    Comment.id,
    Comment.board_id,
    Comment.parent_id,
    Comment.content,
    Comment.author_id,
    User.username,
    UTCTimestampText.of(Comment.created_at),  # the JSON's text: no datetime made and formatted
    UTCTimestampText.of(Comment.updated_at),
    Comment.deleted,
    Comment.like_count,
    Comment.reply_count,
)
# LEFT JOIN: a placeholder has no author.
COMMENT_ROWS = select(*FIELDS).outerjoin(User, User.id == Comment.author_id)


def marked(rows: Select[Any], comment_id: Any) -> Select[Any]:
    """`rows` with the reader's like (bind parameter `viewer`) of the comment `comment_id` as one
    more column: a primary-key lookup per row, in the same statement."""
    mine = and_(CommentLike.comment_id == comment_id, CommentLike.user_id == bindparam("viewer"))
    return rows.add_columns(CommentLike.user_id.is_not(None)).outerjoin(CommentLike, mine)


COMMENT_BY_ID = COMMENT_ROWS.where(Comment.id == bindparam("comment_id"))

THREAD_COUNT = (
    select(func.count())
    .select_from(Comment)
    .where(Comment.board_id == Board.id, Comment.parent_id.is_(None))
    .scalar_subquery()
)
BOARD_THREADS = select(Board.id, THREAD_COUNT).where(Board.id == bindparam("board_id"))
TOP_LEVEL_PAGE = (
    COMMENT_ROWS.where(Comment.board_id == bindparam("board_id"), Comment.parent_id.is_(None))
    .order_by(Comment.id)
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
)
REPLIES_PAGE = (
    COMMENT_ROWS.where(Comment.parent_id == bindparam("parent_id"))
    .order_by(Comment.id)
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
)
PARENT_REPLY_COUNT = select(Comment.id, Comment.reply_count).where(Comment.id == bindparam("comment_id"))

_numbered = (
    select(
        *(column for column in FIELDS if column is not User.username),
        func.row_number().over(partition_by=Comment.parent_id, order_by=Comment.id).label("position"),
    )
    .where(Comment.parent_id.in_(bindparam("parent_ids", expanding=True)))
    .subquery("numbered")
)
FIRST_REPLIES = (
    select(*(User.username if column is User.username else _numbered.c[column.key] for column in FIELDS))
    .outerjoin(User, User.id == _numbered.c.author_id)
    .where(_numbered.c.position <= EMBEDDED_REPLIES)
    .order_by(_numbered.c.parent_id, _numbered.c.id)
)
# Each statement, and its twin with the reader's likes: (without a token, with one).
STATEMENTS = {
    name: (statement, marked(statement, comment_id))
    for name, statement, comment_id in (
        ("by_id", COMMENT_BY_ID, Comment.id),
        ("top_level", TOP_LEVEL_PAGE, Comment.id),
        ("replies", REPLIES_PAGE, Comment.id),
        ("first_replies", FIRST_REPLIES, _numbered.c.id),
    )
}


def _run(name: str, viewer: TokenUser | None, params: dict[str, Any]) -> Any:
    """Run a statement of STATEMENTS, with the viewer's likes when there is a viewer."""
    without, with_likes = STATEMENTS[name]
    if viewer is None:
        return connection().execute(without, params)
    return connection().execute(with_likes, {**params, "viewer": viewer.id})


def with_first_replies(rows: Sequence[Row[Any]], viewer: TokenUser | None) -> list[dict[str, Any]]:
    """Top-level comments as JSON, each with its first replies: one statement for all of them."""
    replies: dict[int, list[dict[str, Any]]] = {row.id: [] for row in rows}
    parent_ids = [row.id for row in rows if row.reply_count]
    if parent_ids:
        for reply in _run("first_replies", viewer, {"parent_ids": parent_ids}):
            replies[reply.parent_id].append(comment_json(*reply))
    return [comment_json(*row, replies=replies[row.id]) for row in rows]


def read_comment(comment_id: int, viewer: TokenUser | None = None) -> dict[str, Any] | None:
    """The comment's JSON body with its first replies (and the viewer's likes); None when gone."""
    row = _run("by_id", viewer, {"comment_id": comment_id}).one_or_none()
    return None if row is None else with_first_replies([row], viewer)[0]


def _page(
    name: str, viewer: TokenUser | None, params: dict[str, Any], total: int, pagination: Any
) -> list[Row[Any]]:
    """One page of a statement; a page past the end is empty without asking the database."""
    pagination.item_count = total
    offset = pagination.first_item
    if offset >= total:
        return []
    return list(_run(name, viewer, {**params, "limit": pagination.page_size, "offset": offset}))


def list_comments(board_id: int, pagination: Any, viewer: TokenUser | None = None) -> Response | None:
    """A page of a board's top-level comments, oldest first; None when there is no such board."""
    board = connection().execute(BOARD_THREADS, {"board_id": board_id}).one_or_none()
    if board is None:
        return None
    rows = _page("top_level", viewer, {"board_id": board_id}, board[1], pagination)
    return jsonify(with_first_replies(rows, viewer))


def list_replies(comment_id: int, pagination: Any, viewer: TokenUser | None = None) -> Response | None:
    """A page of a comment's replies, oldest first; None when there is no such comment."""
    parent = connection().execute(PARENT_REPLY_COUNT, {"comment_id": comment_id}).one_or_none()
    if parent is None:
        return None
    rows = _page("replies", viewer, {"parent_id": comment_id}, parent.reply_count, pagination)
    return jsonify([comment_json(*row) for row in rows])
