from typing import Any

from flask.views import MethodView
from flask_jwt_extended import current_user, decode_token, get_current_user, get_jwt
from flask_jwt_extended.exceptions import JWTExtendedException
from flask_smorest import Blueprint, abort
from jwt import InvalidTokenError
from sqlalchemy.exc import IntegrityError

import blocklist
from db import db
from errors import ErrorSchema
from jwt_utils import auth_required, issue_tokens
from models import User
from models.user import burn_password_check
from schemas import LoginSchema, LogoutSchema, MessageSchema, TokenSchema, UserCreateSchema, UserSchema

blp = Blueprint("Auth", __name__, url_prefix="/auth", description="Register, log in, refresh and log out.")

CONFLICT_DOC = {"schema": ErrorSchema, "description": "Username or email already taken."}


def taken_field(username: str, email: str) -> str | None:
    """The name of the unique field already in use, if any (a friendlier 409 than the race-safe one)."""
    if db.session.execute(db.select(User.id).where(User.username_lower == username.lower())).first():
        return "username"
    if db.session.execute(db.select(User.id).where(User.email == email)).first():
        return "email"
    return None


@blp.route("/register")
class Register(MethodView):
    @blp.arguments(UserCreateSchema)
    @blp.response(201, UserSchema)
    @blp.alt_response(409, **CONFLICT_DOC)
    def post(self, data: dict[str, Any]) -> User:
        """Create an account"""
        if field := taken_field(data["username"], data["email"]):
            abort(409, message=f"That {field} is already taken.", error=f"{field}_taken")
        user = User(username=data["username"], email=data["email"])
        user.set_password(data["password"])
        db.session.add(user)
        try:
            db.session.commit()
        except IntegrityError:
            # Another request registered the same name between our check and our insert.
            db.session.rollback()
            abort(409, message="That username or email is already taken.", error="conflict")
        return user


@blp.route("/login")
class Login(MethodView):
    @blp.arguments(LoginSchema)
    @blp.response(200, TokenSchema)
    @blp.alt_response(
        401, schema=ErrorSchema, description="Wrong username/email or password (error: invalid_credentials)."
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
    @auth_required(blp, refresh=True)
    @blp.response(200, TokenSchema)
    def post(self) -> dict[str, Any]:
        """Trade a refresh token for a new (non-fresh) access token and a new refresh token

        The refresh token used is revoked; presenting it again revokes the whole login.
        """
        payload = get_jwt()
        blocklist.revoke_token(payload)
        return issue_tokens(current_user, fresh=False, family=payload.get("fam"))


@blp.route("/logout")
class Logout(MethodView):
    @auth_required(blp)
    @blp.arguments(LogoutSchema, required=False)
    @blp.response(200, MessageSchema)
    def post(self, data: dict[str, Any]) -> dict[str, str]:
        """Log out: revoke this access token, its login's refresh tokens and the one given"""
        payload = get_jwt()
        blocklist.revoke_token(payload, family=True)
        if refresh_token := data.get("refresh_token"):
            refresh = _decode_own_refresh_token(refresh_token, payload["sub"])
            blocklist.revoke_token(refresh, family=True)
        return {"message": "Logged out."}


def _decode_own_refresh_token(token: str, subject: str) -> dict[str, Any]:
    try:
        refresh = decode_token(token, allow_expired=True)
    except (InvalidTokenError, JWTExtendedException):
        refresh = {}
    if refresh.get("type") != "refresh" or refresh.get("sub") != subject:
        abort(422, errors={"json": {"refresh_token": ["Not a refresh token of this user."]}})
    return refresh


@blp.route("/me")
class Me(MethodView):
    @auth_required(blp)
    @blp.response(200, UserSchema)
    def get(self) -> User:
        """The current user, email included"""
        # The user itself, not the current_user proxy: dumping goes through every field, and each
        # access through the proxy costs a context lookup.
        return get_current_user()
