"""Each hand-built JSON shape equals its marshmallow schema's dump of the same data: the schema is
the truth (and the OpenAPI document), the builder the fast path. One test per shape."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask

from db import connection, db
from models import TokenUser, User
from models.user import TOKEN_USER_BY_ID
from schemas import FollowStateSchema, MeSchema, UserProfileSchema, UserPublicSchema, UserSchema
from schemas.follow import follow_state_json
from schemas.user import me_json, profile_json, public_user_json, user_json
from services.users import PROFILE, PROFILE_FOR_VIEWER

# Microseconds, and none: isoformat leaves zero microseconds out, and so must the builders.
CREATED = [datetime(2026, 11, 30, 1, 2, 3, 456789, tzinfo=UTC), datetime(2026, 11, 30, 1, 2, 3, tzinfo=UTC)]


@pytest.fixture(params=CREATED, ids=["micro", "whole-second"])
def stored_user(request: pytest.FixtureRequest, app: Flask) -> dict[str, Any]:
    """A user row with every counted field set apart (a builder mixing two fields up fails)."""
    with app.app_context():
        user = User(username="Alice", email="alice@example.com", password_hash="x", created_at=request.param)
        db.session.add(user)
        db.session.flush()
        db.session.execute(
            db.update(User)
            .where(User.id == user.id)
            .values(is_admin=True, follower_count=3, following_count=5, unread_messages=7)
        )
        db.session.commit()
        return {"id": user.id}


def orm_user(user_id: int) -> User:
    return db.session.get(User, user_id)


def profile_row(user_id: int, viewer_id: int | None = None) -> Any:
    """The row the profile read selects (created_at as text), with or without a caller."""
    if viewer_id is None:
        return connection().execute(PROFILE, {"user_id": user_id}).one()
    return connection().execute(PROFILE_FOR_VIEWER, {"user_id": user_id, "follower_id": viewer_id}).one()


def token_user(user_id: int) -> TokenUser:
    return TokenUser(*connection().execute(TOKEN_USER_BY_ID, {"user_id": user_id}).one())


def test_public_user(app: Flask, stored_user: dict[str, Any]) -> None:
    with app.app_context():
        expected = UserPublicSchema().dump(orm_user(stored_user["id"]))
        assert public_user_json(profile_row(stored_user["id"])) == expected
        assert public_user_json(token_user(stored_user["id"])) == expected
        assert set(expected) == set(UserPublicSchema().fields)


def test_user(app: Flask, stored_user: dict[str, Any]) -> None:
    with app.app_context():
        expected = UserSchema().dump(orm_user(stored_user["id"]))
        assert user_json(profile_row(stored_user["id"])) == expected
        assert user_json(token_user(stored_user["id"])) == expected
        assert set(expected) == set(UserSchema().fields)


@pytest.mark.parametrize("private", [False, True])
@pytest.mark.parametrize("followed", [None, False, True])
def test_profile(app: Flask, stored_user: dict[str, Any], private: bool, followed: bool | None) -> None:
    with app.app_context():
        user = orm_user(stored_user["id"])
        names = set(UserSchema().fields if private else UserPublicSchema().fields)
        if followed is not None:
            names.add("followed")
        data = {name: getattr(user, name) for name in names if name != "followed"}
        if followed is not None:
            data["followed"] = followed
        expected = UserProfileSchema().dump(data)
        row = profile_row(stored_user["id"], None if followed is None else stored_user["id"] + 1)
        assert profile_json(row, private=private, followed=followed) == expected
        assert set(expected) == names


def test_me(app: Flask, stored_user: dict[str, Any]) -> None:
    with app.app_context():
        user = token_user(stored_user["id"])
        expected = MeSchema().dump(user)
        assert me_json(user) == expected
        assert set(expected) == set(MeSchema().fields)
        assert expected["unread_messages"] == 7


@pytest.mark.parametrize(("followed", "follower_count"), [(True, 3), (False, 0)])
def test_follow_state(followed: bool, follower_count: int) -> None:
    expected = FollowStateSchema().dump({"followed": followed, "follower_count": follower_count})
    assert follow_state_json(followed=followed, follower_count=follower_count) == expected
    assert set(expected) == set(FollowStateSchema().fields)
