"""The messages table: one row per private message, with a deleted flag per party. Its rules
(privacy, the unread counter, lock order) and statements are services/messages.py."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from db import UTCDateTime, db, utcnow


class Message(db.Model):
    __tablename__ = "messages"
    # A box is two index ranges merged newest first (sent, received: see services/messages.py); a
    # conversation is two ranges of ix_messages_conversation; unread is one range.
    __table_args__ = (
        Index("ix_messages_sent", "sender_id", "sender_deleted", "id"),
        Index("ix_messages_received", "recipient_id", "recipient_deleted", "id"),
        Index("ix_messages_unread", "recipient_id", "recipient_deleted", "read_at", "id"),
        Index("ix_messages_conversation", "sender_id", "recipient_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # SET NULL is a safety net for rows deleted by hand: the API clears them itself first
    # (services.messages.delete_messages_of_user), so that both databases end in the same state.
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sender_deleted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    recipient_deleted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    def __repr__(self) -> str:
        return f"<Message {self.id} {self.sender_id}→{self.recipient_id}>"
