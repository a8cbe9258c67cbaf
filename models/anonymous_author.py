"""The numbers behind "anonymous 1", "anonymous 2", … on a board's anonymous comments.

Each board numbers its distinct anonymous commenters (the board's writer aside, who is labelled
"writer") 1, 2, 3, … in the order of their first anonymous comment there; a number, once given,
is that person's on that board for good, even after all their comments are deleted.

- `board_anonymous_authors` keeps who has which number: the primary key (board_id, user_id) gives
  a person one number per board, the unique (board_id, number) one person per number, whatever
  races; a user's deletion takes their rows with it (an id that SQLite hands out again must not
  inherit a number).
- `boards.anonymous_commenter_count` is the last number given: the next one is handed out by an
  atomic `UPDATE … SET n = n + 1` under the board's row lock, which every comment write takes
  first anyway.
- `comments.author_number` copies the number onto each anonymous comment (`WRITER_NUMBER` for the
  writer), so that reading a label joins nothing.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db import db

# comments.author_number of the board's own writer commenting anonymously.
WRITER_NUMBER = 0


class BoardAnonymousAuthor(db.Model):
    __tablename__ = "board_anonymous_authors"
    __table_args__ = (UniqueConstraint("board_id", "number"),)

    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"), primary_key=True)
    # Indexed on its own for the foreign key (a user's deletion finds their rows by it).
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    number: Mapped[int]


def author_label(number: int) -> str:
    """The `author_label` of an anonymous comment whose `author_number` is `number`."""
    return "writer" if number == WRITER_NUMBER else f"anonymous {number}"
