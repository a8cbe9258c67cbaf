from __future__ import annotations

import contextlib
from datetime import datetime
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from db import UTCDateTime, db, exact_string, utcnow

if TYPE_CHECKING:
    from models.board import Board

# argon2id with OWASP's recommended parameters (19 MiB, 2 passes, 1 lane).
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Verified against when the user does not exist, so that a login for an unknown name costs
# as much as one with a wrong password and reveals nothing through its timing.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


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

    boards: Mapped[list[Board]] = relationship(
        back_populates="author", cascade="all, delete-orphan", passive_deletes=True
    )

    @validates("username")
    def _normalise_username(self, key: str, value: str) -> str:
        self.username_lower = value.lower()
        return value

    @validates("email")
    def _normalise_email(self, key: str, value: str) -> str:
        return value.strip().lower()

    def set_password(self, password: str) -> None:
        self.password_hash = _hasher.hash(password)

    def check_password(self, password: str) -> bool:
        """Verify, and upgrade the stored hash when the parameters have been raised since."""
        try:
            _hasher.verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
        if _hasher.check_needs_rehash(self.password_hash):
            self.set_password(password)
        return True

    @classmethod
    def find_by_login(cls, login: str) -> User | None:
        """Look a user up by username or email, both case-insensitively."""
        key = login.strip().lower()
        column = cls.email if "@" in key else cls.username_lower
        return db.session.execute(db.select(cls).where(column == key)).scalar_one_or_none()

    def __repr__(self) -> str:
        return f"<User {self.id} {self.username!r}>"
