"""Token revocation: the only module that knows where revocations are stored.

An entry is a token id (`jti`) or a token family id (`fam`, one login and all its refreshes),
kept until every token it covers has expired. Checking a token is one indexed lookup that
covers both its jti and its family.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask, current_app

from db import utcnow
from revocation_stores import DatabaseStore, RedisStore, RevocationStore


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


def is_token_revoked(payload: Mapping[str, Any]) -> bool:
    """True when the token or its family is revoked.

    A refresh token revoked on its own was rotated: presenting it again means it was copied.
    Then the whole family is revoked, so the thief's and the victim's tokens both stop working.
    """
    jti, family = payload["jti"], payload.get("fam")
    found = revoked_among([jti, family] if family else [jti])
    if not found:
        return False
    if payload.get("type") == "refresh" and family and family not in found:
        revoke({family: family_expiry()})
    return True


def prune(now: datetime | None = None) -> int:
    """Delete entries whose tokens have all expired; returns how many went (Redis: 0, its TTLs do it)."""
    return store().prune(now or utcnow())
