"""/auth: register, log in, refresh, log out (here or everywhere), the current user, and the
password reset. The rules are in services/auth.py and services/password_reset.py."""

from typing import Any

from flask import Response, jsonify
from flask.views import MethodView
from flask_jwt_extended import get_current_user, get_jwt

from errors import ErrorSchema, error_body
from jwt_utils import auth_required
from resources.blueprint import Blueprint
from resources.openapi_examples import validation_example
from resources.users import CONFLICT_DOC
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
from security.auth_limits import (
    ADDRESS_LOGINS,
    FAILED_LOGINS,
    REFRESHES,
    REGISTRATIONS,
    RESET_CONFIRMATIONS,
    RESET_REQUESTS,
    RESET_REQUESTS_PER_EMAIL,
)
from security.headers import no_store
from security.rate_limits import RATE_LIMIT_HEADERS, rate_limit
from services import auth, password_reset
from services.auth import INVALID_CREDENTIALS
from services.password_reset import INVALID_RESET_TOKEN

blp = Blueprint(
    "Auth",
    __name__,
    url_prefix="/auth",
    description="Register, log in, refresh, log out and reset a forgotten password.",
)

PASSWORD_RESET = "Your password has been changed, and every session logged out: log in with it."
RESET_REQUESTED = "If that address belongs to an account, a reset link is on its way to it."
INVALID_RESET_TOKEN_BODY = error_body(
    422, INVALID_RESET_TOKEN, "invalid_reset_token", {"json": {"token": [INVALID_RESET_TOKEN]}}
)


@blp.route("/register")
class Register(MethodView):
    @blp.doc(operationId="register")
    @rate_limit(blp, REGISTRATIONS)
    @no_store
    @blp.arguments(UserCreateSchema)
    @blp.response(201, UserSchema, headers=RATE_LIMIT_HEADERS)
    @blp.alt_response(409, **CONFLICT_DOC)
    def post(self, data: dict[str, Any]) -> tuple[Response, int]:
        """Create an account"""
        return jsonify(auth.register(data["username"], data["email"], data["password"])), 201


@blp.route("/login")
class Login(MethodView):
    # Rate limited per client address and username by security/auth_limits.py (429 documented here).
    @blp.doc(operationId="login")
    @rate_limit(blp, FAILED_LOGINS, ADDRESS_LOGINS)
    @no_store
    @blp.arguments(LoginSchema)
    @blp.response(200, TokenSchema, headers=RATE_LIMIT_HEADERS)
    @blp.alt_response(
        401,
        schema=ErrorSchema,
        description="Wrong username/email or password (error: invalid_credentials).",
        example=error_body(401, INVALID_CREDENTIALS, "invalid_credentials"),
    )
    @blp.alt_response(
        403,
        schema=ErrorSchema,
        description="The account is banned (error: banned); the message gives the reason and the end.",
        example=error_body(
            403, "This account is banned until 2099-01-01T00:00:00+00:00: Spam links.", "banned"
        ),
    )
    def post(self, data: dict[str, Any]) -> Response:
        """Log in with username (or email) and password: a fresh access token and a refresh token"""
        return jsonify(auth.login(data["username"], data["password"]))


@blp.route("/refresh")
class Refresh(MethodView):
    @blp.doc(operationId="refreshTokens")
    @rate_limit(blp, REFRESHES)
    @no_store
    @auth_required(blp, refresh=True)
    @blp.response(200, TokenSchema, headers=RATE_LIMIT_HEADERS)
    def post(self) -> Response:
        """Trade a refresh token for a new (non-fresh) access token and a new refresh token

        The refresh token used is revoked; presenting it again revokes the whole login.
        """
        return jsonify(auth.refresh(get_current_user(), get_jwt()))


@blp.route("/logout")
class Logout(MethodView):
    @blp.doc(operationId="logout")
    @validation_example(blp, {"json": {"refresh_token": [auth.NOT_OWN_REFRESH_TOKEN]}})
    @auth_required(blp)
    # An empty body is the useful default: Swagger UI would otherwise propose the placeholder
    # {"refresh_token": "string"}, which answers 422.
    @blp.arguments(LogoutSchema, required=False, example={})
    @blp.response(200, MessageSchema)
    def post(self, data: dict[str, Any]) -> dict[str, str]:
        """Log out: revoke this access token, its login's refresh tokens and the one given"""
        auth.logout(get_jwt(), data.get("refresh_token"))
        return {"message": "Logged out."}


@blp.route("/logout-all")
class LogoutAll(MethodView):
    @blp.doc(operationId="logoutAll")
    @auth_required(blp)
    @blp.response(200, MessageSchema)
    def post(self) -> dict[str, str]:
        """Log out everywhere: revoke every access and refresh token of the current user"""
        auth.logout_all(get_current_user().id)
        return {"message": "Logged out of every session."}


@blp.route("/me")
class Me(MethodView):
    @blp.doc(operationId="getCurrentUser")
    @no_store
    @auth_required(blp)
    @blp.response(200, MeSchema)
    def get(self) -> Response:
        """The current user, email included, and the number of unread messages"""
        return jsonify(auth.me(get_current_user()))


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
        password_reset.request_reset(data["email"])
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
        password_reset.confirm_reset(data["token"], data["password"])
        return {"message": PASSWORD_RESET}
