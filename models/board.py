from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import DDL, ForeignKey, Index, String, Text, event, false
from sqlalchemy.dialects import mysql
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db import UTCDateTime, db, utcnow
from models.forum import GENERAL_FORUM_ID
from models.table_count import keep_count

if TYPE_CHECKING:
    from models.forum import Forum
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
    # index, per forum by the third. sort=top (most liked, ties newest first) reads the second
    # one backwards.
    __table_args__ = (
        Index("ix_boards_author_id_id", "author_id", "id"),
        Index("ix_boards_like_count_id", "like_count", "id"),
        # The hidden boards, and an author's: the few that totals add for those who see them
        # (services/boards.py).
        Index("ix_boards_hidden_author_id", "hidden", "author_id"),
        Index("ix_boards_forum_id_id", "forum_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(LongText, default="")
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # A forum with boards cannot be deleted (no ON DELETE). A board that names no forum goes to
    # General: the documented default, and what every writer that predates forums gets.
    forum_id: Mapped[int] = mapped_column(ForeignKey("forums.id"), server_default=str(GENERAL_FORUM_ID))
    # Who wrote an anonymous board is shown only to them and to admins (services/boards.py).
    anonymous: Mapped[bool] = mapped_column(default=False, server_default=false())
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
    # The last "anonymous N" handed out on this board (models/anonymous_author.py).
    anonymous_commenter_count: Mapped[int] = mapped_column(default=0, server_default="0")

    author: Mapped[User] = relationship(back_populates="boards", lazy="raise")
    # For dumps of the ORM object through BoardSchema (tests); the reads select the columns.
    forum: Mapped[Forum] = relationship(lazy="raise")

    def __repr__(self) -> str:
        return f"<Board {self.id} {self.title!r}>"


# GET /boards reports its unfiltered total from this count instead of COUNT(*) over the table: the
# visible boards (moderation moves it when it hides or restores one).
keep_count(Board.__table__, unless_hidden=True)


# Counters of boards kept by triggers, in the transaction of the insert or delete, whoever writes
# (the API, `flask seed`, a cascade on SQLite, an operator's SQL). The migrations hold copies.
# - users.board_count counts the user's boards that name them (not the anonymous ones): the
#   feed's total sums it over the followees, and others' `author_id` lists show that many.
# - forums.board_count counts the forum's boards.
# Both count visible boards: a hidden board left them when it was hidden (services/hiding.py), so
# its deletion moves nothing more. Boards are always inserted visible.
# Every trigger that locks a counter's row runs BEFORE the row is written, users' first, then
# forums': inserts and deletes then all take those locks in one order, before the foreign-key
# checks' shared locks (which InnoDB would otherwise upgrade, deadlocking two inserts by one
# author into one forum), and before the row-count trigger of table_counts (AFTER).
BOARD_COUNT_TRIGGERS = {
    "trg_boards_author_count_insert": "CREATE TRIGGER trg_boards_author_count_insert BEFORE INSERT ON boards "
    "FOR EACH ROW BEGIN UPDATE users SET board_count = board_count + "
    "CASE WHEN NEW.anonymous THEN 0 ELSE 1 END WHERE id = NEW.author_id; END",
    "trg_boards_author_count_delete": "CREATE TRIGGER trg_boards_author_count_delete BEFORE DELETE ON boards "
    "FOR EACH ROW BEGIN UPDATE users SET board_count = board_count - "
    "CASE WHEN OLD.anonymous THEN 0 ELSE 1 END WHERE id = OLD.author_id AND OLD.hidden = 0; END",
    "trg_boards_forum_count_insert": "CREATE TRIGGER trg_boards_forum_count_insert BEFORE INSERT ON boards "
    "FOR EACH ROW BEGIN UPDATE forums SET board_count = board_count + 1 WHERE id = NEW.forum_id; END",
    "trg_boards_forum_count_delete": "CREATE TRIGGER trg_boards_forum_count_delete BEFORE DELETE ON boards "
    "FOR EACH ROW BEGIN UPDATE forums SET board_count = board_count - 1 WHERE id = OLD.forum_id"
    " AND OLD.hidden = 0; END",
}
for _statement in BOARD_COUNT_TRIGGERS.values():
    event.listen(Board.__table__, "after_create", DDL(_statement))
