"""Bans: an admin shuts a user out until the ban is lifted or its end has passed.

Banning revokes every token of the user at once (the token generation moves past them, as a
logout-all does: blocklist.py), and logging in answers 403 `banned` with the reason and the end,
both on the API and on the manage pages, while the ban is in force. Bans and unbans are written
to the audit log.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update

import blocklist
from db import connection, utcnow
from models import TokenUser, User
from models.user import is_banned
from services import audit
from services.access import require_admin
from services.errors import Forbidden, Invalid, NotFound

# The user's row, locked: a ban and an unban of one user queue there.
BANNED_USER = (
    select(User.id, User.username, User.ban_reason, User.banned_until)
    .where(User.id == bindparam("user_id"))
    .with_for_update()
)
SET_BAN = (
    update(User)
    .where(User.id == bindparam("user_id"))
    .values(ban_reason=bindparam("reason"), banned_until=bindparam("until"))
)


def ban(actor: TokenUser, user_id: int, reason: str, until: datetime | None) -> dict[str, Any]:
    """Ban a user (again: the new reason and end replace the old ones); the ban's state."""
    require_admin(actor)
    if actor.id == user_id:
        message = "You cannot ban yourself."
        raise Invalid(message, error="cannot_ban_self", field="user_id", location="path")
    if until is not None and until <= utcnow():
        raise Invalid("The end of a ban must be in the future.", field="until")
    user = _user(user_id)
    connection().execute(SET_BAN, {"user_id": user_id, "reason": reason, "until": until})
    blocklist.revoke_user_tokens(user_id)
    audit.record(actor.id, "ban", audit.Target("user", user_id), ban_summary(reason, until))
    return ban_state(user_id, user.username, reason, until)


def unban(actor: TokenUser, user_id: int) -> dict[str, Any]:
    """Lift a user's ban (a user who is not banned stays so); the ban's state."""
    require_admin(actor)
    user = _user(user_id)
    connection().execute(SET_BAN, {"user_id": user_id, "reason": None, "until": None})
    audit.record(actor.id, "unban", audit.Target("user", user_id))
    return ban_state(user_id, user.username, None, None)


def refuse_if_banned(reason: str | None, until: datetime | None) -> None:
    """403 `banned` for a user under a ban in force (its reason and end, from the user's row),
    with the reason and the end in the message."""
    if is_banned(reason, until):
        raise Forbidden(ban_message(reason, until), error="banned")  # type: ignore[arg-type]


def ban_message(reason: str, until: datetime | None) -> str:
    if until is None:
        return f"This account is banned: {reason}"
    return f"This account is banned until {until.isoformat()}: {reason}"


def ban_summary(reason: str, until: datetime | None) -> str:
    """The reason, and the end when there is one: '<reason> (until <ISO 8601>)'."""
    return reason if until is None else f"{reason} (until {until.isoformat()})"


def ban_state(user_id: int, username: str, reason: str | None, until: datetime | None) -> dict[str, Any]:
    banned = is_banned(reason, until)
    return {
        "user": {"id": user_id, "username": username},
        "banned": banned,
        "reason": reason if banned else None,
        "until": until if banned else None,
    }


def _user(user_id: int) -> Any:
    user = connection().execute(BANNED_USER, {"user_id": user_id}).first()
    if user is None:
        raise NotFound(f"User {user_id} not found.")
    return user
