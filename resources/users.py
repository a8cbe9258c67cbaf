from typing import Any

from flask.views import MethodView
from flask_jwt_extended import current_user, get_current_user, get_jwt, verify_jwt_in_request
from flask_smorest import abort
from sqlalchemy import func

import blocklist
from db import commit, db
from errors import ErrorSchema
from jwt_utils import BEARER_AUTH, UNAUTHORIZED_DOC, auth_required
from models import Board, TokenUser, User
from models.comment import delete_comments_of_user
from models.follow import delete_follows_of_user, is_following
from models.mark import delete_marks_of_user
from models.message import delete_messages_of_user
from resources.access import CONFLICT_DOC, require_fresh_token, require_self_or_admin, save_user
from resources.auth_limits import WRONG_CURRENT_PASSWORDS, note_failed_password
from resources.blueprint import Blueprint
from resources.openapi_examples import validation_example
from resources.pagination import PAGE_SIZES, paginate
from schemas import UserProfileSchema, UserPublicSchema, UserSchema, UserUpdateSchema
from schemas.moderation import BanSchema, BanStateSchema
from security.headers import mark_no_store, no_store
from security.passwords import password_policy_errors
from security.rate_limits import RATE_LIMIT_HEADERS, rate_limit
from services import bans

blp = Blueprint(
    "Users", __name__, url_prefix="/users", description="Public profiles; self or admin to change."
)

NOT_FOUND_DOC = {"schema": ErrorSchema, "description": "No such user."}
FORBIDDEN_DOC = {"schema": ErrorSchema, "description": "Neither this user nor an admin (error: forbidden)."}
PUBLIC_FIELDS = tuple(UserPublicSchema().fields)
PRIVATE_FIELDS = tuple(UserSchema().fields)


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404, message=f"User {user_id} not found.")
    return user


def may_see_private(user: User) -> bool:
    viewer: TokenUser | None = get_current_user()
    return viewer is not None and (viewer.id == user.id or viewer.is_admin)


@blp.route("")
class Users(MethodView):
    @blp.doc(operationId="listUsers")
    @blp.response(200, UserPublicSchema(many=True))
    @blp.paginate(**PAGE_SIZES)
    def get(self, pagination_parameters: Any) -> list[User]:
        """List users' public profiles"""
        stmt = db.select(User).order_by(User.id)
        return paginate(stmt, db.select(func.count()).select_from(User), pagination_parameters)


@blp.route("/<id:user_id>")
class UserById(MethodView):
    @blp.doc(operationId="getUser")
    @blp.doc(security=[{}, *BEARER_AUTH])
    @blp.response(
        200,
        UserProfileSchema,
        description="The profile; email and is_admin only for the user and admins, followed only "
        "with an access token.",
    )
    @blp.alt_response(
        401, schema=ErrorSchema, description=f"A token was sent and is unusable. {UNAUTHORIZED_DOC}"
    )
    @blp.alt_response(404, **NOT_FOUND_DOC)
    def get(self, user_id: int) -> Any:
        """Read a user's profile (with email when it is you, or you are an admin)"""
        verify_jwt_in_request(optional=True)
        user = get_user(user_id)
        names = PRIVATE_FIELDS if may_see_private(user) else PUBLIC_FIELDS
        if names is PRIVATE_FIELDS:
            mark_no_store()
        body: dict[str, Any] = {name: getattr(user, name) for name in names}
        viewer: TokenUser | None = get_current_user()
        if viewer is not None:
            body["followed"] = viewer.id != user.id and is_following(viewer.id, user.id)
            if viewer.is_admin:
                body["banned"] = user.banned
        return body

    @blp.doc(operationId="updateUser")
    @validation_example(blp, {"json": {"current_password": ["Required to change the password."]}})
    @rate_limit(blp, WRONG_CURRENT_PASSWORDS)
    @no_store
    @auth_required(blp)
    # A profile change: Swagger UI would otherwise propose placeholder passwords that answer 422.
    @blp.arguments(UserUpdateSchema, example={"username": "bob2", "email": "bob2@example.com"})
    @blp.response(200, UserSchema, headers=RATE_LIMIT_HEADERS)
    @blp.alt_response(403, **FORBIDDEN_DOC)
    @blp.alt_response(404, **NOT_FOUND_DOC)
    @blp.alt_response(409, **CONFLICT_DOC)
    def patch(self, data: dict[str, Any], user_id: int) -> User:
        """Change a user's username or email (the user or an admin), or the user's own password

        A password change needs a fresh token and `current_password` (wrong: 422, counted with the
        account's failed logins from this address), and revokes every other login of the user;
        the login making the change keeps working.
        `current_password` is required with `password` and refused without it (422).
        Your own email change needs a fresh token too (401 fresh_token_required): the email is
        where password resets go, so a stolen long-lived token must not be able to redirect them.
        """
        user = get_user(user_id)
        require_self_or_admin(user.id)
        if "email" in data and data["email"] != user.email:
            if current_user.id == user.id:
                require_fresh_token()
            # A reset link already mailed to the old address must not outlive the change.
            user.password_reset_digest = user.password_reset_expires_at = None
        if "password" in data:
            # The policy judges the password against the names the account will have.
            names = {"username": data.get("username", user.username), "email": data.get("email", user.email)}
            change_password(user, data.pop("password"), data.pop("current_password"), **names)
        for field, value in data.items():
            setattr(user, field, value)
        save_user(user)
        return user

    @blp.doc(operationId="deleteUser")
    @auth_required(blp)
    @blp.response(204)
    @blp.alt_response(403, **FORBIDDEN_DOC)
    @blp.alt_response(404, **NOT_FOUND_DOC)
    def delete(self, user_id: int) -> None:
        """Delete a user with their boards, comments, likes and scraps (the user with a fresh token, or an admin)"""
        user = get_user(user_id)
        require_self_or_admin(user.id)
        if not current_user.is_admin:
            require_fresh_token()
        # First: it locks the user's row after those of lower ids (models/follow.py, lock order).
        delete_follows_of_user(user.id)
        delete_comments_of_user(user.id)
        delete_marks_of_user(user.id)
        # Explicit, so that it holds whatever the database does with ON DELETE CASCADE.
        db.session.execute(db.delete(Board).where(Board.author_id == user.id))
        delete_messages_of_user(user.id)
        db.session.delete(user)
        commit()


@blp.route("/<id:user_id>/ban")
class UserBan(MethodView):
    @blp.doc(operationId="banUser")
    @auth_required(blp)
    @blp.arguments(BanSchema)
    @blp.response(200, BanStateSchema)
    @blp.alt_response(403, schema=ErrorSchema, description="Not an admin (error: forbidden).")
    @blp.alt_response(404, **NOT_FOUND_DOC)
    def put(self, data: dict[str, Any], user_id: int) -> dict[str, Any]:
        """Ban a user until `until` or until lifted: every token revoked, logins refused (admins)

        Banning yourself is refused (422, error cannot_ban_self). Banning again replaces the reason
        and the end. Written to the audit log.
        """
        return bans.ban(get_current_user(), user_id, data["reason"], data["until"])

    @blp.doc(operationId="unbanUser")
    @auth_required(blp)
    @blp.response(200, BanStateSchema)
    @blp.alt_response(403, schema=ErrorSchema, description="Not an admin (error: forbidden).")
    @blp.alt_response(404, **NOT_FOUND_DOC)
    def delete(self, user_id: int) -> dict[str, Any]:
        """Lift a user's ban (admins; written to the audit log)"""
        return bans.unban(get_current_user(), user_id)


def change_password(
    user: User, new_password: str, current_password: str, *, username: str, email: str
) -> None:
    """Only the user, freshly logged in and knowing the current password: a stolen or long-lived
    token alone must not be able to lock the owner out. Admins cannot set passwords."""
    if current_user.id != user.id:
        abort(403, message="Only the user can change their own password.", error="forbidden")
    require_fresh_token()
    # Before the current password is checked: a refused new password costs no guess.
    if problems := password_policy_errors(new_password, username=username, email=email):
        abort(422, errors={"json": {"password": problems}})
    if not user.check_password(current_password):
        note_failed_password()
        abort(
            422,
            message="The current password is wrong.",
            error="wrong_current_password",
            errors={"json": {"current_password": ["Wrong password."]}},
        )
    user.set_password(new_password)
    blocklist.revoke_user_tokens(user, keep_family=get_jwt().get("fam"))
