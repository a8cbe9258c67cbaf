"""/users: public profiles, changes by the user or an admin, deletion, and follows (follow,
unfollow, followers, following). The rules are in services/users.py and services/follows.py."""

from typing import Any

from flask import Response, jsonify
from flask.views import MethodView
from flask_jwt_extended import get_current_user, get_jwt

from errors import ErrorSchema
from jwt_utils import auth_optional, auth_required
from resources.blueprint import Blueprint
from resources.openapi_examples import validation_example
from resources.pagination import PAGE_SIZES, page_request, respond_page
from schemas import (
    BoardSchema,
    FollowStateSchema,
    UserProfileSchema,
    UserPublicSchema,
    UserSchema,
    UserUpdateSchema,
)
from schemas.forum import ForumSchema
from schemas.moderation import BanSchema, BanStateSchema
from security.auth_limits import NAME_CONFLICTS, WRONG_CURRENT_PASSWORDS
from security.headers import mark_no_store, no_store
from security.rate_limits import RATE_LIMIT_HEADERS, rate_limit
from services import bans, follows, forums, users
from services.marks import my_scraps

blp = Blueprint(
    "Users", __name__, url_prefix="/users", description="Public profiles; self or admin to change."
)

NOT_FOUND_DOC = {"schema": ErrorSchema, "description": "No such user."}
FORBIDDEN_DOC = {"schema": ErrorSchema, "description": "Neither this user nor an admin (error: forbidden)."}
CONFLICT_DOC = {
    "schema": ErrorSchema,
    "description": "Username or email already taken (error: username_taken or email_taken).",
}
FOLLOW_SELF_DOC = {
    "schema": ErrorSchema,
    "description": "You cannot follow yourself (error: cannot_follow_self).",
}


@blp.route("")
class Users(MethodView):
    @blp.doc(operationId="listUsers")
    @blp.response(200, UserPublicSchema(many=True))
    @blp.paginate(**PAGE_SIZES)
    def get(self, pagination_parameters: Any) -> Response:
        """List users' public profiles"""
        return respond_page(users.list_users(page_request(pagination_parameters)), pagination_parameters)


@blp.route("/<id:user_id>")
class UserById(MethodView):
    @blp.doc(operationId="getUser")
    @blp.response(
        200,
        UserProfileSchema,
        description="The profile; email and is_admin only for the user and admins, followed only "
        "with an access token.",
    )
    @auth_optional(blp)
    @blp.alt_response(404, **NOT_FOUND_DOC)
    def get(self, user_id: int) -> Response:
        """Read a user's profile (with email when it is you, or you are an admin)"""
        body = users.get_profile(user_id, get_current_user())
        if "email" in body:  # the user's own profile, or an admin's view of it
            mark_no_store()
        return jsonify(body)

    @blp.doc(operationId="updateUser")
    @validation_example(blp, {"json": {"current_password": [users.EMAIL_NEEDS_PASSWORD]}})
    @rate_limit(blp, WRONG_CURRENT_PASSWORDS, NAME_CONFLICTS)
    @no_store
    @auth_required(blp)
    # A profile change: Swagger UI would otherwise propose placeholder passwords that answer 422.
    @blp.arguments(UserUpdateSchema, example={"username": "bob2"})
    @blp.response(200, UserSchema, headers=RATE_LIMIT_HEADERS)
    @blp.alt_response(403, **FORBIDDEN_DOC)
    @blp.alt_response(404, **NOT_FOUND_DOC)
    @blp.alt_response(409, **CONFLICT_DOC)
    def patch(self, data: dict[str, Any], user_id: int) -> Response:
        """Change a user's username or email (the user or an admin), or the user's own password

        A password change needs a fresh token and `current_password`, and revokes every other login
        of the user; the login making the change keeps working. Changing your own email needs a
        fresh token and `current_password` too: the email is where password resets go, so a stolen
        token alone must not be able to redirect them. An admin changes another user's email
        without it. A wrong `current_password` is a 422 (error wrong_current_password), counted
        with the account's failed logins from this address. An email change voids the user's
        pending password reset links and sends a notice to the old address.
        A username or email that another account has is a 409, counted with the registrations
        from this address (REGISTER_RATE_LIMIT): this operation cannot probe for taken names any
        faster than registration can.
        """
        claims = get_jwt()
        body = users.update_user(
            get_current_user(), user_id, data, fresh=claims["fresh"], family=claims.get("fam")
        )
        return jsonify(body)

    @blp.doc(operationId="deleteUser")
    @auth_required(blp)
    @blp.response(204)
    @blp.alt_response(403, **FORBIDDEN_DOC)
    @blp.alt_response(404, **NOT_FOUND_DOC)
    def delete(self, user_id: int) -> None:
        """Delete a user with their boards, comments, likes and scraps (the user with a fresh token, or an admin)"""
        users.delete_user(get_current_user(), user_id, fresh=get_jwt()["fresh"])


@blp.route("/<id:user_id>/follow")
class FollowUser(MethodView):
    @auth_required(blp)
    @blp.doc(operationId="followUser")
    @blp.response(200, FollowStateSchema)
    @blp.alt_response(404, **NOT_FOUND_DOC)
    @blp.alt_response(422, **FOLLOW_SELF_DOC)
    def put(self, user_id: int) -> Response:
        """Follow a user (idempotent)"""
        return jsonify(follows.follow(get_current_user().id, user_id))

    @auth_required(blp)
    @blp.doc(operationId="unfollowUser")
    @blp.response(200, FollowStateSchema)
    @blp.alt_response(404, **NOT_FOUND_DOC)
    @blp.alt_response(422, **FOLLOW_SELF_DOC)
    def delete(self, user_id: int) -> Response:
        """Stop following a user (idempotent)"""
        return jsonify(follows.unfollow(get_current_user().id, user_id))


@blp.route("/<id:user_id>/followers")
class Followers(MethodView):
    @blp.doc(operationId="listFollowers")
    @blp.response(200, UserPublicSchema(many=True))
    @blp.alt_response(404, **NOT_FOUND_DOC)
    @blp.paginate(**PAGE_SIZES)
    def get(self, user_id: int, pagination_parameters: Any) -> Response:
        """List a user's followers, most recent follow first"""
        page = follows.followers(user_id, page_request(pagination_parameters))
        return respond_page(page, pagination_parameters)


@blp.route("/<id:user_id>/following")
class Following(MethodView):
    @blp.doc(operationId="listFollowing")
    @blp.response(200, UserPublicSchema(many=True))
    @blp.alt_response(404, **NOT_FOUND_DOC)
    @blp.paginate(**PAGE_SIZES)
    def get(self, user_id: int, pagination_parameters: Any) -> Response:
        """List the users a user follows, most recent follow first"""
        page = follows.following(user_id, page_request(pagination_parameters))
        return respond_page(page, pagination_parameters)


PRIVATE_DOC = {"Cache-Control": {"description": "`no-store`: private data", "schema": {"type": "string"}}}


@blp.route("/me/scraps")
class MyScraps(MethodView):
    @no_store
    @auth_required(blp)
    @blp.doc(operationId="listMyScraps")
    @blp.response(200, BoardSchema(many=True), headers=PRIVATE_DOC)
    @blp.paginate(**PAGE_SIZES)
    def get(self, pagination_parameters: Any) -> Response:
        """List your scraps, most recently scrapped first (private: only you can)"""
        page = my_scraps(get_current_user(), page_request(pagination_parameters))
        return respond_page(page, pagination_parameters)


# Pins are private too; the caching hook (resources/caching.py) marks this answer `private`.
PRIVATE_LIST_DOC = {
    name: {"description": f"`{value}`: the caller's own list", "schema": {"type": "string"}}
    for name, value in {"Cache-Control": "private", "Vary": "Authorization"}.items()
}


@blp.route("/me/forums")
class MyForums(MethodView):
    @auth_required(blp)
    @blp.doc(operationId="listMyForums")
    @blp.response(200, ForumSchema(many=True), headers=PRIVATE_LIST_DOC)
    @blp.paginate(**PAGE_SIZES)
    def get(self, pagination_parameters: Any) -> Response:
        """List the forums you pinned, most recently pinned first (private: only you can)"""
        page = forums.list_pinned(get_current_user(), page_request(pagination_parameters))
        return respond_page(page, pagination_parameters)


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
