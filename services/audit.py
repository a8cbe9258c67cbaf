"""The audit log: every admin action (case actions, bans, forum changes), newest first.

`record` is the one way in, called by the service that carries the action out, in the same
transaction: an action that rolls back leaves no entry, and no entry is missing for one that
committed. Nothing in the API changes or deletes an entry.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from sqlalchemy import bindparam, func, insert, select

from db import connection, utcnow
from models import AuditEntry, TokenUser, User
from services.access import require_admin
from services.pages import Page, PageRequest


class Target(NamedTuple):
    """What an action was done to: ("board", 7), ("user", 3), ("forum", 2), …"""

    type: str
    id: int


# The actor's name as it is now, read in the same statement as the insert.
RECORD = insert(AuditEntry).values(
    actor_id=bindparam("actor_id"),
    actor_username=select(User.username).where(User.id == bindparam("actor_id")).scalar_subquery(),
    action=bindparam("action"),
    target_type=bindparam("target_type"),
    target_id=bindparam("target_id"),
    detail=bindparam("detail"),
    created_at=bindparam("created_at"),
)
COUNT = select(func.count()).select_from(AuditEntry)
PAGE = (
    select(
        AuditEntry.id,
        AuditEntry.actor_id,
        AuditEntry.actor_username,
        AuditEntry.action,
        AuditEntry.target_type,
        AuditEntry.target_id,
        AuditEntry.detail,
        AuditEntry.created_at,
    )
    .order_by(AuditEntry.id.desc())
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
)


def record(actor_id: int, action: str, target: tuple[str, int], detail: str = "") -> None:
    """Write one entry for an admin's action, in the caller's transaction. `detail` is a sentence
    for a person (the ban's reason, the case's number, a forum's new name), at most 500 characters."""
    target_type, target_id = target
    connection().execute(
        RECORD,
        {
            "actor_id": actor_id,
            "action": action,
            "target_type": target_type,
            "target_id": target_id,
            "detail": detail[:500],
            "created_at": utcnow(),
        },
    )


def entries(viewer: TokenUser, page: PageRequest) -> Page:
    """One page of the log, newest first (a count, then the page): admins only."""
    require_admin(viewer)
    conn = connection()
    total = conn.execute(COUNT).scalar_one()
    if page.offset >= total:
        return Page([], total)
    rows = conn.execute(PAGE, {"limit": page.page_size, "offset": page.offset})
    return Page([entry_json(row._mapping) for row in rows], total)


def entry_json(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "actor": {"id": row["actor_id"], "username": row["actor_username"]},
        "action": row["action"],
        "target": {"type": row["target_type"], "id": row["target_id"]},
        "detail": row["detail"],
        "created_at": row["created_at"],
    }
