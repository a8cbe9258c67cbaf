"""Idempotency keys: what a create answered, kept under the key its client sent, for 24 hours.

A row is reserved when the first request with a key begins (`lease` set, `status` NULL: in
progress) and completed, with the answer, in the same transaction as the create itself: the
create and its remembered answer are committed together or not at all. So a client that never
got its answer (a worker killed after the commit, a lost connection) and sends the request again
gets that answer again, and nothing is created twice. A reservation whose request died before
committing is left in progress; after ABANDONED_AFTER a new request with the key takes it over.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    bindparam,
    delete,
    select,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column

from db import UTCDateTime, connection, db, exact_string
from models.board import LongText

# How long an answer is kept (and replayed), and how long a request may hold its key: longer
# than any request runs (gunicorn ends a worker after 30 s), so that only a dead one loses it.
KEPT_FOR = timedelta(hours=24)
ABANDONED_AFTER = timedelta(seconds=60)
MAX_KEY_LENGTH = 255


class IdempotencyKey(db.Model):
    __tablename__ = "idempotency_keys"
    __table_args__ = (
        # Keys are per user; the unique index decides between two requests racing with one key.
        UniqueConstraint("user_id", "key"),
        # The prune command deletes by age.
        Index("ix_idempotency_keys_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # Compared byte for byte: keys are opaque, `a` and `A` are two keys.
    key: Mapped[str] = mapped_column(exact_string(MAX_KEY_LENGTH))
    # SHA-256 of the method, path and body (as JSON, key order and spacing aside).
    request_hash: Mapped[str] = mapped_column(String(64))
    # Who holds the key while its request runs (a random token); NULL once it has answered.
    lease: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[int | None] = mapped_column(Integer)
    # The answer's body, and the headers that name what was created (Location, ETag), as JSON.
    response_body: Mapped[str | None] = mapped_column(LongText)
    response_headers: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


@dataclass(frozen=True)
class StoredKey:
    id: int
    request_hash: str
    lease: str | None
    status: int | None
    response_body: str | None
    response_headers: str | None
    created_at: datetime


_TABLE = IdempotencyKey.__table__
_THIS = IdempotencyKey.id == bindparam("key_id")
RESERVE = _TABLE.insert()
FIND = select(
    IdempotencyKey.id,
    IdempotencyKey.request_hash,
    IdempotencyKey.lease,
    IdempotencyKey.status,
    IdempotencyKey.response_body,
    IdempotencyKey.response_headers,
    IdempotencyKey.created_at,
).where(IdempotencyKey.user_id == bindparam("user_id"), IdempotencyKey.key == bindparam("key"))
# A new request takes the row over only as it was read: two taking it at once cannot both win.
TAKE_OVER = (
    update(IdempotencyKey)
    .where(_THIS, IdempotencyKey.created_at == bindparam("seen_at"))
    .values(
        request_hash=bindparam("new_hash"),
        lease=bindparam("new_lease"),
        status=None,
        response_body=None,
        response_headers=None,
        created_at=bindparam("now"),
    )
)
COMPLETE = (
    update(IdempotencyKey)
    .where(_THIS, IdempotencyKey.lease == bindparam("held_lease"))
    .values(
        lease=None,
        status=bindparam("new_status"),
        response_body=bindparam("body"),
        response_headers=bindparam("headers"),
    )
)
RELEASE = delete(IdempotencyKey).where(_THIS, IdempotencyKey.lease == bindparam("held_lease"))
PRUNE = delete(IdempotencyKey).where(IdempotencyKey.created_at < bindparam("before"))


def reserve(user_id: int, key: str, request_hash: str, lease: str, now: datetime) -> int:
    """Insert the key's row, in progress; its id. IntegrityError when the user has that key."""
    values = {"user_id": user_id, "key": key, "request_hash": request_hash, "lease": lease, "created_at": now}
    return connection().execute(RESERVE, values).inserted_primary_key[0]  # type: ignore[no-any-return]


def find(user_id: int, key: str) -> StoredKey | None:
    row = connection().execute(FIND, {"user_id": user_id, "key": key}).one_or_none()
    return None if row is None else StoredKey(*row)


def take_over(stored: StoredKey, request_hash: str, lease: str, now: datetime) -> bool:
    """Make an expired answer, or an abandoned reservation, this request's reservation."""
    params = {"key_id": stored.id, "seen_at": stored.created_at, "new_hash": request_hash}
    params |= {"new_lease": lease, "now": now}
    return connection().execute(TAKE_OVER, params).rowcount == 1  # type: ignore[attr-defined,no-any-return]


def complete(key_id: int, lease: str, status: int, body: str, headers: str) -> bool:
    """Store the answer of the reservation `lease` holds; False when it no longer holds it."""
    params = {"key_id": key_id, "held_lease": lease, "new_status": status, "body": body, "headers": headers}
    return connection().execute(COMPLETE, params).rowcount == 1  # type: ignore[attr-defined,no-any-return]


def release(key_id: int, lease: str) -> None:
    """Forget a reservation whose request failed: the key may be sent again."""
    connection().execute(RELEASE, {"key_id": key_id, "held_lease": lease})


def prune(now: datetime) -> int:
    """Delete the keys older than KEPT_FOR; how many."""
    return connection().execute(PRUNE, {"before": now - KEPT_FOR}).rowcount  # type: ignore[attr-defined,no-any-return]
