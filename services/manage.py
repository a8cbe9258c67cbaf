"""What the manage pages list: the dashboard's counts, and users and boards found by a search.

Reads only, for admins: every change the pages make goes through the services the API uses
(services/moderation.py, services/bans.py), so that a rule has one home.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Select, bindparam, func, or_, select

from db import connection, utcnow
from models import Board, Comment, ModerationCase, TokenUser, User
from models.user import is_banned
from services.access import require_admin
from services.pages import Page, PageRequest

DASHBOARD = select(
    select(func.count()).select_from(User).scalar_subquery().label("users"),
    select(func.count()).select_from(Board).scalar_subquery().label("boards"),
    select(func.count())
    .select_from(Comment)
    .where(Comment.deleted.is_(False))
    .scalar_subquery()
    .label("comments"),
    select(func.count())
    .select_from(ModerationCase)
    .where(ModerationCase.status == "open")
    .scalar_subquery()
    .label("open_cases"),
)
USER_ROWS = select(
    User.id, User.username, User.email, User.is_admin, User.created_at, User.ban_reason, User.banned_until
)
BOARD_ROWS = select(
    Board.id, Board.title, Board.author_id, User.username, Board.hidden, Board.comment_count, Board.created_at
).join(User, User.id == Board.author_id)
PATTERN = bindparam("pattern")
# (rows, what a search matches, order) of each list.
LISTS: dict[str, tuple[Select[Any], Any, tuple[Any, ...]]] = {
    "users": (
        USER_ROWS,
        or_(User.username_lower.like(PATTERN, escape="\\"), User.email.like(PATTERN, escape="\\")),
        (User.id.asc(),),
    ),
    "boards": (BOARD_ROWS, Board.title.ilike(PATTERN, escape="\\"), (Board.id.desc(),)),
}


@functools.cache
def _statements(name: str, searching: bool) -> tuple[Select[Any], Select[Any]]:
    """The count and the page of a list, with or without a search, built once."""
    rows, match, order = LISTS[name]
    if searching:
        rows = rows.where(match)
    count = select(func.count()).select_from(rows.subquery())
    return count, rows.order_by(*order).limit(bindparam("limit")).offset(bindparam("offset"))


def dashboard(viewer: TokenUser) -> dict[str, int]:
    """Users, boards (hidden ones too), visible comments, open cases."""
    require_admin(viewer)
    return dict(connection().execute(DASHBOARD).one()._mapping)


def find_users(viewer: TokenUser, query: str, page: PageRequest) -> Page:
    """Users whose name or email holds `query` (case-insensitively; all without one), by id."""
    require_admin(viewer)
    found = _page("users", query.lower(), page)
    now = utcnow()
    for user in found.items:
        user["banned"] = is_banned(user["ban_reason"], user["banned_until"], now)
    return found


def find_boards(viewer: TokenUser, query: str, page: PageRequest) -> Page:
    """Boards, hidden ones too, whose title holds `query` (case-insensitively), newest first."""
    require_admin(viewer)
    return _page("boards", query, page)


def _page(name: str, query: str, page: PageRequest) -> Page:
    count, rows = _statements(name, bool(query))
    params = {"pattern": f"%{escape_like(query)}%"} if query else {}
    conn = connection()
    total = conn.execute(count, params).scalar_one()
    if page.offset >= total:
        return Page([], total)
    found = conn.execute(rows, {**params, "limit": page.page_size, "offset": page.offset})
    return Page([dict(row._mapping) for row in found], total)


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
