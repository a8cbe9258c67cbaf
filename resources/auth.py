from typing import Any, NoReturn

from flask.views import MethodView
from flask_jwt_extended import current_user, decode_token, get_current_user, get_jwt
from flask_jwt_extended.exceptions import JWTExtendedException
from flask_smorest import abort
from jwt import InvalidTokenError

import blocklist
from db import commit, db
from errors import ErrorSchema, error_body
from jwt_utils import REVOKED_MESSAGE, auth_required, issue_tokens, require_claims
from models import User
from resources.access import CONFLICT_DOC, ensure_available, save_user
from resources.auth_limits import (
    ADDRESS_LOGINS,
    FAILED_LOGINS,
    REFRESHES,
    REGISTRATIONS,
    RESET_CONFIRMATIONS,
    RESET_REQUESTS,
    RESET_REQUESTS_PER_EMAIL,
)
from resources.blueprint import Blueprint
from resources.openapi_examples import validation_example
from schemas import (
    LoginSchema,
    LogoutSchema,
    MeSchema,
    MessageSchema,
    PasswordResetConfirmSchema,
    PasswordResetRequestSchema,
    TokenSchema,
    UserCreateSchema,
    UserSchema,
)
from security.headers import no_store
from security.passwords import password_policy_errors
from security.rate_limits import RATE_LIMIT_HEADERS, rate_limit
from services.bans import refuse_if_banned
from services.password_reset import request_reset, spend_token, user_of_token

blp = Blueprint(
    "Auth",
    __name__,
    url_prefix="/auth",
    description="Register, log in, refresh, log out and reset a forgotten password.",
)


@blp.route("/register")
class Register(MethodView):
    @blp.doc(operationId="register")
    @rate_limit(blp, REGISTRATIONS)
    @no_store
    @blp.arguments(UserCreateSchema)
    @blp.response(201, UserSchema, headers=RATE_LIMIT_HEADERS)
    @blp.alt_response(409, **CONFLICT_DOC)
    def post(self, data: dict[str, Any]) -> User:
        """Create an account"""
        ensure_available(data["username"], data["email"])
        user = User(username=data["username"], email=data["email"])
        user.set_password(data["password"])
        db.session.add(user)
        save_user(user)
        return user


@blp.route("/login")
class Login(MethodView):
    # Rate limited per client address and username by security/rate_limits.py (429 documented here).
    @blp.doc(operationId="login")
    @rate_limit(blp, FAILED_LOGINS, ADDRESS_LOGINS)
    @no_store
    @blp.arguments(LoginSchema)
    @blp.response(200, TokenSchema, headers=RATE_LIMIT_HEADERS)
    @blp.alt_response(
        401,
        schema=ErrorSchema,
        description="Wrong username/email or password (error: invalid_credentials).",
        example=error_body(401, "Invalid username or password.", "invalid_credentials"),
    )
    @blp.alt_response(
        403,
        schema=ErrorSchema,
        description="The account is banned (error: banned); the message gives the reason and the end.",
        example=error_body(
            403, "This account is banned until 2099-01-01T00:00:00+00:00: Spam links.", "banned"
        ),
    )
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Log in with username (or email) and password: a fresh access token and a refresh token"""
        user = User.authenticate(data["username"], data["password"])
        if user is None:
            abort(401, message="Invalid username or password.", error="invalid_credentials")
        refuse_if_banned(user)
        commit()  # check_password may have upgraded the hash
        return issue_tokens(user, fresh=True)


@blp.route("/refresh")
class Refresh(MethodView):
    @blp.doc(operationId="refreshTokens")
    @rate_limit(blp, REFRESHES)
    @no_store
    @auth_required(blp, refresh=True)
    @blp.response(200, TokenSchema, headers=RATE_LIMIT_HEADERS)
    def post(self) -> dict[str, Any]:
        """Trade a refresh token for a new (non-fresh) access token and a new refresh token

        The refresh token used is revoked; presenting it again revokes the whole login.
        """
        payload = get_jwt()
        if not blocklist.rotate(payload):
            abort(401, message=REVOKED_MESSAGE, error="token_revoked")
        return issue_tokens(current_user, fresh=False, family=payload["fam"])


@blp.route("/logout")
class Logout(MethodView):
    @blp.doc(operationId="logout")
    @validation_example(blp, {"json": {"refresh_token": ["Not a refresh token of this user."]}})
    @auth_required(blp)
    # An empty body is the useful default: Swagger UI would otherwise propose the placeholder
    # {"refresh_token": "string"}, which answers 422.
    @blp.arguments(LogoutSchema, required=False, example={})
    @blp.response(200, MessageSchema)
    def post(self, data: dict[str, Any]) -> dict[str, str]:
        """Log out: revoke this access token, its login's refresh tokens and the one given"""
        payload = get_jwt()
        # Validate the body before revoking anything: a bad request changes nothing.
        refresh_token = data.get("refresh_token")
        refresh = _decode_own_refresh_token(refresh_token, payload["sub"]) if refresh_token else None
        blocklist.revoke_token(payload, family=True)
        if refresh:
            blocklist.revoke_token(refresh, family=True)
        return {"message": "Logged out."}


@blp.route("/logout-all")
class LogoutAll(MethodView):
    @blp.doc(operationId="logoutAll")
    @auth_required(blp)
    @blp.response(200, MessageSchema)
    def post(self) -> dict[str, str]:
        """Log out everywhere: revoke every access and refresh token of the current user"""
        blocklist.revoke_user_tokens(db.session.get(User, current_user.id))
        commit()
        return {"message": "Logged out of every session."}


def _decode_own_refresh_token(token: str, subject: str) -> dict[str, Any]:
    try:
        refresh = decode_token(token, allow_expired=True)
        require_claims(refresh)
    except (InvalidTokenError, JWTExtendedException):
        refresh = {}
    if refresh.get("type") != "refresh" or refresh.get("sub") != subject:
        abort(422, errors={"json": {"refresh_token": ["Not a refresh token of this user."]}})
    return refresh


@blp.route("/me")
class Me(MethodView):
    @blp.doc(operationId="getCurrentUser")
    @no_store
    @auth_required(blp)
    @blp.response(200, MeSchema)
    def get(self) -> User:
        """The current user, email included, and the number of unread messages"""
        # The user itself, not the current_user proxy: dumping goes through every field, and each
        # access through the proxy costs a context lookup.
        return get_current_user()


PASSWORD_RESET = "Your password has been changed, and every session logged out: log in with it."
RESET_REQUESTED = "If that address belongs to an account, a reset link is on its way to it."
INVALID_RESET_TOKEN = "This reset link is invalid, used, expired or superseded: ask for a new one."
INVALID_RESET_TOKEN_BODY = error_body(
    422, INVALID_RESET_TOKEN, "invalid_reset_token", {"json": {"token": [INVALID_RESET_TOKEN]}}
)


@blp.route("/password-reset")
class PasswordReset(MethodView):
    @blp.doc(operationId="requestPasswordReset")
    @rate_limit(blp, RESET_REQUESTS, RESET_REQUESTS_PER_EMAIL)
    @blp.arguments(PasswordResetRequestSchema)
    @blp.response(
        202,
        MessageSchema,
        headers=RATE_LIMIT_HEADERS,
        description="Accepted, whether or not the address is known (a mail follows if it is).",
        example={"message": RESET_REQUESTED},
    )
    def post(self, data: dict[str, str]) -> dict[str, str]:
        """Ask for a password reset link by email

        The answer is the same, in about the same time, for a known and an unknown address: it
        comes before anything is looked up. The link is valid PASSWORD_RESET_EXPIRES seconds
        (default 1800), once, and only until a newer link is asked for or the password changes.
        """
        request_reset(data["email"])
        return {"message": RESET_REQUESTED}


@blp.route("/password-reset/confirm")
class PasswordResetConfirm(MethodView):
    @blp.doc(operationId="confirmPasswordReset")
    @rate_limit(blp, RESET_CONFIRMATIONS)
    @blp.arguments(PasswordResetConfirmSchema)
    @blp.response(200, MessageSchema, headers=RATE_LIMIT_HEADERS, example={"message": PASSWORD_RESET})
    @blp.alt_response(
        422,
        schema=ErrorSchema,
        description="A used, expired, superseded or forged token (error: invalid_reset_token), or a"
        " new password the policy refuses (errors on `password`), or an invalid body.",
        example=INVALID_RESET_TOKEN_BODY,
    )
    def post(self, data: dict[str, str]) -> dict[str, str]:
        """Set a new password with the token of a reset link; every token of the user is revoked"""
        user = user_of_token(data["token"]) or abort_invalid_reset_token()
        if problems := password_policy_errors(data["password"], username=user.username, email=user.email):
            abort(422, errors={"json": {"password": problems}})  # the token stays usable
        if not spend_token(user):  # a concurrent confirmation won
            abort_invalid_reset_token()
        user.set_password(data["password"])
        blocklist.revoke_user_tokens(user)
        commit()
        return {"message": PASSWORD_RESET}


def abort_invalid_reset_token() -> NoReturn:
    abort(
        422,
        message=INVALID_RESET_TOKEN,
        error="invalid_reset_token",
        errors={"json": {"token": [INVALID_RESET_TOKEN]}},
    )
