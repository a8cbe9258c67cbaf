"""The hot paths of /boards (read one, list, create), built for speed.

Profiling showed these requests spending most of their time outside SQL: building statements,
loading or flushing ORM objects and dumping them with marshmallow. So they run Core statements
built once (per combination of filters) on plain columns, and turn rows into JSON with
`schemas.board.board_json`, the same shape as BoardSchema (a test keeps them equal).
Changes of existing boards keep the ORM: they need its version check (If-Match races).

GET /boards pages two ways (README, "Paging deep"):
- offset pages (`page`, CONTRACT §5): the total comes from the trigger-kept `table_counts` row
  when unfiltered, else from COUNT(*) over the filters (an index range for `author_id`);
- keyset pages (`before=<id>`): `id < before`, newest first, no total, so the cost is the same at
  any depth. Every page that has a next one names it in X-Pagination's `next_before`.
`sort=top` orders by (like_count, id), read backwards off its index; it pages by number only.

With a token, every read also says whether the reader likes and scrapped each board: two LEFT
JOINs on the mark tables' primary keys, in the same statement (no query more, whatever the page).

GET /boards/feed is the same list with the filter `followed_by` (boards whose author the given
user follows), so that it has the board shape of GET /boards by construction. Its total, the sum
of the followees' `users.board_count`, comes first on every feed page: it also decides how the
page is found (docs/follows-and-feed.md, measured on SQLite and MariaDB):
- a large feed walks the boards newest first by primary key and keeps those of followees,
  starting at the newest followee's board (so that a burst of boards by others on top of the
  table is not crossed on every page). Left
  to themselves, both planners read the whole feed through the author index and sort it (8 ms
  on SQLite, 4 s on MariaDB at 1,000,000 boards, against 0.2 ms): an IN over `author_id + 0`,
  which no index serves, keeps SQLite off it, and FORCE INDEX (PRIMARY) MariaDB;
- a small feed reads its boards through `ix_boards_author_id_id` and sorts them: the walk by
  primary key would cross most of the table to find them (see walks_by_id).
"""

from __future__ import annotations

import functools
from typing import Any

from flask import Response, jsonify
from flask_smorest import abort
from sqlalchemy import BigInteger, Select, and_, bindparam, cast, func, insert, select
from sqlalchemy.exc import IntegrityError

from db import UTCTimestampText, connection, rollback, utcnow
from models import Board, BoardLike, BoardScrap, Follow, TableCount, TokenUser, User
from schemas.board import board_json
from services import search

BOARD_ROWS = select(
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
).join(User, User.id == Board.author_id)
# The reader's marks (bind parameter `viewer`): each a primary-key lookup per row of the page.
MARKS = (BoardLike.user_id.is_not(None), BoardScrap.user_id.is_not(None))
MY_LIKE = and_(BoardLike.board_id == Board.id, BoardLike.user_id == bindparam("viewer"))
MY_SCRAP = and_(BoardScrap.board_id == Board.id, BoardScrap.user_id == bindparam("viewer"))
BOARD_ROWS_MARKED = (
    BOARD_ROWS.add_columns(*MARKS).outerjoin(BoardLike, MY_LIKE).outerjoin(BoardScrap, MY_SCRAP)
)
BOARD_BY_ID = BOARD_ROWS.where(Board.id == bindparam("board_id"))
BOARD_BY_ID_MARKED = BOARD_ROWS_MARKED.where(Board.id == bindparam("board_id"))
INSERT_BOARD = insert(Board)
COUNT_ALL = select(func.count()).select_from(Board)
FILTERS = ("author_id", "q", "before", "followed_by")
ORDERS = {"new": (Board.id.desc(),), "top": (Board.like_count.desc(), Board.id.desc())}
# The authors a user follows (the IN measured against a join: docs/follows-and-feed.md).
FOLLOWEES = select(Follow.followee_id).where(Follow.follower_id == bindparam("follower_id"))
# CAST: MySQL's SUM of integers is a DECIMAL, which X-Pagination's JSON cannot hold.
BOARDS_IN_TABLE = select(TableCount.row_count).where(TableCount.table_name == Board.__tablename__)
# The newest board of any followee: a walk by primary key starts there (one index seek per
# followee on ix_boards_author_id_id), not at the newest board of all, which may sit above
# thousands of boards by people the reader does not follow.
NEWEST_OF_FOLLOWEE = (
    select(func.max(Board.id))
    .where(Board.author_id == Follow.followee_id)
    .correlate(Follow)
    .scalar_subquery()
)
FEED_TOTAL = (
    select(
        cast(func.coalesce(func.sum(User.board_count), 0), BigInteger),
        BOARDS_IN_TABLE.scalar_subquery(),
        func.max(NEWEST_OF_FOLLOWEE),
    )
    .select_from(Follow)
    .join(User, User.id == Follow.followee_id)
    .where(Follow.follower_id == bindparam("follower_id"))
)


def create_board(author: TokenUser, title: str, content: str) -> dict[str, Any]:
    """Insert a board (the caller commits); returns its JSON body."""
    now = utcnow()
    values = {"title": title, "content": content, "author_id": author.id}
    values |= {
        "created_at": now,
        "updated_at": now,
        "version": 1,
        "comment_count": 0,
        "like_count": 0,
        "scrap_count": 0,
    }
    try:
        board_id = connection().execute(INSERT_BOARD, values).inserted_primary_key[0]
    except IntegrityError:
        # Only the author can be missing: deleted (by an admin, or another of their sessions)
        # between the token check and the insert.
        rollback()
        abort(401, message="The user of this token no longer exists.", error="user_not_found")
    return board_json(board_id, title, content, author.id, author.username, now, now, 0, 0, 0)


def read_board(board_id: int, viewer: TokenUser | None = None) -> dict[str, Any] | None:
    """The board's JSON body, with the viewer's marks when there is one; None when it is gone."""
    params = {"board_id": board_id}
    if viewer is not None:
        params["viewer"] = viewer.id
    statement = BOARD_BY_ID if viewer is None else BOARD_BY_ID_MARKED
    row = connection().execute(statement, params).one_or_none()
    return None if row is None else board_json(*row)


@functools.cache
def _statements(
    filters: frozenset[str], sort: str, marked: bool, search_shape: tuple[str, int, int] | None = None
) -> tuple[Select[Any], Select[Any]]:
    """The page query and the count query for a set of filters, an order, whether the reader's
    marks come along and the shape of the search terms (services/search.py), built once."""
    conditions = []
    if "author_id" in filters:
        conditions.append(Board.author_id == bindparam("author_id"))
    if "before" in filters:
        conditions.append(Board.id < bindparam("before"))
    if "followed_by" in filters:
        author = Board.author_id + 0 if "dense" in filters else Board.author_id
        conditions.append(author.in_(FOLLOWEES))
    if "dense" in filters:
        conditions.append(Board.id <= bindparam("newest"))
    rows = BOARD_ROWS_MARKED if marked else BOARD_ROWS
    order = ORDERS.get(sort, ORDERS["new"])
    if search_shape is not None:
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
        count = FEED_TOTAL  # list_boards runs it first, for every feed page
    elif search_shape is not None:
        index_count = None if conditions else search.count(search_shape)
        count = (
            index_count
            if index_count is not None
            else search.restrict(COUNT_ALL, search_shape).where(*conditions)
        )
    elif conditions:
        count = COUNT_ALL.where(*conditions)
    else:
        count = BOARDS_IN_TABLE
    return page, count


def list_boards(args: dict[str, Any], pagination: Any, viewer: TokenUser | None = None) -> Response:
    """One page of boards as a JSON response; fills in `pagination` for the X-Pagination header."""
    sort = args.get("sort", "new")
    filters = frozenset(name for name in FILTERS if name in args)
    params: dict[str, Any] = {} if viewer is None else {"viewer": viewer.id}
    if "author_id" in args:
        params["author_id"] = args["author_id"]
    conn = connection()
    search_shape = None
    if "q" in args:
        terms = search.prepare(args["q"], conn.dialect.name)
        search_shape = terms.shape
        params |= terms.params
    if "followed_by" in args:
        params["follower_id"] = args["followed_by"]
    size = pagination.page_size
    known_total = None
    if "followed_by" in args:
        known_total, table, newest = conn.execute(FEED_TOTAL, params).one()
        reach = size if "before" in args else pagination.first_item + size
        if walks_by_id(known_total, table or 0, reach):
            filters |= {"dense"}
            params["newest"] = newest
    page_stmt, count_stmt = _statements(filters, sort, viewer is not None, search_shape)

    if "before" in args:
        if pagination.page != 1:
            abort(422, errors={"query": {"before": ["Use either before or page, not both."]}})
        # One row more than the page tells whether a next page exists.
        keyset_params = {**params, "before": args["before"], "limit": size + 1, "offset": 0}
        rows = conn.execute(page_stmt, keyset_params).all()
        # A keyset page has no total; flask-smorest only insists that the count is set.
        pagination.item_count = len(rows)
        pagination.keyset = {"page_size": size}
        if len(rows) > size:
            rows = rows[:size]
            pagination.keyset["next_before"] = rows[-1].id
    else:
        total = known_total if known_total is not None else conn.execute(count_stmt, params).scalar()
        if total is None:
            # The counter row is gone (a table emptied by hand, say): count the slow, exact way.
            total = conn.execute(COUNT_ALL).scalar_one()
        pagination.item_count = total
        offset = pagination.first_item
        rows = []
        # A page past the end is empty without asking: a huge page number must not reach SQL.
        if offset < total:
            rows = conn.execute(page_stmt, {**params, "limit": size, "offset": offset}).all()
        if rows and offset + len(rows) < total and sort == "new":
            pagination.next_before = rows[-1].id
    return jsonify([board_json(*row) for row in rows])


# GET /users/me/scraps: the reader's scraps, most recently scrapped first.
MY_SCRAPS = (
    BOARD_ROWS.add_columns(*MARKS)
    .join(BoardScrap, MY_SCRAP)
    .outerjoin(BoardLike, MY_LIKE)
    .order_by(BoardScrap.created_at.desc(), BoardScrap.board_id.desc())
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
)
COUNT_MY_SCRAPS = (
    select(func.count()).select_from(BoardScrap).where(BoardScrap.user_id == bindparam("viewer"))
)


def list_scraps(viewer: TokenUser, pagination: Any) -> Response:
    """One page of the viewer's scraps as a JSON response (a count, then the page)."""
    conn = connection()
    total = conn.execute(COUNT_MY_SCRAPS, {"viewer": viewer.id}).scalar_one()
    pagination.item_count = total
    offset = pagination.first_item
    rows = []
    if offset < total:
        params = {"viewer": viewer.id, "limit": pagination.page_size, "offset": offset}
        rows = conn.execute(MY_SCRAPS, params).all()
    return jsonify([board_json(*row) for row in rows])


def walks_by_id(feed: int, table: int, reach: int) -> bool:
    """Whether a feed page is cheaper found by walking all boards newest first than through the
    author index. The walk reads about `reach * table / feed` boards to find `reach` of the feed's
    (the share of the feed among all boards); the author index reads the whole feed and sorts it."""
    return reach * table < feed * feed
