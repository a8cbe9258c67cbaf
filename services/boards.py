"""Boards: create, read, list (GET /boards and the feed), edit and delete, every rule and statement.

These are hot paths: profiling showed them spending most of their time outside SQL, building
statements, loading ORM objects and dumping them with marshmallow. So they run Core statements
built once (per set of filters) on plain columns, and build the JSON with `schemas.board.board_json`
from named columns (a test holds it equal to BoardSchema's dump).

GET /boards pages two ways (docs/api.md):
- offset pages: the total comes from the trigger-kept `table_counts` row when unfiltered, else
  from COUNT(*) over the filters (an index range for `author_id`);
- keyset pages (`before=<id>`): `id < before`, newest first, no total, the same cost at any depth.
  Every page that has a next one names it in `next_before`.
`sort=top` orders by (like_count, id), read backwards off its index; it pages by number only.

With a reader, every read also says whether they like and scrapped each board: two LEFT JOINs on
the mark tables' primary keys, in the same statement.

The feed is the same list with the filter `followed_by`, so it has the board shape by construction.
Its total, the sum of the followees' `users.board_count`, comes first on every feed page and decides
how the page is found (docs/follows-and-feed.md has the measurements):
- a large feed walks the boards newest first by primary key, keeping those of followees, from the
  newest followee's board down. Left to themselves both planners read the whole feed through the
  author index and sort it: an IN over `author_id + 0`, which no index serves, keeps SQLite off it,
  and FORCE INDEX (PRIMARY) MariaDB;
- a small feed reads its boards through `ix_boards_author_id_id` and sorts them: a walk by primary
  key would cross most of the table to find them (see walks_by_id).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    Update,
    and_,
    bindparam,
    cast,
    delete,
    false,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from db import UTCTimestampText, connection, utcnow
from models import Board, BoardLike, BoardScrap, Follow, Forum, TableCount, TokenUser, User
from models.forum import GENERAL_FORUM_ID
from models.row_lock import lock_row
from schemas.board import board_json, board_rows_json, written_json
from services import forums, search
from services.errors import Forbidden, Invalid, NotFound, Unauthorized
from services.hiding import ADMIN, ANONYMOUS, USER, board_visibility, can_see, viewer_kind
from services.pages import Page, PageRequest

BOARD_ROWS = (
    select(
        Board.id,
        Board.title,
        Board.content,
        Board.author_id,
        User.username,
        UTCTimestampText.of(Board.created_at),  # the JSON's text: no datetime made and formatted
        UTCTimestampText.of(Board.updated_at),
        Board.comment_count,
        Board.like_count,
        Board.scrap_count,
        Board.forum_id,
        Forum.name.label("forum_name"),
        Board.anonymous,
        Board.hidden,
    )
    .join(User, User.id == Board.author_id)
    .join(Forum, Forum.id == Board.forum_id)
)
# The reader's marks (bind parameter `viewer`): each a primary-key lookup per row of the page;
# and whether the reader wrote the board, from the stored author (the body may hide it).
MARKS = (
    BoardLike.user_id.is_not(None).label("liked"),
    BoardScrap.user_id.is_not(None).label("scrapped"),
    (Board.author_id == bindparam("viewer")).label("is_mine"),
)
MY_LIKE = and_(BoardLike.board_id == Board.id, BoardLike.user_id == bindparam("viewer"))
MY_SCRAP = and_(BoardScrap.board_id == Board.id, BoardScrap.user_id == bindparam("viewer"))
BOARD_ROWS_MARKED = (
    BOARD_ROWS.add_columns(*MARKS).outerjoin(BoardLike, MY_LIKE).outerjoin(BoardScrap, MY_SCRAP)
)
# Rows of these statements as JSON bodies, each field found by its name once.
ROW_JSON = board_rows_json(BOARD_ROWS.selected_columns.keys(), marked=False)
MARKED_ROW_JSON = board_rows_json(BOARD_ROWS_MARKED.selected_columns.keys(), marked=True)
BOARD_BY_ID = BOARD_ROWS.where(Board.id == bindparam("board_id"))
BOARD_BY_ID_MARKED = BOARD_ROWS_MARKED.where(Board.id == bindparam("board_id"))
INSERT_BOARD = insert(Board)
# The forum of a new board: a plain read. The insert's triggers lock the author's row, then the
# forum's; locking the forum here first would take the two in the other order.
FORUM_OF_NEW_BOARD = select(Forum.id, Forum.name, Forum.anonymous).where(Forum.id == bindparam("forum_id"))
# After a failed insert: a locking read sees whether the forum is still there (a plain one would
# read the request's snapshot on MariaDB, taken before the forum went).
FORUM_STILL_THERE = select(Forum.id).where(Forum.id == bindparam("forum_id")).with_for_update(read=True)
# A forum's list: its trigger-kept count is the total, and no row means no forum (404). It counts
# the visible boards; the hidden ones a viewer sees come on top, as on the unfiltered list.
FORUM_TOTAL = select(Forum.board_count).where(Forum.id == bindparam("forum_id"))
_HIDDEN_IN_FORUM = (
    select(func.count())
    .select_from(Board)
    .where(Board.hidden.is_(True), Board.forum_id == bindparam("forum_id"))
)
FORUM_TOTALS = {
    ANONYMOUS: FORUM_TOTAL,
    USER: FORUM_TOTAL.with_only_columns(
        Forum.board_count + _HIDDEN_IN_FORUM.where(Board.author_id == bindparam("viewer")).scalar_subquery()
    ),
    ADMIN: FORUM_TOTAL.with_only_columns(Forum.board_count + _HIDDEN_IN_FORUM.scalar_subquery()),
}
COUNT_ALL = select(func.count()).select_from(Board)
ORDERS = {"new": (Board.id.desc(),), "top": (Board.like_count.desc(), Board.id.desc())}
# The authors a user follows (the IN measured against a join: docs/follows-and-feed.md).
FOLLOWEES = select(Follow.followee_id).where(Follow.follower_id == bindparam("follower_id"))
BOARDS_IN_TABLE = select(TableCount.row_count).where(TableCount.table_name == Board.__tablename__)
# table_counts counts visible boards: the hidden ones that a viewer sees come on top (the index
# on (hidden, author_id) holds them: a range of the few hidden rows).
HIDDEN_BOARDS = select(func.count()).select_from(Board).where(Board.hidden.is_(True))
UNFILTERED_TOTALS = {
    ANONYMOUS: BOARDS_IN_TABLE,
    USER: select(
        BOARDS_IN_TABLE.scalar_subquery()
        + HIDDEN_BOARDS.where(Board.author_id == bindparam("viewer")).scalar_subquery()
    ),
    ADMIN: select(BOARDS_IN_TABLE.scalar_subquery() + HIDDEN_BOARDS.scalar_subquery()),
}
# The newest board of any followee: a walk by primary key starts there (one index seek per
# followee on ix_boards_author_id_id), not at the newest board of all, which may sit above
# thousands of boards by people the reader does not follow.
NEWEST_OF_FOLLOWEE = (
    select(func.max(Board.id))
    .where(Board.author_id == Follow.followee_id, Board.anonymous == false())
    .correlate(Follow)
    .scalar_subquery()
)
FEED_TOTAL = (
    select(
        # CAST: MySQL's SUM of integers is a DECIMAL, which X-Pagination's JSON cannot hold.
        cast(func.coalesce(func.sum(User.board_count), 0), BigInteger),
        BOARDS_IN_TABLE.scalar_subquery(),
        func.max(NEWEST_OF_FOLLOWEE),
    )
    .select_from(Follow)
    .join(User, User.id == Follow.followee_id)
    .where(Follow.follower_id == bindparam("follower_id"))
)
# users.board_count counts visible boards; an admin's feed also lists the followees' hidden ones
# (not the anonymous ones, which no feed lists).
FEED_TOTAL_ADMIN = FEED_TOTAL.with_only_columns(
    FEED_TOTAL.selected_columns[0]
    + HIDDEN_BOARDS.where(Board.author_id.in_(FOLLOWEES), Board.anonymous == false()).scalar_subquery(),
    *list(FEED_TOTAL.selected_columns)[1:],
)

# Writes of an existing board, on a row the request has locked (models/row_lock.py): no version
# condition is needed, nobody else can change the row before the transaction ends.
LOCKED_COLUMNS = ("author_id", "title", "content", "updated_at", "hidden")
DELETE_BOARD = delete(Board).where(Board.id == bindparam("board_id"))

BEFORE_WITH_PAGE = "Use either before or page, not both."
VALIDATION_FAILED = "The request failed validation; see 'errors' for details."


def create_board(
    author: TokenUser, title: str, content: str, forum_id: int = GENERAL_FORUM_ID, anonymous: bool = False
) -> dict[str, Any]:
    """Insert a board in a forum, anonymous as the forum's policy allows or demands; its JSON body
    as its author sees it (the author hidden on an anonymous board, but from an admin)."""
    conn = connection()
    forum = conn.execute(FORUM_OF_NEW_BOARD, {"forum_id": forum_id}).one_or_none()
    if forum is None:
        raise _forum_not_found(forum_id)
    anonymous = forums.anonymity(forum.anonymous, anonymous, forum_id, "boards")
    now = utcnow()
    values = {"title": title, "content": content, "author_id": author.id}
    values |= {"forum_id": forum_id, "anonymous": anonymous}
    values |= {
        "created_at": now,
        "updated_at": now,
        "version": 1,
        "comment_count": 0,
        "like_count": 0,
        "scrap_count": 0,
        "hidden": False,
    }
    try:
        board_id = conn.execute(INSERT_BOARD, values).inserted_primary_key[0]
    except IntegrityError:
        # A foreign key: the forum was deleted since it was read, or the author (by an admin, or
        # another of their sessions) since the token was checked.
        if conn.execute(FORUM_STILL_THERE, {"forum_id": forum_id}).first() is None:
            raise _forum_not_found(forum_id) from None
        raise Unauthorized("The user of this token no longer exists.", error="user_not_found") from None
    values |= {"id": board_id, "username": author.username, "forum_name": forum.name}
    return board_json(values, reveal=author.is_admin) | {"is_mine": True}


def _forum_not_found(forum_id: int) -> Invalid:
    return Invalid(VALIDATION_FAILED, errors={"json": {"forum_id": [f"Forum {forum_id} not found."]}})


def read_board(board_id: int, viewer: TokenUser | None = None) -> dict[str, Any]:
    """The board's JSON body, with the viewer's marks when there is one (and its author, on an
    anonymous board, when the viewer is an admin)."""
    params = {"board_id": board_id}
    if viewer is not None:
        params["viewer"] = viewer.id
    statement = BOARD_BY_ID if viewer is None else BOARD_BY_ID_MARKED
    row = connection().execute(statement, params).one_or_none()
    if row is None or not can_see(viewer, (row.author_id, row.hidden)):
        raise NotFound(f"Board {board_id} not found.")
    if viewer is None:
        return ROW_JSON((row,))[0]
    return MARKED_ROW_JSON((row,), viewer.is_admin)[0]


def list_boards(args: dict[str, Any], page: PageRequest, viewer: TokenUser | None = None) -> Page:
    """One page of boards: `args` holds the filters (`author_id`, `forum_id`, `q`) and `sort`."""
    return _page(args, page, viewer)


def feed(reader: TokenUser, page: PageRequest) -> Page:
    """One page of the boards of the users `reader` follows, newest first."""
    return _page({"followed_by": reader.id}, page, reader)


def _filter_params(
    args: dict[str, Any], dialect: str, viewer: TokenUser | None
) -> tuple[set[str], dict[str, Any], tuple[str, int, int] | None]:
    """The filters a list request asks for, their bind parameters, and the shape of the search
    terms (services/search.py) when there is a `q`; `_conditions` turns the names into the WHERE.

    `public`: named boards only. A list by author, read by anyone but that author (admins
    included), and the feed leave anonymous boards out: listed under a name, a masked board
    would still say whose it is."""
    filters: set[str] = set()
    params: dict[str, Any] = {}
    search_shape = None
    if "author_id" in args:
        filters.add("author_id")
        params["author_id"] = args["author_id"]
        if viewer is None or viewer.id != args["author_id"]:
            filters.add("public")
    if "forum_id" in args:
        filters.add("forum_id")
        params["forum_id"] = args["forum_id"]
    if "q" in args:
        terms = search.prepare(args["q"], dialect)
        search_shape = terms.shape
        params |= terms.params
    if "followed_by" in args:
        filters |= {"followed_by", "public"}
        params["follower_id"] = args["followed_by"]
    return filters, params, search_shape


def _conditions(filters: frozenset[str]) -> list[ColumnElement[bool]]:
    """The WHERE of a list for a set of filters (see `_filter_params` for their parameters)."""
    conditions: list[ColumnElement[bool]] = []
    if "author_id" in filters:
        conditions.append(Board.author_id == bindparam("author_id"))
    if "forum_id" in filters:
        conditions.append(Board.forum_id == bindparam("forum_id"))
    if "public" in filters:
        conditions.append(Board.anonymous == false())
    if "before" in filters:
        conditions.append(Board.id < bindparam("before"))
    if "followed_by" in filters:
        author = Board.author_id + 0 if "dense" in filters else Board.author_id
        conditions.append(author.in_(FOLLOWEES))
    if "dense" in filters:
        conditions.append(Board.id <= bindparam("newest"))
    return conditions


@functools.cache
def _statements(
    filters: frozenset[str], sort: str, viewer: str, search_shape: tuple[str, int, int] | None = None
) -> tuple[Select[Any], Any]:
    """The page query and the count query for a set of filters, an order, the kind of viewer
    (services/hiding.py: who sees hidden boards; the marks come along with a token) and the
    shape of the search terms (services/search.py), built once."""
    filtered = _conditions(filters)
    visibility = board_visibility(viewer)
    conditions = filtered if visibility is None else [*filtered, visibility]
    rows = BOARD_ROWS if viewer == "anonymous" else BOARD_ROWS_MARKED
    order = ORDERS.get(sort, ORDERS["new"])
    if search_shape is not None:
        # The full-text index narrows the boards (and, newest first, may lead the walk).
        drive = sort == "new" and "author_id" not in filters and search.drives(search_shape)
        rows = search.restrict(rows, search_shape, drive=drive, before="before" in filters)
        if drive:
            order = search.NEWEST_FIRST
        elif sort == "relevance":
            order = (search.title_first(search_shape), Board.id.desc())
    page = rows.where(*conditions).order_by(*order).limit(bindparam("limit")).offset(bindparam("offset"))
    if "dense" in filters:
        for dialect in ("mysql", "mariadb"):
            page = page.with_hint(Board, "FORCE INDEX (PRIMARY)", dialect)
    if "followed_by" in filters:
        count = FEED_TOTAL  # _page runs it first, for every feed page
    elif filters == {"forum_id"} and search_shape is None:
        count = FORUM_TOTALS[viewer]  # None: no such forum
    elif search_shape is not None:
        index_count = None if conditions else search.count(search_shape)
        count = (
            index_count
            if index_count is not None
            else search.restrict(COUNT_ALL, search_shape).where(*conditions)
        )
    elif filtered:
        count = COUNT_ALL.where(*conditions)
    else:
        count = UNFILTERED_TOTALS[viewer]
    return page, count


def _page(args: dict[str, Any], request: PageRequest, viewer: TokenUser | None) -> Page:
    if request.before is not None and request.page != 1:
        raise Invalid(VALIDATION_FAILED, errors={"query": {"before": [BEFORE_WITH_PAGE]}})
    sort = args.get("sort", "new")
    conn = connection()
    filters, params, search_shape = _filter_params(args, conn.dialect.name, viewer)
    if viewer is not None:
        params["viewer"] = viewer.id
    size = request.page_size
    kind = viewer_kind(viewer)
    known_total = None
    if "followed_by" in filters:
        feed_total = FEED_TOTAL_ADMIN if kind == ADMIN else FEED_TOTAL
        known_total, table, newest = conn.execute(feed_total, params).one()
        reach = size if request.before is not None else request.offset + size
        if walks_by_id(known_total, table or 0, reach):
            filters.add("dense")
            params["newest"] = newest
    if request.before is not None:
        filters.add("before")
    marked = viewer is not None
    rows_json = MARKED_ROW_JSON if marked else ROW_JSON
    reveal = marked and viewer.is_admin  # type: ignore[union-attr]
    page_stmt, count_stmt = _statements(frozenset(filters), sort, kind, search_shape)
    # A forum's list answers 404 for a forum that is not there: its count says so when it is the
    # total, or a statement of its own asks.
    # (A keyset page has no count: its filters, with `before`, never make FORUM_TOTAL the count.)
    forum_checked_alone = "forum_id" in filters and count_stmt is not FORUM_TOTALS[kind]
    if forum_checked_alone and conn.execute(FORUM_TOTAL, params).scalar() is None:
        raise NotFound(f"Forum {params['forum_id']} not found.")

    if request.before is not None:
        # One row more than the page tells whether a next page exists.
        keyset_params = {**params, "before": request.before, "limit": size + 1, "offset": 0}
        rows = conn.execute(page_stmt, keyset_params).all()
        next_before = None
        if len(rows) > size:
            rows = rows[:size]
            next_before = rows[-1].id
        return Page(rows_json(rows, reveal), None, next_before)
    total = known_total if known_total is not None else conn.execute(count_stmt, params).scalar()
    if total is None and count_stmt is FORUM_TOTALS[kind]:
        raise NotFound(f"Forum {params['forum_id']} not found.")
    if total is None:
        # The counter row is gone (a table emptied by hand, say): count the slow, exact way.
        visibility = board_visibility(kind)
        count_all = COUNT_ALL if visibility is None else COUNT_ALL.where(visibility)
        total = conn.execute(count_all, params).scalar_one()
    offset = request.offset
    rows = []
    # A page past the end is empty without asking: a huge page number must not reach SQL.
    if offset < total:
        rows = conn.execute(page_stmt, {**params, "limit": size, "offset": offset}).all()
    next_before = None
    if rows and offset + len(rows) < total and sort == "new":
        next_before = rows[-1].id
    return Page(rows_json(rows, reveal), total, next_before)


def walks_by_id(feed: int, table: int, reach: int) -> bool:
    """Whether a feed page is cheaper found by walking all boards newest first than through the
    author index. The walk reads about `reach * table / feed` boards to find `reach` of the feed's
    (the share of the feed among all boards); the author index reads the whole feed and sorts it."""
    return reach * table < feed * feed


# A check of the request's If-Match against the written fields of the stored board (their
# representation: schemas.board.written_json); it raises PreconditionFailed when stale.
IfMatch = Callable[[dict[str, Any]], None]


def update_board(board_id: int, editor: TokenUser, data: dict[str, Any], if_match: IfMatch) -> dict[str, Any]:
    """Change the board's title and/or content (its author or an admin); its JSON body after."""
    board = _writable_board(board_id, editor, if_match)
    # Only what differs: a write that changes nothing is no edit, and leaves updated_at alone.
    changes = {field: value for field, value in data.items() if getattr(board, field) != value}
    conn = connection()
    if changes:
        params = {**changes, "board_id": board_id, "now": utcnow()}
        conn.execute(_edit(frozenset(changes)), params)
    # The row as this transaction wrote it, as the editor sees it: without marks, like the write's
    # answer always was, and with `is_mine`.
    row = conn.execute(BOARD_BY_ID, {"board_id": board_id}).one()
    body = ROW_JSON((row,), editor.is_admin)[0] | {"is_mine": row.author_id == editor.id}
    if not changes:
        # Nothing written: on MariaDB that plain read sees the transaction's snapshot, which may
        # be older than the row the lock read (another edit committed in between); the locked
        # row's fields are the board as it now is.
        body |= written_json(board.title, board.content, board.updated_at)
    return body


def delete_board(board_id: int, editor: TokenUser, if_match: IfMatch) -> None:
    """Delete the board (its author or an admin): its comments, likes and scraps go by ON DELETE
    CASCADE (replies included: nothing outside them counts them), and the triggers move the counts."""
    _writable_board(board_id, editor, if_match)
    connection().execute(DELETE_BOARD, {"board_id": board_id})


def _writable_board(board_id: int, editor: TokenUser, if_match: IfMatch) -> Any:
    """The board, locked for this request's write (models/row_lock.py), after the checks: not
    found, forbidden for anyone but its author and admins, a stale If-Match."""
    board = lock_row(Board.__table__, board_id, *LOCKED_COLUMNS)
    if board is None or not can_see(editor, (board.author_id, board.hidden)):
        raise NotFound(f"Board {board_id} not found.")
    if editor.id != board.author_id and not editor.is_admin:
        raise Forbidden("Only the owner or an admin may do this.")
    if_match(written_json(board.title, board.content, board.updated_at))
    return board


@functools.cache
def _edit(fields: frozenset[str]) -> Update:
    values = {name: bindparam(name) for name in fields}
    values |= {"updated_at": bindparam("now"), "version": Board.version + 1}
    return update(Board).where(Board.id == bindparam("board_id")).values(values)
