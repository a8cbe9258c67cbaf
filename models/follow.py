"""Follows between users, and the counts they move (CONTRACT §9).

`users.follower_count` and `users.following_count` move in the transaction that inserts or deletes
the follow, by atomic `UPDATE … SET n = n ± 1`, and only when the row really went in or out: the
unique pair decides between racing requests, so a duplicate follow or an unfollow that deletes
nothing moves no count.

Lock order (MariaDB/InnoDB): every write first locks the users rows whose counts it may move, in
ascending id order (`SELECT … FOR UPDATE`). Without it, the foreign-key checks of INSERT take shared
locks on both users rows, and requests upgrading them to the counter's exclusive lock deadlock
(measured: without the lock, the three race tests of tests/test_follows.py met 26 deadlocks on
MariaDB, each a 503). SQLite serialises writers and ignores FOR UPDATE.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    ForeignKey,
    Index,
    UniqueConstraint,
    bindparam,
    delete,
    exists,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from db import UTCDateTime, connection, db, rollback, utcnow
from models.user import User


class Follow(db.Model):
    __tablename__ = "follows"
    # Most recent first is ORDER BY id DESC (ids only grow); each direction has its index, which
    # also serves the foreign keys. The unique pair covers "whom does X follow" for the feed.
    __table_args__ = (
        UniqueConstraint("follower_id", "followee_id"),
        Index("ix_follows_follower_id_id", "follower_id", "id"),
        Index("ix_follows_followee_id_id", "followee_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    follower_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    followee_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<Follow {self.follower_id} -> {self.followee_id}>"


@dataclass(frozen=True, slots=True)
class FollowState:
    followed: bool
    follower_count: int


def _pair() -> ColumnElement[bool]:
    return (Follow.follower_id == bindparam("follower_id")) & (Follow.followee_id == bindparam("followee_id"))


# Built once, with bind parameters: building a statement costs more than running it.
LOCK_USERS = (
    select(User.id).where(User.id.in_(bindparam("ids", expanding=True))).order_by(User.id).with_for_update()
)
INSERT_FOLLOW = insert(Follow)
DELETE_FOLLOW = delete(Follow).where(_pair())
STATE = select(User.follower_count, exists().where(_pair().self_group()).label("followed")).where(
    User.id == bindparam("followee_id")
)
IS_FOLLOWING = select(exists().where(_pair()))
FOLLOWEES_OF = select(Follow.followee_id).where(Follow.follower_id == bindparam("user_id"))
FOLLOWERS_OF = select(Follow.follower_id).where(Follow.followee_id == bindparam("user_id"))


def _lock_users(conn: Connection, ids: Iterable[int]) -> set[int]:
    """Lock these users' rows in ascending id order (chunks keep the order and the bind-parameter
    limits of SQLite); returns the ids that exist."""
    ordered = sorted(set(ids))
    found: set[int] = set()
    for start in range(0, len(ordered), 1000):
        found.update(conn.execute(LOCK_USERS, {"ids": ordered[start : start + 1000]}).scalars())
    return found


def _move_counts(conn: Connection, follower_id: int, followee_id: int, step: int) -> None:
    conn.execute(update(User).where(User.id == followee_id).values(follower_count=User.follower_count + step))
    conn.execute(
        update(User).where(User.id == follower_id).values(following_count=User.following_count + step)
    )


def follow_state(follower_id: int, followee_id: int) -> FollowState | None:
    """Whether `follower_id` follows `followee_id`, and the followee's count; None: no such user."""
    params = {"follower_id": follower_id, "followee_id": followee_id}
    row = connection().execute(STATE, params).one_or_none()
    return None if row is None else FollowState(bool(row.followed), row.follower_count)


def is_following(follower_id: int, followee_id: int) -> bool:
    params = {"follower_id": follower_id, "followee_id": followee_id}
    return bool(connection().execute(IS_FOLLOWING, params).scalar())


def follow(follower_id: int, followee_id: int) -> FollowState | None:
    """Follow (idempotent); None when the followee does not exist. The caller commits."""
    conn = connection()
    if followee_id not in _lock_users(conn, (follower_id, followee_id)):
        return None
    try:
        conn.execute(
            INSERT_FOLLOW, {"follower_id": follower_id, "followee_id": followee_id, "created_at": utcnow()}
        )
    except IntegrityError:
        # The pair exists (another request may have just made it): nothing moves. The rollback
        # also ends the snapshot of MariaDB's plain reads (see unfollow). On SQLite, which locks
        # nothing above, the followee may also have gone: follow_state says so.
        rollback()
    else:
        _move_counts(conn, follower_id, followee_id, +1)
    return follow_state(follower_id, followee_id)


def unfollow(follower_id: int, followee_id: int) -> FollowState | None:
    """Unfollow (idempotent); None when the followee does not exist. The caller commits."""
    conn = connection()
    if followee_id not in _lock_users(conn, (follower_id, followee_id)):
        return None
    params = {"follower_id": follower_id, "followee_id": followee_id}
    if conn.execute(DELETE_FOLLOW, params).rowcount:
        _move_counts(conn, follower_id, followee_id, -1)
    else:
        # Nothing to unfollow (another request may have just done it): nothing moves. Ending the
        # transaction matters on MariaDB: its plain reads would still see the snapshot taken by
        # the request's first read, from before the other request's commit.
        rollback()
    return follow_state(follower_id, followee_id)


def delete_follows_of_user(user_id: int) -> None:
    """A user's follows in both directions go, and the others' counts move with them (before the
    user row goes; the caller commits). Five statements, and one more per 1,000 users beyond
    the first 1,000 it follows or is followed by (the locks go in chunks)."""
    conn = connection()
    params = {"user_id": user_id}
    others = conn.execute(FOLLOWEES_OF.union(FOLLOWERS_OF), params).scalars().all()
    # Every follow that touches this user needs its row locked too: once locked, the set is fixed.
    _lock_users(conn, (user_id, *others))
    # The set-based statements below read the follows again, under the locks: exact whatever ran
    # between the read above and the locks.
    conn.execute(
        update(User).where(User.id.in_(FOLLOWEES_OF)).values(follower_count=User.follower_count - 1), params
    )
    conn.execute(
        update(User).where(User.id.in_(FOLLOWERS_OF)).values(following_count=User.following_count - 1),
        params,
    )
    conn.execute(delete(Follow).where((Follow.follower_id == user_id) | (Follow.followee_id == user_id)))
