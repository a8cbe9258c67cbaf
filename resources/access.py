"""Who may change what, and the checks that several resources share."""

from flask_jwt_extended import current_user, get_jwt
from flask_smorest import abort
from sqlalchemy import or_
from sqlalchemy.exc import IntegrityError

from db import commit, db, rollback
from errors import ErrorSchema
from jwt_utils import FRESH_TOKEN_MESSAGE
from models import TokenUser, User

CONFLICT_DOC = {
    "schema": ErrorSchema,
    "description": "Username or email already taken (error: username_taken or email_taken).",
}


def require_self_or_admin(owner_id: int) -> None:
    user: TokenUser = current_user
    if user.id != owner_id and not user.is_admin:
        abort(403, message="Only the owner or an admin may do this.", error="forbidden")


def require_fresh_token() -> None:
    if not get_jwt()["fresh"]:
        abort(401, message=FRESH_TOKEN_MESSAGE, error="fresh_token_required")


def _taken_field(username_lower: str, email: str, user_id: int | None) -> str | None:
    """Which unique field another user already holds, if any (before this user is flushed)."""
    with db.session.no_autoflush:
        row = db.session.execute(
            db.select(User.username_lower, User.email)
            .where(or_(User.username_lower == username_lower, User.email == email), User.id != (user_id or 0))
            .limit(1)
        ).first()
    if row is None:
        return None
    return "username" if row.username_lower == username_lower else "email"


def _abort_taken(field: str) -> None:
    abort(409, message=f"That {field} is already taken.", error=f"{field}_taken")


def ensure_available(username: str, email: str) -> None:
    """409 early, before the costly work of creating a user, when the name or email is taken."""
    if field := _taken_field(username.lower(), email, None):
        _abort_taken(field)


def save_user(user: User) -> None:
    """Commit a new or changed user. The unique indexes decide (also between racing requests);
    a clash is a 409 naming the field, found by asking again once the winner is committed."""
    wanted = (user.username_lower, user.email, user.id)
    try:
        commit()
    except IntegrityError:
        rollback()
        _abort_taken(_taken_field(*wanted) or "username")
