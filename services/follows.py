"""Follows: follow and unfollow, followers and following, and the counts they move.

`users.follower_count` and `users.following_count` move in the transaction that inserts or deletes
the follow, by atomic `UPDATE … SET n = n ± 1` (models/counters.py), and only when the row really
went in or out: the unique pair decides between racing requests, so a duplicate follow or an
unfollow that deletes nothing moves no count.

Lock order (MariaDB/InnoDB): every write first locks the users rows whose counts it may move, in
ascending id order (`SELECT … FOR UPDATE`). Without it, the foreign-key checks of INSERT take shared
locks on both users rows, and requests upgrading them to the counter's exclusive lock deadlock
(the three race tests of tests/test_follows.py met deadlocks on MariaDB, each a 503). SQLite
serialises writers and ignores FOR UPDATE.

The answer's count is read under that lock: a plain read on MariaDB would still see the snapshot
of the request's first read, from before another request's follow was committed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, bindparam, delete, exists, insert, select
from sqlalchemy.exc import IntegrityError

from db import connection, utcnow
from models import Follow, User
from models.counters import counter_moves, counter_update, move
from models.user import PUBLIC_COLUMNS
from schemas.follow import follow_state_json
from schemas.user import public_user_json
from services.errors import Invalid, NotFound, Unauthorized
from services.pages import Page, PageRequest

FOLLOW_SELF = "You cannot follow yourself."
USER_GONE = "The user of this token no longer exists."


def _pair() -> ColumnElement[bool]:
    return (Follow.follower_id == bindparam("follower_id")) & (Follow.followee_id == bindparam("followee_id"))


# Built once, with bind parameters: building a statement costs more than running it.
LOCK_USERS = (
    select(User.id).where(User.id.in_(bindparam("ids", expanding=True))).order_by(User.id).with_for_update()
)
# A repeated follow inserts nothing (rowcount 0) instead of failing: an ordinary answer.
INSERT_FOLLOW = (
    insert(Follow)
    .values(
        follower_id=bindparam("follower_id"), followee_id=bindparam("followee_id"), created_at=bindparam("at")
    )
    .prefix_with("OR IGNORE", dialect="sqlite")
    .prefix_with("IGNORE", dialect="mysql")
    .prefix_with("IGNORE", dialect="mariadb")
)
DELETE_FOLLOW = delete(Follow).where(_pair())
FOLLOWER_COUNT = select(User.follower_count).where(User.id == bindparam("followee_id")).with_for_update()
FOLLOWERS_UP = counter_update(User.follower_count, +1)
FOLLOWERS_DOWN = counter_update(User.follower_count, -1)
FOLLOWING_UP = counter_update(User.following_count, +1)
FOLLOWING_DOWN = counter_update(User.following_count, -1)
# Whether `follower_id` follows the users row of the statement it is put in (a profile's).
FOLLOWS_USER = exists().where(Follow.follower_id == bindparam("follower_id"), Follow.followee_id == User.id)
FOLLOWEES_OF = select(Follow.followee_id).where(Follow.follower_id == bindparam("user_id"))
FOLLOWERS_OF = select(Follow.follower_id).where(Follow.followee_id == bindparam("user_id"))
FOLLOWS_TOUCHING = FOLLOWEES_OF.union(FOLLOWERS_OF)
FOLLOWS_OF_USER = delete(Follow).where(
    (Follow.follower_id == bindparam("user_id")) | (Follow.followee_id == bindparam("user_id"))
)
FOLLOWEES_LOSE_A_FOLLOWER = counter_moves(User.follower_count, -1).where(User.id.in_(FOLLOWEES_OF))
FOLLOWERS_LOSE_A_FOLLOWEE = counter_moves(User.following_count, -1).where(User.id.in_(FOLLOWERS_OF))


def _page_of(listed: Any, anchor: Any) -> Select[Any]:
    """Public profiles of the users on one side of a user's follows, most recent follow first."""
    return (
        select(*PUBLIC_COLUMNS)
        .join(Follow, listed == User.id)
        .where(anchor == bindparam("user_id"))
        .order_by(Follow.id.desc())
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )


FOLLOWER_TOTAL = select(User.follower_count).where(User.id == bindparam("user_id"))
FOLLOWING_TOTAL = select(User.following_count).where(User.id == bindparam("user_id"))
FOLLOWERS_PAGE = _page_of(Follow.follower_id, Follow.followee_id)
FOLLOWING_PAGE = _page_of(Follow.followee_id, Follow.follower_id)


def user_not_found(user_id: int) -> NotFound:
    return NotFound(f"User {user_id} not found.")


def _other_user(viewer_id: int, user_id: int) -> None:
    if viewer_id == user_id:
        raise Invalid(FOLLOW_SELF, error="cannot_follow_self", errors={"path": {"user_id": [FOLLOW_SELF]}})


def _lock_users(conn: Connection, ids: Iterable[int]) -> set[int]:
    """Lock these users' rows in ascending id order (chunks keep the order and the bind-parameter
    limits of SQLite); returns the ids that exist."""
    ordered = sorted(set(ids))
    found: set[int] = set()
    for start in range(0, len(ordered), 1000):
        found.update(conn.execute(LOCK_USERS, {"ids": ordered[start : start + 1000]}).scalars())
    return found


def _lock_both(conn: Connection, viewer_id: int, user_id: int) -> None:
    """Lock the follower and the followee, refusing when either is gone."""
    found = _lock_users(conn, (viewer_id, user_id))
    if user_id not in found:
        raise user_not_found(user_id)
    if viewer_id not in found:  # the caller's account was deleted since its token was checked
        raise Unauthorized(USER_GONE, error="user_not_found")


def _move_counts(follower_id: int, followee_id: int, followers: Any, following: Any) -> None:
    move(followers, followee_id)
    move(following, follower_id)


def _state(conn: Connection, user_id: int, *, followed: bool) -> dict[str, Any]:
    count = conn.execute(FOLLOWER_COUNT, {"followee_id": user_id}).scalar_one()
    return follow_state_json(followed=followed, follower_count=count)


def follow(viewer_id: int, user_id: int) -> dict[str, Any]:
    """Follow a user (idempotent): whether the caller now follows them (yes) and their count."""
    _other_user(viewer_id, user_id)
    conn = connection()
    _lock_both(conn, viewer_id, user_id)
    params = {"follower_id": viewer_id, "followee_id": user_id, "at": utcnow()}
    try:
        inserted = conn.execute(INSERT_FOLLOW, params).rowcount
    except IntegrityError:
        # SQLite, which locked nothing above (and ignores only the pair's conflict): one of the
        # two users went meanwhile. Asked again inside this write, the answer is current.
        _lock_both(conn, viewer_id, user_id)
        raise
    if inserted:
        _move_counts(viewer_id, user_id, FOLLOWERS_UP, FOLLOWING_UP)
    return _state(conn, user_id, followed=True)


def unfollow(viewer_id: int, user_id: int) -> dict[str, Any]:
    """Stop following a user (idempotent): whether the caller now follows them (no) and their count."""
    _other_user(viewer_id, user_id)
    conn = connection()
    _lock_both(conn, viewer_id, user_id)
    if conn.execute(DELETE_FOLLOW, {"follower_id": viewer_id, "followee_id": user_id}).rowcount:
        _move_counts(viewer_id, user_id, FOLLOWERS_DOWN, FOLLOWING_DOWN)
    return _state(conn, user_id, followed=False)


def followers(user_id: int, page: PageRequest) -> Page:
    """A user's followers, most recent follow first."""
    return _page(FOLLOWER_TOTAL, FOLLOWERS_PAGE, user_id, page)


def following(user_id: int, page: PageRequest) -> Page:
    """The users a user follows, most recent follow first."""
    return _page(FOLLOWING_TOTAL, FOLLOWING_PAGE, user_id, page)


def _page(total_statement: Select[Any], page_statement: Select[Any], user_id: int, page: PageRequest) -> Page:
    """Two statements: the user's counter (the total, and the 404 check), then the page."""
    conn = connection()
    total = conn.execute(total_statement, {"user_id": user_id}).scalar_one_or_none()
    if total is None:
        raise user_not_found(user_id)
    if page.offset >= total:  # a huge page number never reaches SQL as an OFFSET
        return Page([], total)
    params = {"user_id": user_id, "limit": page.page_size, "offset": page.offset}
    return Page([public_user_json(row) for row in conn.execute(page_statement, params)], total)


def delete_follows_of_user(user_id: int) -> None:
    """A user's follows in both directions go, and the others' counts move with them (before the
    user row goes). Five statements, and one more per 1,000 users beyond the first 1,000 it
    follows or is followed by (the locks go in chunks)."""
    conn = connection()
    params = {"user_id": user_id}
    others = conn.execute(FOLLOWS_TOUCHING, params).scalars().all()
    # Every follow that touches this user needs its row locked too: once locked, the set is fixed.
    _lock_users(conn, (user_id, *others))
    # The set-based statements below read the follows again, under the locks: exact whatever ran
    # between the read above and the locks.
    conn.execute(FOLLOWEES_LOSE_A_FOLLOWER, params)
    conn.execute(FOLLOWERS_LOSE_A_FOLLOWEE, params)
    conn.execute(FOLLOWS_OF_USER, params)
