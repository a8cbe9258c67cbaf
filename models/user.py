"""Users: the table, the token's view of a user (TokenUser), and password hashing."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import g
from sqlalchemy import String, bindparam, false, select
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from db import UTCDateTime, UTCTimestampText, connection, db, exact_string, utcnow

if TYPE_CHECKING:
    from models.board import Board

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Ids of a signed 64-bit column: anything beyond it cannot exist (and would overflow the query).
MAX_USER_ID = 2**63 - 1
# argon2id with OWASP's recommended parameters (19 MiB, 2 passes, 1 lane).
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Verified against when the user does not exist, so that a login for an unknown name costs
# as much as one with a wrong password and reveals nothing through its timing. Written out rather
# than hashed at import (which slowed every worker's boot); made with `_hasher`'s parameters,
# which a test holds (a change of parameters must write a new one).
_DUMMY_HASH = (
    "$argon2id$v=19$m=19456,t=2,p=1$b7SXwcpu3RrTQJ4CI9wDNA$OXWUPLnXGbJ9F96nfhHx5EMRO81FtZ5q4qqQL9VFQWs"
)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether a hash that just verified was made with parameters weaker than today's: the
    caller then stores a new hash of the password, which it has in hand only now."""
    return _hasher.check_needs_rehash(password_hash)


def burn_password_check(password: str) -> None:
    with contextlib.suppress(VerificationError):
        _hasher.verify(_DUMMY_HASH, password)


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(30))
    # Uniqueness is case-insensitive on every database: enforced on a normalised copy
    # instead of trusting a collation (SQLite's default one is case-sensitive), compared exactly.
    username_lower: Mapped[str] = mapped_column(exact_string(30), unique=True)
    email: Mapped[str] = mapped_column(exact_string(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Every token carries the generation it was issued in (claim `gen`); bumping the counter voids
    # all older tokens at once (logout-all, password change), checked on the row that every
    # authenticated request loads anyway. A counter, not a timestamp: no same-second ambiguity.
    token_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    # The login (token family) that changed the password keeps its older-generation tokens.
    kept_token_family: Mapped[str | None] = mapped_column(String(64))
    # Moved by services/follows.py in the transaction of the follow itself.
    follower_count: Mapped[int] = mapped_column(default=0, server_default="0")
    following_count: Mapped[int] = mapped_column(default=0, server_default="0")
    # The user's boards, kept by triggers on boards (models/board.py): the feed's total is the sum
    # over the followees instead of a COUNT(*) over their boards, which grows with the table.
    board_count: Mapped[int] = mapped_column(default=0, server_default="0")
    # Unread received messages, moved atomically with them (services/messages.py): GET /auth/me
    # reads it with the token's user, no COUNT.
    unread_messages: Mapped[int] = mapped_column(default=0, server_default="0")
    # The pending password reset (services/password_reset.py): a keyed digest of its token, never the token.
    password_reset_digest: Mapped[str | None] = mapped_column(exact_string(64))
    password_reset_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A ban (services/bans.py): its reason while one is in force or was, and its end (None: until
    # lifted). Lifting it clears both.
    ban_reason: Mapped[str | None] = mapped_column(String(500))
    banned_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    boards: Mapped[list[Board]] = relationship(
        back_populates="author", cascade="all, delete-orphan", passive_deletes=True, lazy="raise"
    )

    @validates("username")
    def _normalise_username(self, key: str, value: str) -> str:
        self.username_lower = value.lower()
        return value

    @validates("email")
    def _normalise_email(self, key: str, value: str) -> str:
        return value.strip().lower()

    @property
    def token_stamp(self) -> int:
        return account_stamp(self.created_at)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.username!r}>"


def is_banned(reason: str | None, until: datetime | None, now: datetime | None = None) -> bool:
    """A ban is in force from the moment it is set until it is lifted or its end has passed."""
    return reason is not None and (until is None or until > (now or utcnow()))


def account_stamp(created_at: datetime) -> int:
    """created_at in whole microseconds. Tokens carry it (claim `uct`) beside the id, because an
    id alone may name a later user: SQLite hands a deleted row's id out again when it was the
    highest one."""
    return (created_at - EPOCH) // timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class TokenUser:
    """The user of a token, as every authenticated request reads it: a plain row, not an ORM
    object (loading one through the ORM cost three times the query). `current_user` is one of
    these; the services change a user with statements of their own (services/users.py).
    """

    id: int
    username: str
    email: str
    is_admin: bool
    created_at: datetime
    token_generation: int
    kept_token_family: str | None
    follower_count: int
    following_count: int
    unread_messages: int

    @property
    def token_stamp(self) -> int:
        return account_stamp(self.created_at)

    @staticmethod
    def id_of(payload: Mapping[str, Any]) -> int | None:
        """The user id a token names, or None when `sub` cannot be one."""
        try:
            user_id = int(payload.get("sub"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return None
        return user_id if 0 < user_id <= MAX_USER_ID else None

    @classmethod
    def remember(cls, user_id: int, row: Sequence[Any] | None) -> None:
        """Keep a row read elsewhere (the revocation check reads it in the same statement) for
        `from_token`, in `g`, which lives exactly as long as the request (its app context)."""
        loaded: dict[int, TokenUser | None] = g.setdefault("token_users", {})
        loaded[user_id] = None if row is None else cls(*row)

    @classmethod
    def from_token(cls, payload: Mapping[str, Any]) -> TokenUser | None:
        """The user a token was issued to, or None when gone; read once per request.

        The revocation check and the JWT user loader both need it: the first to ask reads it
        (blocklist.py, along with the revocation lookup), the other finds it in `g`.
        """
        user_id = cls.id_of(payload)
        if user_id is None:
            return None
        loaded: dict[int, TokenUser | None] = g.setdefault("token_users", {})
        if user_id not in loaded:
            row = connection().execute(TOKEN_USER_BY_ID, {"user_id": user_id}).first()
            loaded[user_id] = None if row is None else cls(*row)
        user = loaded[user_id]
        # A token without the stamp was not issued by this service to this account.
        if user is None or payload.get("uct") != user.token_stamp:
            return None
        return user


# Built once, with bind parameters: building a statement costs more than running it.
TOKEN_USER_COLUMNS = [getattr(User, name) for name in TokenUser.__dataclass_fields__]
TOKEN_USER_BY_ID = select(*TOKEN_USER_COLUMNS).where(User.id == bindparam("user_id"))
# A profile's columns (schemas/user.py), created_at selected as the text its JSON shows.
PUBLIC_COLUMNS = (
    User.id,
    User.username,
    UTCTimestampText.of(User.created_at),
    User.follower_count,
    User.following_count,
)
PRIVATE_COLUMNS = (*PUBLIC_COLUMNS, User.email, User.is_admin)
