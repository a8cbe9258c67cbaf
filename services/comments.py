"""Comments and their one level of replies: every rule and every statement.

- A reply points at a top-level comment of the same board (`parent_id`).
- Deleting a comment that has replies leaves a placeholder: `deleted`, its content and author
  wiped (nothing of what was deleted is kept); it vanishes with its last reply.
- The board's `comment_count` counts visible comments and replies; a comment's `reply_count`
  its replies (all visible: a reply has no replies, so it never becomes a placeholder).
- A comment's likes go with it: by the foreign key when it is deleted, explicitly when it
  becomes a placeholder (which cannot be liked, and shows `like_count` 0).

Reads run in a constant number of statements whatever the page and the threads. A page of
top-level comments is three: the board with its number of threads (not found and the total at
once), the page, and the first replies of every comment on the page in one window-function query
(`ROW_NUMBER() OVER (PARTITION BY parent_id ORDER BY id)`, SQLite ≥ 3.25 and MariaDB ≥ 10.2),
asked only when some comment of the page has replies. With a reader, every comment also says
whether they like it: a LEFT JOIN on comment_likes' primary key in the same statements.
Statements are Core, built once at import, run on the request's `connection()`; the JSON is built
by `schemas.comment.comment_json` from the rows' named columns.

Lock order for writes, so that concurrent writers on MariaDB wait for each other instead of
deadlocking: the board row first (every write of a comment moves its board's count), then the
comment, then its parent. Every decision that races (is the parent still there? does this
comment still have replies?) is the WHERE clause of the write itself, never a value read earlier
in Python.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    and_,
    bindparam,
    case,
    column,
    delete,
    false,
    func,
    insert,
    or_,
    select,
    table,
    true,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from db import UTCTimestampText, connection, utcnow
from errors import DEFAULT_MESSAGES
from models import Board, BoardAnonymousAuthor, Comment, CommentLike, Forum, TokenUser, User
from models.anonymous_author import WRITER_NUMBER
from models.counters import counter_update, move, move_many
from models.row_lock import lock_row
from schemas.comment import EMBEDDED_REPLIES, comment_json, written_json
from services import forums
from services.access import require_self_or_admin
from services.errors import Forbidden, Invalid, NotFound, Unauthorized
from services.hiding import (
    ADMIN,
    ANONYMOUS,
    USER,
    VIEWER_KINDS,
    board_visibility,
    can_see,
    comment_holders,
    comment_visibility,
    lock_item,
    set_hidden,
    viewer_kind,
)
from services.pages import Page, PageRequest

# A check of the request's If-Match against the written fields of the stored comment (their
# representation: schemas.comment.written_json); it refuses a stale one (412).
IfMatch = Callable[[dict[str, Any]], None]

# --- Reads -------------------------------------------------------------------------------------

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
    Comment.hidden,
    Comment.anonymous,
    Comment.author_number,
)
# LEFT JOIN: a placeholder has no author.
COMMENT_ROWS = select(*FIELDS).outerjoin(User, User.id == Comment.author_id)


def marked(rows: Select[Any], comment_id: Any) -> Select[Any]:
    """`rows` with the reader's like (bind parameter `viewer`) of the comment `comment_id` as one
    more column, `liked`: a primary-key lookup per row, in the same statement."""
    mine = and_(CommentLike.comment_id == comment_id, CommentLike.user_id == bindparam("viewer"))
    return rows.add_columns(CommentLike.user_id.is_not(None).label("liked")).outerjoin(CommentLike, mine)


# With what holds the comment (its board, its parent): hidden, they hide it (services/hiding.py).
_parent = aliased(Comment, name="parent")
COMMENT_BY_ID = (
    COMMENT_ROWS.add_columns(
        Board.author_id.label("board_author_id"),
        Board.hidden.label("board_hidden"),
        _parent.author_id.label("parent_author_id"),
        _parent.hidden.label("parent_hidden"),
    )
    .join(Board, Board.id == Comment.board_id)
    .outerjoin(_parent, _parent.id == Comment.parent_id)
    .where(Comment.id == bindparam("comment_id"))
)


def _in_sight(kind: str, threads: bool = False) -> list[ColumnElement[bool]]:
    """What keeps comments in a list for a viewer of `kind`: not hidden from them, and, for
    threads, no placeholder whose replies are all hidden (an admin sees everything)."""
    visibility = comment_visibility(kind)
    if visibility is None:
        return []
    if threads:
        return [visibility, or_(Comment.deleted == false(), Comment.reply_count > 0)]
    return [visibility]


def _thread_count(kind: str) -> Any:
    return (
        select(func.count())
        .select_from(Comment)
        .where(Comment.board_id == Board.id, Comment.parent_id.is_(None), *_in_sight(kind, threads=True))
        .scalar_subquery()
    )


# The board (hidden from the viewer: not found) with its number of threads the viewer sees.
BOARD_THREADS = {
    kind: select(Board.id, Board.author_id, Board.hidden, _thread_count(kind).label("threads")).where(
        Board.id == bindparam("board_id")
    )
    for kind in VIEWER_KINDS
}


def _top_level_page(kind: str) -> Select[Any]:
    return (
        COMMENT_ROWS.where(
            Comment.board_id == bindparam("board_id"),
            Comment.parent_id.is_(None),
            *_in_sight(kind, threads=True),
        )
        .order_by(Comment.id)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )


def _replies_page(kind: str) -> Select[Any]:
    return (
        COMMENT_ROWS.where(Comment.parent_id == bindparam("parent_id"), *_in_sight(kind))
        .order_by(Comment.id)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )


# reply_count counts the replies everyone sees; the hidden ones a viewer sees come on top.
_hidden_reply = aliased(Comment, name="hidden_reply")
_HIDDEN_REPLIES = (
    select(func.count())
    .select_from(_hidden_reply)
    .where(_hidden_reply.parent_id == Comment.id, _hidden_reply.hidden.is_(True))
)
REPLY_TOTALS = {
    ANONYMOUS: Comment.reply_count,
    USER: Comment.reply_count
    + _HIDDEN_REPLIES.where(_hidden_reply.author_id == bindparam("viewer")).scalar_subquery(),
    ADMIN: Comment.reply_count + _HIDDEN_REPLIES.scalar_subquery(),
}
# The parent (with what hides it) and the number of its replies the viewer sees.
PARENT_REPLY_COUNT = {
    kind: select(
        Comment.id,
        Comment.author_id,
        Comment.hidden,
        total.label("replies"),
        Board.author_id.label("board_author_id"),
        Board.hidden.label("board_hidden"),
    )
    .join(Board, Board.id == Comment.board_id)
    .where(Comment.id == bindparam("comment_id"))
    for kind, total in REPLY_TOTALS.items()
}


def _first_replies(kind: str) -> tuple[Select[Any], Any]:
    """The first replies of several comments, numbered among those the viewer sees."""
    numbered = (
        select(
            *(column for column in FIELDS if column is not User.username),
            func.row_number().over(partition_by=Comment.parent_id, order_by=Comment.id).label("position"),
        )
        .where(Comment.parent_id.in_(bindparam("parent_ids", expanding=True)), *_in_sight(kind))
        .subquery("numbered")
    )
    statement = (
        select(*(User.username if column is User.username else numbered.c[column.key] for column in FIELDS))
        .outerjoin(User, User.id == numbered.c.author_id)
        .where(numbered.c.position <= EMBEDDED_REPLIES)
        .order_by(numbered.c.parent_id, numbered.c.id)
    )
    return statement, numbered.c.id


def _variants(kind: str) -> dict[str, Select[Any]]:
    """The read statements for a viewer of `kind`: with the reader's likes when there is one."""
    first_replies, reply_id = _first_replies(kind)
    statements = {
        "by_id": (COMMENT_BY_ID, Comment.id),
        "top_level": (_top_level_page(kind), Comment.id),
        "replies": (_replies_page(kind), Comment.id),
        "first_replies": (first_replies, reply_id),
    }
    if kind == ANONYMOUS:
        return {name: statement for name, (statement, _) in statements.items()}
    return {name: marked(statement, comment_id) for name, (statement, comment_id) in statements.items()}


# Built once: {kind of viewer: {name: statement}}.
STATEMENTS = {kind: _variants(kind) for kind in VIEWER_KINDS}


def _run(name: str, viewer: TokenUser | None, params: dict[str, Any]) -> Any:
    """Run a statement of STATEMENTS for this viewer (their likes, the hidden comments they see)."""
    statement = STATEMENTS[viewer_kind(viewer)][name]
    if viewer is None:
        return connection().execute(statement, params)
    return connection().execute(statement, {**params, "viewer": viewer.id})


def _reveal(viewer: TokenUser | None) -> bool:
    """Whether the viewer sees the authors of anonymous comments: admins alone."""
    return viewer is not None and viewer.is_admin


def _with_first_replies(rows: Sequence[Row[Any]], viewer: TokenUser | None) -> list[dict[str, Any]]:
    """Top-level comments as JSON, each with its first replies: one statement for all of them."""
    marked, reveal = viewer is not None, _reveal(viewer)
    replies: dict[int, list[dict[str, Any]]] = {row.id: [] for row in rows}
    # reply_count counts the replies everyone sees: an admin may see hidden ones beyond it.
    every = viewer is not None and viewer.is_admin
    parent_ids = [row.id for row in rows if row.reply_count or (every and row.parent_id is None)]
    if parent_ids:
        for reply in _run("first_replies", viewer, {"parent_ids": parent_ids}):
            replies[reply.parent_id].append(comment_json(reply._mapping, marked=marked, reveal=reveal))
    return [comment_json(row._mapping, replies[row.id], marked, reveal=reveal) for row in rows]


def read_comment(comment_id: int, viewer: TokenUser | None = None) -> dict[str, Any]:
    """The comment's JSON body with its first replies (and the viewer's likes)."""
    row = _run("by_id", viewer, {"comment_id": comment_id}).one_or_none()
    if row is None or not can_see(viewer, *_holders(row)):
        raise NotFound(f"Comment {comment_id} not found.")
    return _with_first_replies([row], viewer)[0]


def _holders(row: Row[Any]) -> list[tuple[int | None, bool]]:
    """(author_id, hidden) of a COMMENT_BY_ID row's comment, its board and its parent."""
    holders = [(row.author_id, bool(row.hidden)), (row.board_author_id, bool(row.board_hidden))]
    if row.parent_id is not None:
        holders.append((row.parent_author_id, bool(row.parent_hidden)))
    return holders


def _page_rows(
    name: str, viewer: TokenUser | None, params: dict[str, Any], total: int, page: PageRequest
) -> list[Row[Any]]:
    """One page of a statement; a page past the end is empty without asking the database (a huge
    page number must not reach SQL as an OFFSET it cannot hold)."""
    if page.offset >= total:
        return []
    return list(_run(name, viewer, {**params, "limit": page.page_size, "offset": page.offset}))


def list_comments(board_id: int, page: PageRequest, viewer: TokenUser | None = None) -> Page:
    """A page of a board's top-level comments, oldest first, each with its first replies."""
    params = {"board_id": board_id} if viewer is None else {"board_id": board_id, "viewer": viewer.id}
    board = connection().execute(BOARD_THREADS[viewer_kind(viewer)], params).one_or_none()
    if board is None or not can_see(viewer, (board.author_id, board.hidden)):
        raise NotFound(f"Board {board_id} not found.")
    rows = _page_rows("top_level", viewer, {"board_id": board_id}, board.threads, page)
    return Page(_with_first_replies(rows, viewer), board.threads)


def list_replies(comment_id: int, page: PageRequest, viewer: TokenUser | None = None) -> Page:
    """A page of a comment's replies, oldest first."""
    params = {"comment_id": comment_id} if viewer is None else {"comment_id": comment_id, "viewer": viewer.id}
    parent = connection().execute(PARENT_REPLY_COUNT[viewer_kind(viewer)], params).one_or_none()
    holders = (
        ()
        if parent is None
        else ((parent.author_id, parent.hidden), (parent.board_author_id, parent.board_hidden))
    )
    if parent is None or not can_see(viewer, *holders):
        raise NotFound(f"Comment {comment_id} not found.")
    rows = _page_rows("replies", viewer, {"parent_id": comment_id}, parent.replies, page)
    marked, reveal = viewer is not None, _reveal(viewer)
    body = [comment_json(row._mapping, marked=marked, reveal=reveal) for row in rows]
    return Page(body, parent.replies)


# --- Writes ------------------------------------------------------------------------------------

# A comment on a hidden board only by its author or an admin (who see it): per kind of writer.
ADD_TO_BOARD = {
    USER: counter_update(Board.comment_count, +1, board_visibility(USER)),  # type: ignore[arg-type]
    ADMIN: counter_update(Board.comment_count, +1),
}
REMOVE_FROM_BOARD = counter_update(Board.comment_count, -1)
# Checks the parent and counts the reply in one statement, under the parent's row lock: a parent
# deleted a moment earlier matches nothing, and one deleted a moment later sees this reply.
ADD_REPLY = counter_update(
    Comment.reply_count,
    +1,
    Comment.board_id == bindparam("on_board"),
    Comment.parent_id.is_(None),
    Comment.deleted == false(),
    Comment.hidden == false(),
)
REMOVE_REPLY = counter_update(Comment.reply_count, -1)
INSERT = insert(Comment)
# The forum policy of a new comment's board, and who wrote the board: read under the board's
# row lock (ADD_TO_BOARD), like everything below.
BOARD_POLICY = (
    select(Board.author_id, Forum.id.label("forum_id"), Forum.anonymous.label("policy"))
    .join(Forum, Forum.id == Board.forum_id)
    .where(Board.id == bindparam("board_id"))
)
# A commenter's number on a board: a locking read, so that it sees a number given by a request
# that committed after this one's snapshot (MariaDB's plain reads would not, and a second number
# would be handed out, refused by the primary key).
MY_NUMBER = (
    select(BoardAnonymousAuthor.number)
    .where(
        BoardAnonymousAuthor.board_id == bindparam("board_id"),
        BoardAnonymousAuthor.user_id == bindparam("user_id"),
    )
    .with_for_update()
)
NEXT_NUMBER = counter_update(Board.anonymous_commenter_count, +1)
LAST_NUMBER = select(Board.anonymous_commenter_count).where(Board.id == bindparam("board_id"))
INSERT_NUMBER = insert(BoardAnonymousAuthor)
USER_STILL_THERE = select(User.id).where(User.id == bindparam("user_id")).with_for_update(read=True)
PARENT = select(Comment.board_id, Comment.parent_id, Comment.deleted, Comment.hidden).where(
    Comment.id == bindparam("id")
)
# On a row the request has locked (models/row_lock.py): nobody else changes it meanwhile.
# (Bind names differ from column names: an UPDATE reserves those for its SET clause.)
_this = Comment.id == bindparam("target_id")
EDIT = (
    update(Comment)
    .where(_this)
    .values(content=bindparam("new_content"), updated_at=bindparam("now"), version=Comment.version + 1)
)
DELETE_IF_NO_REPLIES = delete(Comment).where(_this, Comment.reply_count == 0)
DELETE = delete(Comment).where(_this)
PLACEHOLDER = {
    "deleted": True,
    "content": "",
    "author_id": None,
    "like_count": 0,
    # A placeholder keeps nothing of its author, not even that it was anonymous or its number.
    "anonymous": False,
    "author_number": None,
    "version": Comment.version + 1,
}
# updated_at stays: a placeholder tells nobody when it was deleted.
MAKE_PLACEHOLDER = update(Comment).where(_this).values({**PLACEHOLDER, "updated_at": Comment.updated_at})
# models/mark.py holds the CommentLike model (and imports models/comment.py): its table by name here.
_likes = table("comment_likes", column("comment_id"))
DELETE_LIKES = delete(_likes).where(_likes.c.comment_id == bindparam("target_id"))
DELETE_EMPTY_PLACEHOLDER = delete(Comment).where(
    Comment.id == bindparam("target_id"), Comment.deleted == true(), Comment.reply_count == 0
)
# What a write of a comment reads of it, locked (models/row_lock.py).
LOCKED_COLUMNS = ("board_id", "parent_id", "author_id", "content", "updated_at", "deleted", "hidden")


def create_comment(
    board_id: int, author: TokenUser, content: str, parent_id: int | None, anonymous: bool = False
) -> dict[str, Any]:
    """Comment on a board (a reply when `parent_id` is given) and move the counts, anonymous as
    the board's forum allows or demands; its JSON body as the commenter sees it (their name
    hidden on an anonymous comment, but from an admin)."""
    if not move(ADD_TO_BOARD[ADMIN if author.is_admin else USER], board_id, viewer=author.id):
        raise NotFound(f"Board {board_id} not found.")
    if parent_id is not None and not move(ADD_REPLY, parent_id, on_board=board_id):
        why = _parent_problem(board_id, parent_id)
        raise Invalid(DEFAULT_MESSAGES[422], errors={"json": {"parent_id": [why]}})
    conn = connection()
    board = conn.execute(BOARD_POLICY, {"board_id": board_id}).one()
    anonymous = forums.anonymity(board.policy, anonymous, board.forum_id, "comments")
    number = None
    if anonymous:
        number = WRITER_NUMBER if author.id == board.author_id else _number_of(board_id, author.id)
    now = utcnow()
    values = {"board_id": board_id, "parent_id": parent_id, "author_id": author.id, "content": content}
    values |= {"created_at": now, "updated_at": now, "version": 1, "deleted": False}
    values |= {"like_count": 0, "reply_count": 0, "anonymous": anonymous, "author_number": number}
    values |= {"hidden": False}
    try:
        comment_id = conn.execute(INSERT, values).inserted_primary_key[0]
    except IntegrityError:
        # The board and the parent are locked by the counter updates: only the author can have
        # gone (deleted by an admin) between the token check and the insert.
        raise Unauthorized("The user of this token no longer exists.", error="user_not_found") from None
    body = {**values, "id": comment_id, "username": author.username}
    return comment_json(body, reveal=author.is_admin)


def _number_of(board_id: int, user_id: int) -> int:
    """The user's number among the board's anonymous commenters: the one they were given, or the
    next one. Run under the board's row lock, which every comment write takes first and holds to
    the end: two first comments on one board are numbered one after the other."""
    conn = connection()
    ids = {"board_id": board_id, "user_id": user_id}
    number = conn.execute(MY_NUMBER, ids).scalar()
    if number is not None:
        return number  # type: ignore[no-any-return]
    move(NEXT_NUMBER, board_id)
    number = conn.execute(LAST_NUMBER, ids).scalar_one()
    try:
        conn.execute(INSERT_NUMBER, {**ids, "number": number})
    except IntegrityError:
        # The user's foreign key: deleted since the token was checked. Anything else (a number
        # given twice) is a bug that must not pass for a missing user: it stays an error.
        if conn.execute(USER_STILL_THERE, ids).first() is not None:
            raise
        raise Unauthorized("The user of this token no longer exists.", error="user_not_found") from None
    return number  # type: ignore[no-any-return]


def _parent_problem(board_id: int, parent_id: int) -> str:
    """Why this comment cannot be replied to (read after the guarded update refused it)."""
    row = connection().execute(PARENT, {"id": parent_id}).first()
    if row is None:
        return f"Comment {parent_id} does not exist."
    if row.board_id != board_id:
        return f"Comment {parent_id} is on another board."
    if row.parent_id is not None:
        return f"Comment {parent_id} is a reply: reply to its top-level comment {row.parent_id}."
    if row.hidden:  # out of the counts: nobody replies to it (to anyone else it does not exist)
        return f"Comment {parent_id} does not exist."
    return f"Comment {parent_id} has been deleted."


def _check_author(comment_id: int, comment: Any, editor: TokenUser) -> None:
    """Not found for a comment that does not exist or is a placeholder (nothing left to change),
    forbidden for anyone but its author and admins."""
    if comment is None or comment.deleted:
        raise NotFound(f"Comment {comment_id} not found.")
    if editor.id != comment.author_id and not editor.is_admin:
        raise Forbidden("Only the owner or an admin may do this.")


def _check_if_match(comment: Row[Any], if_match: IfMatch) -> None:
    """A stale If-Match is refused, checked on the locked row that is then written."""
    if_match(written_json(comment.content, comment.updated_at, comment.deleted))


def edit_comment(comment_id: int, editor: TokenUser, content: str, if_match: IfMatch) -> dict[str, Any]:
    """Change a comment's content (its author or an admin); its JSON body as the editor reads it."""
    comment = lock_row(Comment.__table__, comment_id, *LOCKED_COLUMNS)
    # Hidden from the editor (the comment, its board or its parent): not found, like a stranger's.
    if (comment is not None and not can_see(editor, (comment.author_id, comment.hidden))) or (
        comment is not None and not editor.is_admin and not can_see(editor, *comment_holders(comment_id))
    ):
        comment = None
    _check_author(comment_id, comment, editor)
    _check_if_match(comment, if_match)  # type: ignore[arg-type]
    if content != comment.content:  # type: ignore[union-attr]
        connection().execute(EDIT, {"target_id": comment_id, "new_content": content, "now": utcnow()})
        return read_comment(comment_id, editor)  # as this transaction wrote it
    # Nothing written: the locked row's fields, not the plain read's (on MariaDB it may see the
    # transaction's snapshot, older than the row the lock read), as boards do.
    return read_comment(comment_id, editor) | written_json(
        comment.content, comment.updated_at, comment.deleted
    )  # type: ignore[union-attr]


def delete_comment(comment_id: int, editor: TokenUser, if_match: IfMatch) -> None:
    """Delete a comment (its author or an admin): it disappears, or stays as a placeholder while
    it has replies; a reply takes its parent placeholder along when it was the last one. A hidden
    comment is restored first (services/hiding.py), so that the delete moves the counts of a
    visible one, and a reply under a hidden parent, which its board does not count, leaves the
    board's count alone."""
    # The board, then the comment, locked and read as they now are (lock order).
    item = lock_item("comment", comment_id)
    if item is None or item.deleted or not item.visible_to(editor):
        raise NotFound(f"Comment {comment_id} not found.")
    require_self_or_admin(editor, item.author_id)  # type: ignore[arg-type]
    if_match(written_json(item.content, item.updated_at, item.deleted))  # type: ignore[arg-type]
    if item.hidden:
        set_hidden(item, False)
    if item.parent_id is None or not item.parent_hidden:
        move(REMOVE_FROM_BOARD, item.board_id)
    this = {"target_id": comment_id}
    conn = connection()
    if item.parent_id is not None:
        conn.execute(DELETE, this)
        move(REMOVE_REPLY, item.parent_id)
        conn.execute(DELETE_EMPTY_PLACEHOLDER, {"target_id": item.parent_id})
        return
    if conn.execute(DELETE_IF_NO_REPLIES, this).rowcount:
        return  # its likes (and its hidden replies, which nothing counts) went by ON DELETE CASCADE
    conn.execute(MAKE_PLACEHOLDER, this)
    # After the UPDATE, which holds the row: a like that committed before it is deleted here,
    # and one that comes later finds a placeholder (not found).
    conn.execute(DELETE_LIKES, this)


# A user's comments, for the user's deletion (bind parameter `user_id`).
_theirs = Comment.author_id == bindparam("user_id")
_their_boards = select(Board.id).where(Board.author_id == bindparam("user_id"))
LOCK_BOARDS_OF_USER = (
    select(Board.id)
    .where(Board.id.in_(select(Comment.board_id).where(_theirs)) | Board.id.in_(_their_boards))
    .with_for_update()
)
DELETE_ON_THEIR_BOARDS = delete(Comment).where(Comment.board_id.in_(_their_boards))
# Their hidden comments, threads before replies: restored first, one by one (they are few).
THEIR_HIDDEN = (
    select(Comment.id)
    .where(_theirs, Comment.hidden.is_(True))
    .order_by(case((Comment.parent_id.is_(None), 0), else_=1), Comment.id)
)
# With the parent's hidden: a reply under a hidden parent is not in its board's count.
LOCK_THEIR_COMMENTS = (
    select(Comment.id, Comment.board_id, Comment.parent_id, _parent.hidden.label("parent_hidden"))
    .outerjoin(_parent, _parent.id == Comment.parent_id)
    .where(_theirs)
    .with_for_update()
)
DELETE_THEIR_LIKED = delete(_likes).where(_likes.c.comment_id.in_(select(Comment.id).where(_theirs)))
DELETE_THEIRS_WITHOUT_REPLIES = delete(Comment).where(
    _theirs, Comment.parent_id.is_not(None) | (Comment.reply_count == 0)
)
MAKE_THEIRS_PLACEHOLDERS = (
    update(Comment).where(_theirs).values({**PLACEHOLDER, "updated_at": Comment.updated_at})
)
DELETE_EMPTIED_PLACEHOLDERS = delete(Comment).where(
    Comment.id.in_(bindparam("parent_ids", expanding=True)),
    Comment.deleted == true(),
    Comment.reply_count == 0,
)


def delete_comments_of_user(user_id: int) -> None:
    """Before a user goes: the comments on their boards go with the boards, and their other
    comments go as if deleted one by one (placeholders where others replied), in a constant
    number of statements however many there are."""
    conn = connection()
    user = {"user_id": user_id}
    # Lock order (boards first), on MariaDB; SQLite has one writer at a time anyway.
    conn.execute(LOCK_BOARDS_OF_USER, user)
    # A write first: on SQLite it starts the transaction, so that the reads below are current.
    conn.execute(DELETE_ON_THEIR_BOARDS, user)
    for row in conn.execute(THEIR_HIDDEN, user).all():
        set_hidden(lock_item("comment", row.id), False)  # type: ignore[arg-type]
    mine = conn.execute(LOCK_THEIR_COMMENTS, user).all()
    if not mine:
        return
    per_board: dict[int, int] = {}
    per_parent: dict[int, int] = {}
    for row in mine:
        if row.parent_id is None or not row.parent_hidden:
            per_board[row.board_id] = per_board.get(row.board_id, 0) - 1
        if row.parent_id is not None:
            per_parent[row.parent_id] = per_parent.get(row.parent_id, 0) - 1
    move_many(Comment.reply_count, per_parent)
    move_many(Board.comment_count, per_board)
    # The likes of all of them: those about to be deleted would go by the foreign key too, the
    # placeholders' would not (and, once placeholders, they no longer name their author).
    conn.execute(DELETE_THEIR_LIKED, user)
    # Their replies, and their comments left without replies, disappear; the rest become placeholders.
    conn.execute(DELETE_THEIRS_WITHOUT_REPLIES, user)
    conn.execute(MAKE_THEIRS_PLACEHOLDERS, user)
    if per_parent:
        conn.execute(DELETE_EMPTIED_PLACEHOLDERS, {"parent_ids": sorted(per_parent)})
