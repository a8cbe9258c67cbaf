"""Follows: following and unfollowing users, and the lists of followers and followees.

The routes belong to the Users blueprint (its tag), so they are added to it here; app.py
imports this module before registering it. The feed is GET /boards/feed (resources/boards.py).
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_jwt_extended import get_current_user
from flask_smorest import abort
from sqlalchemy import Select

from db import commit, db, rollback
from errors import ErrorSchema
from jwt_utils import auth_required
from models import Follow, FollowState, TokenUser, User
from models.follow import follow, unfollow
from resources import users
from resources.pagination import PAGE_SIZES, page_of
from schemas import FollowStateSchema, UserPublicSchema

users_blp = users.blp

FOLLOW_SELF_DOC = {
    "schema": ErrorSchema,
    "description": "You cannot follow yourself (error: cannot_follow_self).",
}
NOT_FOUND_DOC = users.NOT_FOUND_DOC


def _not_found(user_id: int) -> None:
    abort(404, message=f"User {user_id} not found.")


def _other_user(user_id: int) -> TokenUser:
    """The caller, after refusing an attempt to follow or unfollow themselves."""
    me: TokenUser = get_current_user()
    if me.id == user_id:
        abort(
            422,
            message="You cannot follow yourself.",
            error="cannot_follow_self",
            errors={"path": {"user_id": ["You cannot follow yourself."]}},
        )
    return me


def _answer(state: FollowState | None, user_id: int) -> FollowState:
    if state is None:
        rollback()
        _not_found(user_id)
    commit()
    return state  # type: ignore[return-value]


@users_blp.route("/<id:user_id>/follow")
class FollowUser(MethodView):
    @auth_required(users_blp)
    @users_blp.doc(operationId="followUser")
    @users_blp.response(200, FollowStateSchema)
    @users_blp.alt_response(404, **NOT_FOUND_DOC)
    @users_blp.alt_response(422, **FOLLOW_SELF_DOC)
    def put(self, user_id: int) -> FollowState:
        """Follow a user (idempotent)"""
        me = _other_user(user_id)
        return _answer(follow(me.id, user_id), user_id)

    @auth_required(users_blp)
    @users_blp.doc(operationId="unfollowUser")
    @users_blp.response(200, FollowStateSchema)
    @users_blp.alt_response(404, **NOT_FOUND_DOC)
    @users_blp.alt_response(422, **FOLLOW_SELF_DOC)
    def delete(self, user_id: int) -> FollowState:
        """Stop following a user (idempotent)"""
        me = _other_user(user_id)
        return _answer(unfollow(me.id, user_id), user_id)


def _follow_page(user_id: int, counter: Any, listed: Any, anchor: Any, pagination: Any) -> list[User]:
    """One page of the users on one side of `user_id`'s follows, most recent follow first: the
    total is the user's counter column (one statement, which also tells a missing user), then
    one statement for the page."""
    total = db.session.execute(db.select(counter).where(User.id == user_id)).scalar_one_or_none()
    if total is None:
        _not_found(user_id)
    stmt: Select[Any] = (
        db.select(User).join(Follow, listed == User.id).where(anchor == user_id).order_by(Follow.id.desc())
    )
    return page_of(stmt, total, pagination)


@users_blp.route("/<id:user_id>/followers")
class Followers(MethodView):
    @users_blp.doc(operationId="listFollowers")
    @users_blp.response(200, UserPublicSchema(many=True))
    @users_blp.alt_response(404, **NOT_FOUND_DOC)
    @users_blp.paginate(**PAGE_SIZES)
    def get(self, user_id: int, pagination_parameters: Any) -> list[User]:
        """List a user's followers, most recent follow first"""
        return _follow_page(
            user_id, User.follower_count, Follow.follower_id, Follow.followee_id, pagination_parameters
        )


@users_blp.route("/<id:user_id>/following")
class Following(MethodView):
    @users_blp.doc(operationId="listFollowing")
    @users_blp.response(200, UserPublicSchema(many=True))
    @users_blp.alt_response(404, **NOT_FOUND_DOC)
    @users_blp.paginate(**PAGE_SIZES)
    def get(self, user_id: int, pagination_parameters: Any) -> list[User]:
        """List the users a user follows, most recent follow first"""
        return _follow_page(
            user_id, User.following_count, Follow.followee_id, Follow.follower_id, pagination_parameters
        )
