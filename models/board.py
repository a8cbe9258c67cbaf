from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import DDL, ForeignKey, Index, String, Text, event, false
from sqlalchemy.dialects import mysql
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db import UTCDateTime, db, utcnow
from models.table_count import keep_count

if TYPE_CHECKING:
    from models.user import User

# 20,000 characters of utf8mb4 can take 80,000 bytes: more than MySQL's TEXT (64 KiB) holds.
LongText = Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")


def same_as_created_at(context: DefaultExecutionContext) -> datetime:
    """A new board's updated_at is its created_at to the microsecond: clients show "edited" when
    the two differ (created_at's own default has already been computed for the row)."""
    return context.get_current_parameters()["created_at"]


class Board(db.Model):
    __tablename__ = "boards"
    # Newest first is ORDER BY id DESC (the primary key); per author it is served by the first
    # index. sort=top (most liked, ties newest first) reads the second one backwards.
    __table_args__ = (
        Index("ix_boards_author_id_id", "author_id", "id"),
        Index("ix_boards_like_count_id", "like_count", "id"),
        # The hidden boards, and an author's: the few that totals add for those who see them
        # (services/boards.py).
        Index("ix_boards_hidden_author_id", "hidden", "author_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(LongText, default="")
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=same_as_created_at, onupdate=utcnow)
    # Moved by every edit of the row. Writers of one row queue on its lock (models/row_lock.py),
    # which is what keeps an If-Match check and its write together.
    version: Mapped[int] = mapped_column(default=1)
    # Visible comments and replies (services/comments.py moves it; models/counters.py says how).
    comment_count: Mapped[int] = mapped_column(default=0, server_default="0")
    # Kept by services/marks.py in the transaction of the like or scrap that moves them (never by the
    # ORM, so an author's write neither bumps nor overwrites them).
    like_count: Mapped[int] = mapped_column(default=0, server_default="0")
    scrap_count: Mapped[int] = mapped_column(default=0, server_default="0")
    # Hidden by moderation (services/moderation.py, which alone sets it and moves the counts that
    # leave a hidden board out: table_counts, users.board_count).
    hidden: Mapped[bool] = mapped_column(default=False, server_default=false())

    author: Mapped[User] = relationship(back_populates="boards", lazy="raise")

    def __repr__(self) -> str:
        return f"<Board {self.id} {self.title!r}>"


# users.board_count, which the feed's total sums over the followees (models/user.py). BEFORE INSERT:
# on InnoDB the row's foreign-key check takes a shared lock on the author's row, and two inserts
# by one author upgrading it to the counter's exclusive lock AFTER INSERT would deadlock; taken
# first, the exclusive lock simply queues them. A hidden board left the count when it was hidden
# (services/moderation.py): its deletion moves nothing more. Boards are always inserted visible.
# The migrations hold a copy of these statements.
AUTHOR_COUNT_TRIGGERS = {
    "trg_boards_author_count_insert": "CREATE TRIGGER trg_boards_author_count_insert BEFORE INSERT ON boards "
    "FOR EACH ROW BEGIN UPDATE users SET board_count = board_count + 1 WHERE id = NEW.author_id; END",
    "trg_boards_author_count_delete": "CREATE TRIGGER trg_boards_author_count_delete AFTER DELETE ON boards "
    "FOR EACH ROW BEGIN UPDATE users SET board_count = board_count - 1 WHERE id = OLD.author_id"
    " AND OLD.hidden = 0; END",
}
for _statement in AUTHOR_COUNT_TRIGGERS.values():
    event.listen(Board.__table__, "after_create", DDL(_statement))

# GET /boards reports its unfiltered total from this count instead of COUNT(*) over the table: the
# visible boards (moderation moves it when it hides or restores one). Created after the author
# count's triggers, so that on MariaDB (where triggers of one event fire in the order they were
# made) a delete locks the author's row before the count's, as an insert and a hide do.
keep_count(Board.__table__, unless_hidden=True)
