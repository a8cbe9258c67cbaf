"""Accounts and tokens: registration, login, refresh (rotation and reuse detection), logout,
logout everywhere, and the current user."""

from __future__ import annotations

from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

from flask_jwt_extended import decode_token
from flask_jwt_extended.exceptions import JWTExtendedException
from jwt import InvalidTokenError
from sqlalchemy import Row, insert

import blocklist
from db import connection, utcnow
from jwt_utils import REVOKED_MESSAGE, issue_tokens, require_claims
from models import TokenUser, User
from models.user import burn_password_check, hash_password, needs_rehash, verify_password
from schemas.user import me_json, user_json
from services import bans, users
from services.errors import Unauthorized

INVALID_CREDENTIALS = "Invalid username or password."
NOT_OWN_REFRESH_TOKEN = "Not a refresh token of this user."

# Executed with the columns as parameters (their names), built once.
INSERT_USER = insert(User)


def register(username: str, email: str, password: str) -> dict[str, Any]:
    """Create an account (username and email validated, the email lower-cased); the new user as
    they see themselves."""
    users.ensure_available(username, email)
    values = {
        "username": username,
        "username_lower": username.lower(),
        "email": email,
        "password_hash": hash_password(password),
        "created_at": utcnow(),
    }
    with users.names_claimed(username, email):
        user_id = connection().execute(INSERT_USER, values).inserted_primary_key[0]
    created = SimpleNamespace(**values, id=user_id, is_admin=False, follower_count=0, following_count=0)
    return user_json(created)


def authenticate(name: str, password: str) -> Row[Any] | None:
    """The account of a username (or email) and its password (services/users.find_by_login's
    row), or None. An unknown name costs one password check too, and answers as a wrong password."""
    account = users.find_by_login(name)
    if account is None:
        burn_password_check(password)
        return None
    if not verify_password(account.password_hash, password):
        return None
    if needs_rehash(account.password_hash):  # hashed with weaker parameters than today's
        params = {"user_id": account.id, "password_hash": hash_password(password)}
        connection().execute(users.UPDATE_USER, params)
    return account


def token_user(account: Row[Any]) -> TokenUser:
    """The TokenUser of an account row of services/users.find_by_login."""
    return TokenUser(**{field: account._mapping[field] for field in TokenUser.__dataclass_fields__})


def login(name: str, password: str) -> dict[str, Any]:
    """A fresh access token and a refresh token for a username (or email) and its password.

    An unknown name costs one password check too, and answers as a wrong password does; a banned
    account is refused (403 `banned`) once its password is right.
    """
    account = authenticate(name, password)
    if account is None:
        raise Unauthorized(INVALID_CREDENTIALS, error="invalid_credentials")
    bans.refuse_if_banned(account.ban_reason, account.banned_until)
    return issue_tokens(token_user(account), fresh=True)


def refresh(user: TokenUser, claims: Mapping[str, Any]) -> dict[str, Any]:
    """A new (non-fresh) access token and a new refresh token for the refresh token of `claims`,
    which is revoked as it is used. Its second use is a replay: the whole login is revoked."""
    if not blocklist.rotate(claims):
        raise Unauthorized(REVOKED_MESSAGE, error="token_revoked")
    return issue_tokens(user, fresh=False, family=claims["fam"])


def logout(claims: Mapping[str, Any], refresh_token: str | None) -> None:
    """Revoke the access token of `claims` with its login, and the login of `refresh_token` (one
    of the same user's) when given. A bad refresh token refuses the whole logout."""
    refresh = _own_refresh_token(refresh_token, claims["sub"]) if refresh_token else None
    blocklist.revoke_token(claims, family=True)
    if refresh:
        blocklist.revoke_token(refresh, family=True)


def _own_refresh_token(token: str, subject: str) -> dict[str, Any]:
    try:
        refresh = decode_token(token, allow_expired=True)
        require_claims(refresh)
    except (InvalidTokenError, JWTExtendedException):
        refresh = {}
    if refresh.get("type") != "refresh" or refresh.get("sub") != subject:
        raise users.refused("refresh_token", [NOT_OWN_REFRESH_TOKEN])
    return refresh


def logout_all(user_id: int) -> None:
    """Revoke every access and refresh token of the user."""
    blocklist.revoke_user_tokens(user_id)


def me(user: TokenUser) -> dict[str, Any]:
    """The current user, email included, and the number of unread messages."""
    return me_json(user)
