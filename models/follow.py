"""Follows between users: who follows whom, and since when. The rules, the statements and the
counts they move (`users.follower_count`, `users.following_count`) are in services/follows.py."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db import UTCDateTime, db, utcnow


class Follow(db.Model):
    __tablename__ = "follows"
    # Most recent first is ORDER BY id DESC (ids only grow); each direction has its index, which
    # also serves the foreign keys. The unique pair covers "whom does X follow" for the feed.
    __table_args__ = (
        UniqueConstraint("follower_id", "followee_id"),
        Index("ix_follows_follower_id_id", "follower_id", "id"),
        Index("ix_follows_followee_id_id", "followee_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    follower_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    followee_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<Follow {self.follower_id} -> {self.followee_id}>"
