"""Bans: an admin shuts a user out until the ban is lifted or its end has passed.

Banning revokes every token of the user at once (the token generation moves past them, as a
logout-all does: blocklist.py), and logging in answers 403 `banned` with the reason and the end,
both on the API and on the manage pages, while the ban is in force. Bans and unbans are written
to the audit log.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import blocklist
from db import db, utcnow
from models import TokenUser, User
from services import audit
from services.access import require_admin
from services.errors import Forbidden, Invalid, NotFound


def ban(actor: TokenUser, user_id: int, reason: str, until: datetime | None) -> dict[str, Any]:
    """Ban a user (again: the new reason and end replace the old ones); the ban's state."""
    require_admin(actor)
    if actor.id == user_id:
        message = "You cannot ban yourself."
        raise Invalid(message, error="cannot_ban_self", field="user_id", location="path")
    if until is not None and until <= utcnow():
        raise Invalid("The end of a ban must be in the future.", field="until")
    user = _user(user_id)
    user.ban_reason, user.banned_until = reason, until
    blocklist.revoke_user_tokens(user)
    audit.record(actor.id, "ban", audit.Target("user", user_id), ban_summary(reason, until))
    return ban_state(user)


def unban(actor: TokenUser, user_id: int) -> dict[str, Any]:
    """Lift a user's ban (a user who is not banned stays so); the ban's state."""
    require_admin(actor)
    user = _user(user_id)
    user.ban_reason = user.banned_until = None
    audit.record(actor.id, "unban", audit.Target("user", user_id))
    return ban_state(user)


def refuse_if_banned(user: User) -> None:
    """403 `banned` for a user under a ban in force, with its reason and end."""
    if user.banned:
        raise Forbidden(ban_message(user.ban_reason, user.banned_until), error="banned")  # type: ignore[arg-type]


def ban_message(reason: str, until: datetime | None) -> str:
    if until is None:
        return f"This account is banned: {reason}"
    return f"This account is banned until {until.isoformat()}: {reason}"


def ban_summary(reason: str, until: datetime | None) -> str:
    """The reason, and the end when there is one: '<reason> (until <ISO 8601>)'."""
    return reason if until is None else f"{reason} (until {until.isoformat()})"


def ban_state(user: User) -> dict[str, Any]:
    banned = user.banned
    return {
        "user": {"id": user.id, "username": user.username},
        "banned": banned,
        "reason": user.ban_reason if banned else None,
        "until": user.banned_until if banned else None,
    }


def _user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(f"User {user_id} not found.")
    return user
