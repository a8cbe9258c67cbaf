"""Forums and pins: every rule and statement of them.

- Everyone reads forums; only admins create, change and delete them.
- A name is unique whatever its case: the unique index on `name_lower` decides, also between
  racing requests (a clash is a 409, the insert or update undone alone by a savepoint).
- A forum is deleted only when it holds no board (`board_count`, and the hidden boards it leaves
  out, are checked in the DELETE's own WHERE, under the row lock a board's insert and a hide also
  take), and General never: every board that
  names no forum goes there.
- A pin is one row per user and forum: pinning twice inserts nothing, unpinning what is not
  pinned deletes nothing; both answer the state as it now is. Pins are private: only the
  user's own list shows them.

Statements are built once: module constants, or a cached builder where the statement depends
on which filter or fields a request uses.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Integer, Select, Update, bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from db import UTCDateTime, UTCTimestampText, connection, savepoint, utcnow
from errors import DEFAULT_MESSAGES
from models import Board, Forum, ForumPin, TokenUser
from models.forum import GENERAL_FORUM_ID
from schemas.timestamps import iso
from services import audit as audit_log
from services.errors import Conflict, Forbidden, Invalid, NotFound
from services.pages import Page, PageRequest

FORUM_COLUMNS = (
    Forum.id,
    Forum.name,
    Forum.category,
    Forum.description,
    Forum.anonymous,
    Forum.board_count,
    UTCTimestampText.of(Forum.created_at),  # the JSON's text, as lists send items unserialized
)
FORUM_BY_ID = select(*FORUM_COLUMNS).where(Forum.id == bindparam("forum_id"))
# Hidden boards are out of board_count (services/hiding.py) but still in the forum.
_HIDDEN_BOARDS = (
    select(func.count()).select_from(Board).where(Board.forum_id == Forum.id, Board.hidden.is_(True))
)
BOARD_COUNT = select(Forum.board_count + _HIDDEN_BOARDS.scalar_subquery()).where(
    Forum.id == bindparam("forum_id")
)
INSERT_FORUM = insert(Forum)
# RETURNING (SQLite 3.35, MariaDB 10.5): the name for the audit log, without a read before.
DELETE_EMPTY_FORUM = (
    delete(Forum)
    .where(
        Forum.id == bindparam("forum_id"),
        Forum.board_count == 0,
        ~select(Board.id).where(Board.forum_id == Forum.id, Board.hidden.is_(True)).exists(),
    )
    .returning(Forum.name)
)
# Inserts nothing for a forum that does not exist (the SELECT finds no row) or a pin that does
# (IGNORE: the primary key turns the row away without an error).
PIN = (
    insert(ForumPin)
    .from_select(
        ["user_id", "forum_id", "created_at"],
        select(
            bindparam("user_id", type_=Integer()), Forum.id, bindparam("pinned_at", type_=UTCDateTime())
        ).where(Forum.id == bindparam("forum_id")),
    )
    .prefix_with("OR IGNORE", dialect="sqlite")
    .prefix_with("IGNORE", dialect="mysql")
    .prefix_with("IGNORE", dialect="mariadb")
)
UNPIN = delete(ForumPin).where(
    ForumPin.user_id == bindparam("user_id"), ForumPin.forum_id == bindparam("forum_id")
)
FORUM_EXISTS = select(Forum.id).where(Forum.id == bindparam("forum_id"))
MY_PINS = (
    select(*FORUM_COLUMNS)
    .join(ForumPin, ForumPin.forum_id == Forum.id)
    .where(ForumPin.user_id == bindparam("user_id"))
    .order_by(ForumPin.created_at.desc(), ForumPin.forum_id.desc())
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
)
COUNT_MY_PINS = select(func.count()).select_from(ForumPin).where(ForumPin.user_id == bindparam("user_id"))

ADMINS_ONLY = "Only admins may create, change or delete forums."


def audit(actor: TokenUser, action: str, forum_id: int, detail: dict[str, Any]) -> None:
    """Write an admin's write of a forum to the audit log (services/audit.py), once the write has
    succeeded, in the same unit of work (`action`: create_forum, update_forum, delete_forum;
    `detail`: the name, or the changed fields, written as `field: value` sentences)."""
    summary = "; ".join(f"{field}: {value}" for field, value in detail.items())
    audit_log.record(actor.id, action, audit_log.Target("forum", forum_id), summary)


def anonymity(policy: str, asked: bool, forum_id: int, what: str) -> bool:
    """Whether a new board or comment (`what`: "boards", "comments") in a forum whose policy is
    `policy` is anonymous: as asked where it is `optional`, always where it is `always`; asking
    for it where it is `never` is refused (422 on `anonymous`)."""
    if policy == "always":
        return True
    if asked and policy == "never":
        message = f"Forum {forum_id} does not allow anonymous {what}."
        raise Invalid(DEFAULT_MESSAGES[422], errors={"json": {"anonymous": [message]}})
    return asked


@functools.cache
def _list_statements(in_category: bool) -> tuple[Select[Any], Select[Any]]:
    """The page and its count: every forum in name order (case aside), or one category's."""
    page = select(*FORUM_COLUMNS).order_by(Forum.name_lower, Forum.id)
    count = select(func.count()).select_from(Forum)
    if in_category:
        page = page.where(Forum.category == bindparam("category"))
        count = count.where(Forum.category == bindparam("category"))
    return page.limit(bindparam("limit")).offset(bindparam("offset")), count


@functools.cache
def _update_statement(fields: frozenset[str]) -> Update:
    """`UPDATE forums SET <fields>` of one forum (bind names differ from the columns': an UPDATE
    reserves those for its SET clause)."""
    values = {name: bindparam(f"new_{name}") for name in sorted(fields)}
    return update(Forum).where(Forum.id == bindparam("target_id")).values(values)


def list_forums(category: str | None, wanted: PageRequest) -> Page:
    """A page of forums in name order, of one category when given."""
    page_statement, count_statement = _list_statements(category is not None)
    params = {} if category is None else {"category": category.lower()}
    return _page(page_statement, count_statement, params, wanted)


def get_forum(forum_id: int) -> dict[str, Any]:
    row = connection().execute(FORUM_BY_ID, {"forum_id": forum_id}).one_or_none()
    if row is None:
        raise NotFound(f"Forum {forum_id} not found.")
    return dict(row._mapping)


def create_forum(actor: TokenUser, fields: dict[str, Any]) -> dict[str, Any]:
    """A new forum (admins only) from validated fields: name, category, description, anonymous."""
    _require_admin(actor)
    values = {**_normalised(fields), "board_count": 0, "created_at": utcnow()}
    with _unique_name(fields["name"]):
        forum_id = connection().execute(INSERT_FORUM, values).inserted_primary_key[0]
    audit(actor, "create_forum", forum_id, {"name": fields["name"]})
    forum = {"id": forum_id, **{column.key: values[column.key] for column in FORUM_COLUMNS[1:]}}
    return forum | {"created_at": iso(values["created_at"])}


def update_forum(actor: TokenUser, forum_id: int, fields: dict[str, Any]) -> dict[str, Any]:
    """Change some fields of a forum (admins only); the forum as it now is."""
    _require_admin(actor)
    if fields:
        changes = _normalised(fields)
        params = {f"new_{name}": value for name, value in changes.items()}
        with _unique_name(fields.get("name", "")):
            result = connection().execute(
                _update_statement(frozenset(changes)), {**params, "target_id": forum_id}
            )
        if result.rowcount == 0:
            raise NotFound(f"Forum {forum_id} not found.")
        audit(actor, "update_forum", forum_id, dict(fields))
    return get_forum(forum_id)


def delete_forum(actor: TokenUser, forum_id: int) -> None:
    """Delete a forum that holds no board (admins only); its pins go with it."""
    _require_admin(actor)
    if forum_id == GENERAL_FORUM_ID:
        raise Conflict(
            "General is where boards go when they name no forum: it cannot be deleted.",
            error="forum_is_default",
        )
    conn = connection()
    deleted = conn.execute(DELETE_EMPTY_FORUM, {"forum_id": forum_id}).first()
    if deleted is not None:
        audit(actor, "delete_forum", forum_id, {"name": deleted.name})
        return
    boards = conn.execute(BOARD_COUNT, {"forum_id": forum_id}).scalar()
    if boards is None:
        raise NotFound(f"Forum {forum_id} not found.")
    plural = "" if boards == 1 else "s"
    message = f"Forum {forum_id} still has {boards} board{plural}: delete them first."
    raise Conflict(message, error="forum_not_empty")


def pin_forum(user: TokenUser, forum_id: int) -> dict[str, bool]:
    """Pin a forum for the user (idempotent: a second pin keeps the first one's place)."""
    conn = connection()
    params = {"user_id": user.id, "forum_id": forum_id, "pinned_at": utcnow()}
    if not conn.execute(PIN, params).rowcount:
        _require_forum(forum_id)
    return {"pinned": True}


def unpin_forum(user: TokenUser, forum_id: int) -> dict[str, bool]:
    """Unpin a forum for the user (idempotent)."""
    conn = connection()
    if not conn.execute(UNPIN, {"user_id": user.id, "forum_id": forum_id}).rowcount:
        _require_forum(forum_id)
    return {"pinned": False}


def list_pinned(user: TokenUser, wanted: PageRequest) -> Page:
    """A page of the user's pinned forums, most recently pinned first."""
    return _page(MY_PINS, COUNT_MY_PINS, {"user_id": user.id}, wanted)


def _page(
    page_statement: Select[Any], count_statement: Select[Any], params: dict[str, Any], wanted: PageRequest
) -> Page:
    """A count, then the page: a page past the end costs the count alone (a huge page number
    never reaches SQL as an OFFSET it cannot hold)."""
    conn = connection()
    total = conn.execute(count_statement, params).scalar_one()
    if wanted.offset >= total:
        return Page([], total)
    rows = conn.execute(page_statement, {**params, "limit": wanted.page_size, "offset": wanted.offset})
    return Page([dict(row._mapping) for row in rows], total)


def _normalised(fields: dict[str, Any]) -> dict[str, Any]:
    """The fields as stored: the category lower-cased, the name with its lower-cased copy."""
    stored = dict(fields)
    if "category" in stored:
        stored["category"] = stored["category"].lower()
    if "name" in stored:
        stored["name_lower"] = stored["name"].lower()
    return stored


def _require_admin(actor: TokenUser) -> None:
    if not actor.is_admin:
        raise Forbidden(ADMINS_ONLY)


def _require_forum(forum_id: int) -> None:
    if connection().execute(FORUM_EXISTS, {"forum_id": forum_id}).first() is None:
        raise NotFound(f"Forum {forum_id} not found.")


@contextmanager
def _unique_name(name: str) -> Iterator[None]:
    """Run a write that may clash on the unique name in a savepoint; a clash is a 409."""
    try:
        with savepoint():
            yield
    except IntegrityError:
        raise Conflict(f"A forum named {name!r} already exists.", error="forum_name_taken") from None
