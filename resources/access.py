"""The owner-or-admin check for the views of boards and comments, which call it with the
request's token user (services/access.py holds the rule itself)."""

from flask_jwt_extended import get_current_user

from services import access


def require_self_or_admin(owner_id: int) -> None:
    access.require_self_or_admin(get_current_user(), owner_id)
