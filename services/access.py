"""Who may change what: the checks that several features share, as refusals a service raises."""

from __future__ import annotations

from jwt_utils import FRESH_TOKEN_MESSAGE
from models import TokenUser
from services.errors import Forbidden, Unauthorized

NOT_OWNER = "Only the owner or an admin may do this."
ADMINS_ONLY = "Only admins may do this."


def require_self_or_admin(viewer: TokenUser, owner_id: int) -> None:
    if viewer.id != owner_id and not viewer.is_admin:
        raise Forbidden(NOT_OWNER)


def require_admin(user: TokenUser) -> None:
    """403 `forbidden` for anyone but an admin (as the database says now, not the token's claim)."""
    if not user.is_admin:
        raise Forbidden(ADMINS_ONLY)


def require_fresh_token(fresh: bool) -> None:
    """Changes that a stolen or long-lived token alone must not make need a token straight from
    a login (`fresh`), not one from a refresh."""
    if not fresh:
        raise Unauthorized(FRESH_TOKEN_MESSAGE, error="fresh_token_required")
