"""Who may do what, for the services that several features share."""

from __future__ import annotations

from models import TokenUser
from services.errors import Forbidden

ADMINS_ONLY = "Only admins may do this."


def require_admin(user: TokenUser) -> None:
    """403 `forbidden` for anyone but an admin (as the database says now, not the token's claim)."""
    if not user.is_admin:
        raise Forbidden(ADMINS_ONLY)
