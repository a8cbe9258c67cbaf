"""Forums, the named places every board lives in, and the forums a user pins.

- `name` is unique case-insensitively on every database: the unique index is on a lower-cased
  copy (`name_lower`) compared byte for byte, as users' names are (models/user.py).
- `category` is stored lower-cased, so that a filter finds `careers` however it is spelled.
- `anonymous` is the forum's policy for anonymous boards and comments: `never`, `optional` or
  `always` (a CHECK constraint holds operators' SQL to it too).
- `board_count` is moved by triggers on `boards` in the transaction of the insert or delete
  (models/board.py): exact whoever writes, a list of forums reads it without COUNT(*).
- The migration creates `General` first, with id 1: the forum of every board written before
  forums existed, and of every new board that names none (`boards.forum_id` defaults to it).
  It is never deleted (services/forums.py), so the default always names a forum.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Connection, ForeignKey, Index, String, Table, event, insert
from sqlalchemy.orm import Mapped, mapped_column

from db import UTCDateTime, db, exact_string, utcnow

ANONYMITY = ("never", "optional", "always")
NAME_LENGTH = 50
CATEGORY_LENGTH = 30
DESCRIPTION_LENGTH = 500
GENERAL_FORUM_ID = 1
GENERAL = {
    "id": GENERAL_FORUM_ID,
    "name": "General",
    "name_lower": "general",
    "category": "general",
    "description": "",
    "anonymous": "optional",
    "board_count": 0,
}


class Forum(db.Model):
    __tablename__ = "forums"
    __table_args__ = (
        # GET /forums?category=…: one category in name order, read off this index.
        Index("ix_forums_category_name_lower", "category", "name_lower"),
        CheckConstraint(f"anonymous IN {ANONYMITY!r}", name="anonymous"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    name_lower: Mapped[str] = mapped_column(exact_string(NAME_LENGTH), unique=True)
    category: Mapped[str] = mapped_column(exact_string(CATEGORY_LENGTH))
    description: Mapped[str] = mapped_column(String(DESCRIPTION_LENGTH), default="")
    anonymous: Mapped[str] = mapped_column(String(8))
    board_count: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<Forum {self.id} {self.name!r}>"


class ForumPin(db.Model):
    """A forum a user keeps at hand; the primary key makes a second pin a no-op."""

    __tablename__ = "forum_pins"
    # GET /users/me/forums: a user's pins, most recently pinned first, read off this index.
    __table_args__ = (
        Index("ix_forum_pins_user_id_created_at_forum_id", "user_id", "created_at", "forum_id"),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    # Indexed on its own for the foreign key (a forum's deletion finds its pins by it).
    forum_id: Mapped[int] = mapped_column(
        ForeignKey("forums.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def insert_general(connection: Connection) -> None:
    """Create `General` with its fixed id: the migration does the same, and a test database
    emptied between tests (tests/databases.py) calls this again."""
    connection.execute(insert(Forum.__table__).values(**GENERAL, created_at=utcnow()))


@event.listens_for(Forum.__table__, "after_create")
def _create_general(table: Table, connection: Connection, **kwargs: Any) -> None:
    insert_general(connection)
