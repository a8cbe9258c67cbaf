"""Private messages (CONTRACT §10) and the rules that move them: sending, reading, deleting.

One row per message, with a deleted flag per party: deleting removes the message for the caller
only, and the row goes once neither party keeps a copy. A party whose account is deleted counts
as having deleted their copy, and their side becomes NULL (the other party still reads it).

`users.unread_messages` counts each user's unread received messages that they still keep. Every
change of it is an atomic `UPDATE … SET n = n ± 1` in the same transaction as the message row,
guarded by a conditional UPDATE of that row (`… AND read_at IS NULL`), so that two racing
requests (two reads, a read and a delete) can move it only once.

Lock order on MySQL/MariaDB: users rows first (in id order), then message rows. InnoDB checks
the foreign key, taking a shared lock on the users row, whenever a write touches an index that
holds sender_id or recipient_id: inserting a message, and also flagging it read or deleted. Two
transactions holding that shared lock and then both moving the counter (an exclusive lock on the
same row) deadlock; so does a crossing pair of sends. Every write here therefore locks the users
rows it involves first, exclusively: the foreign key checks then find them already held.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Text, bindparam, delete, false, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql import Executable

from db import UTCDateTime, connection, db, utcnow
from models.user import User


class Message(db.Model):
    __tablename__ = "messages"
    # A box is two index ranges merged newest first (sent, received: see message_queries); a
    # conversation is two ranges of ix_messages_conversation; unread is one range.
    __table_args__ = (
        Index("ix_messages_sent", "sender_id", "sender_deleted", "id"),
        Index("ix_messages_received", "recipient_id", "recipient_deleted", "id"),
        Index("ix_messages_unread", "recipient_id", "recipient_deleted", "read_at", "id"),
        Index("ix_messages_conversation", "sender_id", "recipient_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # SET NULL is a safety net for rows deleted by hand: the API clears them itself first
    # (delete_messages_of_user), so that both databases end in the same state.
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sender_deleted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    recipient_deleted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    def __repr__(self) -> str:
        return f"<Message {self.id} {self.sender_id}→{self.recipient_id}>"


# Built once, with bind parameters (see resources/board_queries.py for why).
LOCK_PARTIES = (
    select(User.id, User.username)
    .where(User.id.in_([bindparam("sender_id"), bindparam("recipient_id")]))
    .order_by(User.id)
    .with_for_update()
)
LOCK_USER = select(User.id).where(User.id == bindparam("user_id")).with_for_update()
COUNT_UNREAD = (
    update(User).where(User.id == bindparam("user_id")).values(unread_messages=User.unread_messages + 1)
)
UNCOUNT_UNREAD = (
    update(User).where(User.id == bindparam("user_id")).values(unread_messages=User.unread_messages - 1)
)
INSERT_MESSAGE = Message.__table__.insert()
_MINE = (Message.id == bindparam("message_id"),)
_RECEIVED = (*_MINE, Message.recipient_id == bindparam("user_id"), Message.recipient_deleted == false())
_SENT = (*_MINE, Message.sender_id == bindparam("user_id"), Message.sender_deleted == false())
MARK_READ = update(Message).where(*_RECEIVED, Message.read_at.is_(None)).values(read_at=bindparam("now"))
DELETE_UNREAD_RECEIVED = (
    update(Message).where(*_RECEIVED, Message.read_at.is_(None)).values(recipient_deleted=true())
)
DELETE_RECEIVED = update(Message).where(*_RECEIVED).values(recipient_deleted=true())
DELETE_SENT = update(Message).where(*_SENT).values(sender_deleted=true())
DROP_IF_NOBODY_KEEPS_IT = delete(Message).where(*_MINE, Message.sender_deleted, Message.recipient_deleted)


def _execute(statement: Executable, params: dict[str, Any]) -> int:
    """Run a Core statement on the request's connection; the number of rows it matched."""
    return connection().execute(statement, params).rowcount


def _lock_user(user_id: int) -> None:
    """Lock the user's row until the transaction ends (MySQL/MariaDB; a no-op on SQLite)."""
    connection().execute(LOCK_USER, {"user_id": user_id}).all()


def send_message(sender_id: int, recipient_id: int, content: str) -> tuple[int, str, datetime] | None:
    """Insert a message and count it unread for the recipient (not committed): (id, recipient's
    username, created_at), or None when the recipient does not exist or is the sender. On None,
    the caller rolls back."""
    if sender_id == recipient_id:
        return None
    params = {"sender_id": sender_id, "recipient_id": recipient_id}
    names = dict(connection().execute(LOCK_PARTIES, params).all())
    # SQLite has no row locks: the recipient may be deleted between that read and this write.
    if recipient_id not in names or not _execute(COUNT_UNREAD, {"user_id": recipient_id}):
        return None
    now = utcnow()
    values = {**params, "content": content, "created_at": now}
    try:
        message_id = connection().execute(INSERT_MESSAGE, values).inserted_primary_key[0]
    except IntegrityError:  # the sender's own account went meanwhile (SQLite, as above)
        return None
    return message_id, names[recipient_id], now


def mark_read(message_id: int, recipient_id: int, now: datetime) -> bool:
    """Set read_at once and uncount it (not committed); False when it was read (or deleted) already."""
    _lock_user(recipient_id)
    params = {"message_id": message_id, "user_id": recipient_id, "now": now}
    if not _execute(MARK_READ, params):
        return False
    _execute(UNCOUNT_UNREAD, {"user_id": recipient_id})
    return True


def delete_copy(message_id: int, user_id: int, *, as_sender: bool) -> bool:
    """Delete the caller's copy (not committed), and the row when the other party has none left.
    False when the caller had no copy (any more)."""
    _lock_user(user_id)
    params = {"message_id": message_id, "user_id": user_id}
    if as_sender:
        deleted = _execute(DELETE_SENT, params)
    elif _execute(DELETE_UNREAD_RECEIVED, params):
        deleted = _execute(UNCOUNT_UNREAD, {"user_id": user_id})
    else:
        deleted = _execute(DELETE_RECEIVED, params)
    if deleted:
        _execute(DROP_IF_NOBODY_KEEPS_IT, {"message_id": message_id})
    return bool(deleted)


def delete_messages_of_user(user_id: int) -> None:
    """Before a user row goes: messages the other party no longer keeps go too; the others stay
    in that party's box with this side NULL (and counted as deleted). Nobody else's unread count
    moves: an unread message this user sent stays unread for its recipient.

    Statements: a constant five, whatever the number of messages (index ranges on sender_id and
    recipient_id). The user row is locked first, as sending does (see the module's docstring).
    """
    _lock_user(user_id)
    conn = connection()
    conn.execute(delete(Message).where(Message.sender_id == user_id, Message.recipient_deleted))
    conn.execute(delete(Message).where(Message.recipient_id == user_id, Message.sender_deleted))
    conn.execute(
        update(Message).where(Message.sender_id == user_id).values(sender_id=None, sender_deleted=True)
    )
    conn.execute(
        update(Message)
        .where(Message.recipient_id == user_id)
        .values(recipient_id=None, recipient_deleted=True)
    )
