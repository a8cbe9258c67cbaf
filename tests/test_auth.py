"""Register, login, refresh (rotation), logout, me."""

import jwt
import pytest

from db import db
from models import User
from tests.conftest import PASSWORD, TEST_SECRET, bearer, error

INVALID_CREDENTIALS = error(401, "invalid_credentials", "Invalid username or password.")


def decode(token: str) -> dict:
    return jwt.decode(token, TEST_SECRET, algorithms=["HS256"])


def test_register_returns_the_user_without_secrets(client, app):
    response = client.post(
        "/auth/register", json={"username": "Alice", "email": "Alice@Example.COM", "password": PASSWORD}
    )
    assert response.status_code == 201
    body = response.json
    assert set(body) == {
        "id",
        "username",
        "email",
        "is_admin",
        "created_at",
        "follower_count",
        "following_count",
    }
    assert (body["username"], body["email"], body["is_admin"]) == ("Alice", "alice@example.com", False)
    with app.app_context():
        user = db.session.get(User, body["id"])
        assert user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash


@pytest.mark.parametrize(
    ("payload", "errors"),
    [
        (
            {"email": "a@example.com", "password": PASSWORD},
            {"username": ["Missing data for required field."]},
        ),
        (
            {"username": "ab", "email": "a@example.com", "password": PASSWORD},
            {"username": ["3 to 30 letters, digits, '_' or '-'."]},
        ),
        (
            {"username": "a" * 31, "email": "a@example.com", "password": PASSWORD},
            {"username": ["3 to 30 letters, digits, '_' or '-'."]},
        ),
        (
            {"username": "bad name", "email": "a@example.com", "password": PASSWORD},
            {"username": ["3 to 30 letters, digits, '_' or '-'."]},
        ),
        (
            {"username": "alice", "email": "not-an-email", "password": PASSWORD},
            {"email": ["Not a valid email address."]},
        ),
        (
            {"username": "alice", "email": "a@example.com", "password": "short"},
            {"password": ["Length must be between 8 and 128."]},
        ),
        (
            {"username": "alice", "email": "a@example.com", "password": "x" * 129},
            {"password": ["Length must be between 8 and 128."]},
        ),
        (
            {"username": "alice", "email": "a@example.com", "password": PASSWORD, "is_admin": True},
            {"is_admin": ["Unknown field."]},
        ),
        (
            {"username": 5, "email": "a@example.com", "password": PASSWORD},
            {"username": ["Not a valid string."]},
        ),
    ],
)
def test_register_validation(client, app, payload, errors):
    response = client.post("/auth/register", json=payload)
    assert response.status_code == 422
    assert response.json == {
        **error(422, "unprocessable_entity", "The request failed validation; see 'errors' for details."),
        "errors": {"json": errors},
    }
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 0


@pytest.mark.parametrize(
    ("username", "email", "field"),
    [("ALICE", "other@example.com", "username"), ("bob", "ALICE@example.com", "email")],
)
def test_register_duplicates_are_409_case_insensitively(client, register, username, email, field):
    register("alice", "alice@example.com")
    response = client.post(
        "/auth/register", json={"username": username, "email": email, "password": PASSWORD}
    )
    assert response.status_code == 409
    assert response.json == error(409, f"{field}_taken", f"That {field} is already taken.")


def test_register_with_a_non_json_body_is_415(client, app):
    response = client.post("/auth/register", data="not json", content_type="text/plain")
    assert response.status_code == 415
    assert response.json == error(
        415, "unsupported_media_type", "Send the request body as JSON, with 'Content-Type: application/json'."
    )
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 0


@pytest.mark.parametrize("login_name", ["alice", "ALICE", "alice@example.com", "Alice@Example.com"])
def test_login_by_username_or_email(client, register, login_name):
    user = register("alice", "alice@example.com")
    response = client.post("/auth/login", json={"username": login_name, "password": PASSWORD})
    assert response.status_code == 200
    body = response.json
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 900)
    access, refresh = decode(body["access_token"]), decode(body["refresh_token"])
    assert access["sub"] == str(user["id"]) and isinstance(access["sub"], str)
    assert (access["type"], access["fresh"], access["is_admin"]) == ("access", True, False)
    assert refresh["type"] == "refresh"
    assert access["fam"] == refresh["fam"]
    assert {"jti", "exp", "iat"} <= set(access)


def test_login_unknown_user_and_wrong_password_answer_alike(client, register):
    register("alice")
    wrong = client.post("/auth/login", json={"username": "alice", "password": "wrong password"})
    unknown = client.post("/auth/login", json={"username": "nobody", "password": "wrong password"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json == unknown.json == INVALID_CREDENTIALS


def test_me_returns_the_current_user_with_email(client, make_user):
    user = make_user("alice")
    response = client.get("/auth/me", headers=user["headers"])
    assert response.status_code == 200
    assert response.json["username"] == "alice"
    assert response.json["email"] == "alice@example.com"


def test_refresh_rotates_and_revokes_the_used_refresh_token(client, make_user):
    user = make_user()
    response = client.post("/auth/refresh", headers=bearer(user["refresh_token"]))
    assert response.status_code == 200
    new = response.json
    assert decode(new["access_token"])["fresh"] is False
    assert decode(new["access_token"])["fam"] == decode(user["access_token"])["fam"]
    assert new["refresh_token"] != user["refresh_token"]
    assert client.get("/auth/me", headers=bearer(new["access_token"])).status_code == 200
    # The used refresh token is revoked, ...
    replay = client.post("/auth/refresh", headers=bearer(user["refresh_token"]))
    assert replay.status_code == 401
    assert replay.json == error(401, "token_revoked", "The token has been revoked.")
    # ... and replaying it revoked the whole login (reuse detection): the new pair is dead too.
    for token in (new["access_token"], user["access_token"]):
        assert client.get("/auth/me", headers=bearer(token)).json["error"] == "token_revoked"
    assert client.post("/auth/refresh", headers=bearer(new["refresh_token"])).json["error"] == "token_revoked"


def test_logout_revokes_the_access_token_and_its_refresh_token(client, make_user):
    user = make_user()
    response = client.post("/auth/logout", headers=user["headers"])
    assert response.status_code == 200
    assert response.json == {"message": "Logged out."}
    assert client.get("/auth/me", headers=user["headers"]).json == error(
        401, "token_revoked", "The token has been revoked."
    )
    assert client.post("/auth/refresh", headers=bearer(user["refresh_token"])).status_code == 401


def test_logout_with_refresh_token_of_another_login_revokes_it(client, make_user, login):
    user = make_user("alice")
    other_login = login("alice")
    response = client.post(
        "/auth/logout", headers=user["headers"], json={"refresh_token": other_login["refresh_token"]}
    )
    assert response.status_code == 200
    assert client.post("/auth/refresh", headers=bearer(other_login["refresh_token"])).status_code == 401
    # A third login stays untouched.
    assert client.get("/auth/me", headers=bearer(login("alice")["access_token"])).status_code == 200


@pytest.mark.parametrize("kind", ["garbage", "access token", "someone else's"])
def test_logout_rejects_a_refresh_token_that_is_not_ours(client, make_user, kind):
    user, other = make_user(), make_user()
    token = {
        "garbage": "abc.def.ghi",
        "access token": user["access_token"],
        "someone else's": other["refresh_token"],
    }[kind]
    response = client.post("/auth/logout", headers=user["headers"], json={"refresh_token": token})
    assert response.status_code == 422
    assert response.json["errors"] == {"json": {"refresh_token": ["Not a refresh token of this user."]}}
    # Nothing was revoked.
    assert client.get("/auth/me", headers=user["headers"]).status_code == 200
    assert client.get("/auth/me", headers=other["headers"]).status_code == 200
