from typing import Any

from flask.views import MethodView
from flask_jwt_extended import current_user, decode_token, get_current_user, get_jwt
from flask_jwt_extended.exceptions import JWTExtendedException
from flask_smorest import abort
from jwt import InvalidTokenError

import blocklist
from db import db
from errors import ErrorSchema, error_body
from jwt_utils import REVOKED_MESSAGE, auth_required, issue_tokens, require_claims
from models import User
from models.user import burn_password_check
from openapi_examples import validation_example
from ratelimit import RATE_LIMIT_HEADERS, rate_limit
from resources.access import CONFLICT_DOC, ensure_available, save_user
from resources.auth_limits import ADDRESS_LOGINS, FAILED_LOGINS, REFRESHES, REGISTRATIONS
from resources.blueprint import Blueprint
from schemas import (
    LoginSchema,
    LogoutSchema,
    MeSchema,
    MessageSchema,
    TokenSchema,
    UserCreateSchema,
    UserSchema,
)
from security_headers import no_store

blp = Blueprint("Auth", __name__, url_prefix="/auth", description="Register, log in, refresh and log out.")


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
    # Rate limited per client address and username by ratelimit.py (429 documented here).
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
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Log in with username (or email) and password: a fresh access token and a refresh token"""
        user = User.find_by_login(data["username"])
        if user is None:
            burn_password_check(data["password"])
        if user is None or not user.check_password(data["password"]):
            abort(401, message="Invalid username or password.", error="invalid_credentials")
        db.session.commit()  # check_password may have upgraded the hash
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
        db.session.commit()
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
