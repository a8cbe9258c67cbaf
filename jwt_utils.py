"""JWT setup: the JWTManager, every loader (each answering in the one error shape), token helpers."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from flask import Flask, Response, current_app, request
from flask_jwt_extended import JWTManager, create_access_token, create_refresh_token, jwt_required
from flask_jwt_extended.exceptions import JWTDecodeError
from flask_smorest import Blueprint

import blocklist
from errors import ErrorSchema, error_response
from models import TokenUser, User

F = TypeVar("F", bound=Callable[..., Any])

jwt = JWTManager()

REVOKED_MESSAGE = "The token has been revoked."
FRESH_TOKEN_MESSAGE = "This action needs a fresh token: log in again."
BEARER_AUTH = [{"bearerAuth": []}]
BEARER_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "bearerFormat": "JWT",
    "description": "An access token (`access_token` from POST /auth/login or POST /auth/refresh): an "
    "HS256 JWT, handled as RFC8725 advises (one algorithm, `exp` and `jti` required, typed tokens).",
}
# A scheme of its own, so that Swagger UI's Authorize holds both tokens side by side and a generated
# client can be given the refresh token for this one operation.
REFRESH_AUTH = [{"refreshAuth": []}]
REFRESH_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "bearerFormat": "JWT",
    "description": "A refresh token (`refresh_token` from POST /auth/login), for POST /auth/refresh only: "
    "an HS256 JWT, handled as RFC8725 advises, used once (rotation).",
}
UNAUTHORIZED_DOC = (
    "Missing, invalid, expired or revoked token, or its user is gone. `error` is one of "
    "authorization_required, invalid_token, token_expired, token_revoked, fresh_token_required, "
    "user_not_found."
)


def _unauthorized(message: str, error: str) -> Response:
    return error_response(401, message, error)


INVALID_TOKEN_MESSAGE = "The token is invalid."
# Flask-JWT-Extended's reasons for the mistakes a person makes, and what to do instead.
WRONG_TOKEN_MESSAGES = {
    "Only non-refresh tokens are allowed": "This is a refresh token: send the access token here "
    "(a refresh token only goes to POST /auth/refresh).",
    "Only refresh tokens are allowed": "This is an access token: POST /auth/refresh takes the "
    "refresh token from the login.",
}
DOUBLE_BEARER_MESSAGE = (
    "The Authorization header says 'Bearer' twice: send 'Authorization: Bearer <token>' "
    "(in Swagger UI's Authorize dialog, paste the token alone)."
)
MALFORMED_HEADER_MESSAGE = "The Authorization header is malformed: send 'Authorization: Bearer <token>'."
DOUBLE_BEARER = re.compile(r"\s*Bearer\s+Bearer\s", re.IGNORECASE)


def invalid_token_message(reason: str) -> str:
    """The sentence that helps a person fix an invalid token (the `error` stays invalid_token)."""
    if reason in WRONG_TOKEN_MESSAGES:
        return WRONG_TOKEN_MESSAGES[reason]
    if reason.startswith("Bad Authorization header"):
        if DOUBLE_BEARER.match(request.headers.get("Authorization", "")):
            return DOUBLE_BEARER_MESSAGE
        return MALFORMED_HEADER_MESSAGE
    return INVALID_TOKEN_MESSAGE


def init_jwt(app: Flask) -> None:
    jwt.init_app(app)

    @jwt.unauthorized_loader
    def missing_token(reason: str) -> Response:
        return _unauthorized(
            "An access token is required: send 'Authorization: Bearer <token>'.", "authorization_required"
        )

    @jwt.invalid_token_loader
    def invalid_token(reason: str) -> Response:
        # Flask-JWT-Extended answers 422 here by default; a bad credential is a 401.
        app.logger.info("invalid token: %s", reason)
        return _unauthorized(invalid_token_message(reason), "invalid_token")

    @jwt.expired_token_loader
    def expired_token(header: dict, payload: dict) -> Response:
        return _unauthorized("The token has expired.", "token_expired")

    @jwt.revoked_token_loader
    def revoked_token(header: dict, payload: dict) -> Response:
        return _unauthorized(REVOKED_MESSAGE, "token_revoked")

    @jwt.needs_fresh_token_loader
    def needs_fresh_token(header: dict, payload: dict) -> Response:
        return _unauthorized(FRESH_TOKEN_MESSAGE, "fresh_token_required")

    @jwt.user_lookup_error_loader
    def user_gone(header: dict, payload: dict) -> Response:
        return _unauthorized("The user of this token no longer exists.", "user_not_found")

    @jwt.token_verification_failed_loader
    def claims_rejected(header: dict, payload: dict) -> Response:
        return _unauthorized(INVALID_TOKEN_MESSAGE, "invalid_token")

    @jwt.token_in_blocklist_loader
    def is_revoked(header: dict, payload: dict) -> bool:
        # The first hook after decoding: refuse incomplete tokens before anything relies on them.
        require_claims(payload)
        return blocklist.is_token_revoked(payload)

    @jwt.user_lookup_loader
    def load_user(header: dict, payload: dict) -> TokenUser | None:
        # Loaded by the revocation check already: this comes from `g`, not the database.
        return TokenUser.from_token(payload)


# Beyond `sub` (checked by Flask-JWT-Extended): every claim issue_tokens() puts in a token, with
# its type. A forged token (it takes the secret) with, say, a string `gen` must be a 401, not a
# comparison of a string with a number deep in the revocation check.
REQUIRED_CLAIMS = ("jti", "exp", "iat", "fam", "gen", "uct")
CLAIM_TYPES: dict[str, type] = {"jti": str, "fam": str, "gen": int, "uct": int, "fresh": bool}


def require_claims(payload: dict[str, Any]) -> None:
    """Raise (→ 401 invalid_token) unless the token has every claim this API issues and relies on,
    each of the type this API issues (`type(...) is`: a bool is no generation number).

    PyJWT checks `exp` only when present and Flask-JWT-Extended fills in a missing `jti`/`type`.
    """
    missing = [claim for claim in REQUIRED_CLAIMS if payload.get(claim) in (None, "")]
    if missing:
        raise JWTDecodeError(f"Missing claims: {', '.join(missing)}")
    wrong = [claim for claim, kind in CLAIM_TYPES.items() if type(payload.get(claim)) is not kind]
    if wrong:
        raise JWTDecodeError(f"Claims of the wrong type: {', '.join(wrong)}")
    if payload.get("type") not in ("access", "refresh"):
        raise JWTDecodeError("Unknown token type")


def issue_tokens(user: User | TokenUser, *, fresh: bool, family: str | None = None) -> dict[str, Any]:
    """An access + refresh pair. Tokens of one login share a family id (`fam`), so that a logout,
    or a replayed refresh token, can revoke the whole login at once."""
    # `gen`: the user's token generation, which logout-all and password changes move past
    # (see blocklist.py); `uct`: which user of that id (see User.token_stamp).
    claims = {
        "fam": family or uuid.uuid4().hex,
        "is_admin": user.is_admin,
        "gen": user.token_generation,
        "uct": user.token_stamp,
    }
    identity = str(user.id)
    expires: timedelta = current_app.config["JWT_ACCESS_TOKEN_EXPIRES"]
    return {
        "access_token": create_access_token(identity, fresh=fresh, additional_claims=claims),
        "refresh_token": create_refresh_token(identity, additional_claims=claims),
        "token_type": "Bearer",
        "expires_in": int(expires.total_seconds()),
    }


def auth_required(blp: Blueprint, *, fresh: bool = False, refresh: bool = False) -> Callable[[F], F]:
    """jwt_required, documented: the bearerAuth scheme (refreshAuth for a refresh token) and the 401
    response in the OpenAPI document. Put it above @blp.arguments so that a missing token answers
    401 before the body is validated."""

    def decorator(fn: F) -> F:
        fn = jwt_required(fresh=fresh, refresh=refresh)(fn)
        fn = blp.doc(security=REFRESH_AUTH if refresh else BEARER_AUTH)(fn)
        return blp.alt_response(401, schema=ErrorSchema, description=UNAUTHORIZED_DOC)(fn)

    return decorator


def auth_optional(blp: Blueprint) -> Callable[[F], F]:
    """A public operation that says more to a caller with a token (`get_current_user()` is None
    without one); a token sent but unusable still answers its 401. Documented as such."""

    def decorator(fn: F) -> F:
        fn = jwt_required(optional=True)(fn)
        fn = blp.doc(security=[{}, *BEARER_AUTH])(fn)
        description = f"A token was sent and is unusable. {UNAUTHORIZED_DOC}"
        return blp.alt_response(401, schema=ErrorSchema, description=description)(fn)

    return decorator
