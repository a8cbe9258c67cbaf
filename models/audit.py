"""The audit log: one row per admin action, written in the action's own transaction.

Rows are only ever inserted. The actor is kept by id and by the name they had, without a foreign
key: deleting an admin's account must change no entry, and the entry must still say who acted.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from db import UTCDateTime, db, utcnow

ACTIONS = (
    "hide",
    "restore",
    "dismiss",
    "delete",
    "ban",
    "unban",
    "create_forum",
    "update_forum",
    "delete_forum",
)


class AuditEntry(db.Model):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int]
    actor_username: Mapped[str] = mapped_column(String(30))
    action: Mapped[str] = mapped_column(String(20))
    target_type: Mapped[str] = mapped_column(String(10))
    target_id: Mapped[int]
    detail: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<AuditEntry {self.id} {self.action} {self.target_type} {self.target_id}>"
