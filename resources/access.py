"""Who may change what: shared by the resources that have owners."""

from flask_jwt_extended import current_user
from flask_smorest import abort

from models import User


def require_self_or_admin(owner_id: int) -> None:
    user: User = current_user
    if user.id != owner_id and not user.is_admin:
        abort(403, message="Only the owner or an admin may do this.", error="forbidden")
