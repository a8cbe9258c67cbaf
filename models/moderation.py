"""Reports and moderation cases: one case per reported item, one report per user and item.

A case names its item by (target_type, target_id) rather than by a foreign key: it outlives the
item (a deleted board's case stays, with status `deleted`), and one table serves boards and
comments alike. Its counters move with atomic `UPDATE … SET n = n + 1` in the transaction of the
report that moves them (services/moderation.py), so that concurrent reporters count exactly.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db import UTCDateTime, db, utcnow

REASONS = ("spam", "abuse", "illegal", "other")
STATUSES = ("open", "hidden", "dismissed", "deleted")
TARGET_TYPES = ("board", "comment")


class ModerationCase(db.Model):
    __tablename__ = "moderation_cases"
    __table_args__ = (
        # One case per item: the index decides between concurrent first reports. The item's
        # created_at tells it from a later one that reuses its id (SQLite reuses the highest id).
        UniqueConstraint("target_type", "target_id", "target_created_at"),
        # GET /moderation/cases: one status, most reported first (ties newest first).
        Index("ix_moderation_cases_status_report_count_id", "status", "report_count", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    target_type: Mapped[str] = mapped_column(String(10))
    target_id: Mapped[int]
    target_created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10), default="open")
    report_count: Mapped[int] = mapped_column(default=0, server_default="0")
    # Reports made since the case was last dismissed (or restored): what REPORT_HIDE_THRESHOLD counts.
    pending_count: Mapped[int] = mapped_column(default=0, server_default="0")
    spam_count: Mapped[int] = mapped_column(default=0, server_default="0")
    abuse_count: Mapped[int] = mapped_column(default=0, server_default="0")
    illegal_count: Mapped[int] = mapped_column(default=0, server_default="0")
    other_count: Mapped[int] = mapped_column(default=0, server_default="0")
    # None on a case an admin opened by acting on an item nobody reported (the manage pages).
    first_reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<ModerationCase {self.id} {self.target_type} {self.target_id} {self.status}>"


class Report(db.Model):
    __tablename__ = "reports"
    # One report per user and item (the first stays): the index decides, also between racing requests.
    __table_args__ = (UniqueConstraint("case_id", "reporter_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("moderation_cases.id", ondelete="CASCADE"))
    # A deleted reporter's reports stay (they were counted), shown with no reporter.
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    reason: Mapped[str] = mapped_column(String(10))
    detail: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<Report {self.id} on case {self.case_id}: {self.reason}>"
