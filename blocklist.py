"""Token revocation: the only module that knows where revocations are stored.

An entry is a token id (`jti`) or a token family id (`fam`, one login and all its refreshes),
kept until every token it covers has expired. Checking a token is one indexed lookup that
covers both its jti and its family.

Revoking every token of a user (logout-all, password change) stores nothing per token: the
user's generation counter moves past the `gen` claim of every token issued so far. That check
reads the user row, which the JWT user loader needs anyway: the row and the revocation lookup
come from one SQL statement (database store), and the loader finds the row in `g`.

Revocations are part of the request's unit of work. The two that a refusal itself makes (the
login of a replayed refresh token) are kept although the request then fails (db.keep_on_refusal).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import bindparam, update

from db import connection, keep_on_refusal, utcnow
from models import TokenUser, User
from security.revocation_stores import DatabaseStore, RedisStore, RevocationStore


def init_app(app: Flask) -> None:
    """Choose the store once: Redis when REDIS_URL is set, else the database."""
    url = app.config.get("REDIS_URL")
    app.extensions["blocklist"] = RedisStore(url) if url else DatabaseStore()


def store() -> RevocationStore:
    return current_app.extensions["blocklist"]


def revoke(entries: Mapping[str, datetime]) -> None:
    """Revoke each key (jti or family id) until its expiry. Revoking twice is harmless."""
    store().revoke(entries)


def revoked_among(keys: list[str]) -> set[str]:
    """Which of these keys are revoked: one lookup (one SQL query or one Redis call)."""
    return store().revoked_among(keys)


def revoked_among_for_user(payload: Mapping[str, Any], keys: list[str]) -> set[str]:
    """`revoked_among(keys)`, reading the token's user along (kept for TokenUser.from_token): one
    SQL statement with the database store, where a user lookup and a revocation lookup were two."""
    user_id = TokenUser.id_of(payload)
    if user_id is None:
        return revoked_among(keys)
    row, found = store().user_and_revoked(user_id, keys)
    TokenUser.remember(user_id, row)
    return found


def token_expiry(payload: Mapping[str, Any]) -> datetime:
    return datetime.fromtimestamp(payload["exp"], UTC)


def family_expiry() -> datetime:
    """Any token of a family was issued before now, so none outlives now + the refresh lifetime."""
    lifetime: timedelta = current_app.config["JWT_REFRESH_TOKEN_EXPIRES"]
    return utcnow() + lifetime


def revoke_token(payload: Mapping[str, Any], *, family: bool = False) -> None:
    entries = {payload["jti"]: token_expiry(payload)}
    if family and payload.get("fam"):
        entries[payload["fam"]] = family_expiry()
    revoke(entries)


def rotate(payload: Mapping[str, Any]) -> bool:
    """Revoke a refresh token as it is used. False when another request used it first: both
    passed the revocation check at once, and only one may get new tokens, else rotation and
    reuse detection would split into two live chains. The loser is treated as a replay: its
    login is revoked, and stays so when the caller then refuses the request.
    """
    if store().revoke_once(payload["jti"], token_expiry(payload)):
        return True
    revoke_replayed_login(payload["fam"])
    return False


def revoke_replayed_login(family: str) -> None:
    """Revoke the login of a refresh token used twice, for good: the request that found the
    replay is refused, and its unit of work commits the revocation all the same."""
    revoke({family: family_expiry()})
    keep_on_refusal()


# The generation moves in SQL, so two concurrent calls both count.
BUMP_TOKEN_GENERATION = (
    update(User)
    .where(User.id == bindparam("user_id"))
    .values(token_generation=User.token_generation + 1, kept_token_family=bindparam("keep_family"))
)


def revoke_user_tokens(user_id: int, *, keep_family: str | None = None) -> None:
    """Void every token issued to the user so far, except those of the login `keep_family`.
    Part of the caller's unit of work (a password change commits its new hash with it)."""
    connection().execute(BUMP_TOKEN_GENERATION, {"user_id": user_id, "keep_family": keep_family})


def voided_by_user(payload: Mapping[str, Any]) -> bool:
    """Issued before the user's last logout-all or password change, and not by the login kept then."""
    user = TokenUser.from_token(payload)
    if user is None:
        return False  # not revoked, but gone: the user loader answers user_not_found
    if payload.get("gen", 0) >= user.token_generation:
        return False
    return payload.get("fam") is None or payload.get("fam") != user.kept_token_family


def is_token_revoked(payload: Mapping[str, Any]) -> bool:
    """True when the token, its family, or every token of its user is revoked.

    A refresh token revoked on its own was rotated: presenting it again means it was copied.
    Then the whole family is revoked, so the thief's and the victim's tokens both stop working.
    """
    jti, family = payload["jti"], payload.get("fam")
    found = revoked_among_for_user(payload, [jti, family] if family else [jti])
    if voided_by_user(payload):
        return True
    if not found:
        return False
    if payload.get("type") == "refresh" and family and family not in found:
        revoke_replayed_login(family)
    return True


def prune(now: datetime | None = None) -> int:
    """Delete entries whose tokens have all expired; returns how many went (Redis: 0, its TTLs do it)."""
    return store().prune(now or utcnow())
