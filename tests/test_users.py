"""Users: public profiles, private email, self-or-admin changes; usernames and emails unique
case-insensitively, and meaning the same on SQLite and MySQL: enforced by unique indexes on
normalised (lower-cased) values compared exactly, not by a collation."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError

from db import db
from models import User
from tests.conftest import PASSWORD, error
from tests.support import not_found, pagination, validation_error

FORBIDDEN = error(403, "forbidden", "Only the owner or an admin may do this.")
PUBLIC_KEYS = {"id", "username", "created_at", "follower_count", "following_count"}
PRIVATE_KEYS = PUBLIC_KEYS | {"email", "is_admin"}
NO_FOLLOWS = {"follower_count": 0, "following_count": 0}


def test_list_is_paginated_public_profiles_without_email(client, make_user, make_admin):
    users = [make_user(f"user{n}") for n in range(5)]
    admin = make_admin("root")

    response = client.get("/users?page_size=2&page=2", headers=admin["headers"])

    assert response.status_code == 200
    # Oldest account first; even an admin sees public profiles in the list.
    assert response.json == [
        {**{key: user[key] for key in ("id", "username", "created_at")}, **NO_FOLLOWS} for user in users[2:4]
    ]
    assert pagination(response) == {
        "total": 6,
        "total_pages": 3,
        "first_page": 1,
        "last_page": 3,
        "page": 2,
        "previous_page": 1,
        "next_page": 3,
    }


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        (
            "page_size=101",
            {"page_size": ["Must be greater than or equal to 1 and less than or equal to 100."]},
        ),
        ("page=0", {"page": ["Must be greater than or equal to 1."]}),
        ("page=x", {"page": ["Not a valid integer: digits 0-9 only."]}),
    ],
)
def test_list_refuses_bad_pages(client, query, errors):
    response = client.get(f"/users?{query}")
    assert response.status_code == 422
    assert response.json == validation_error("query", errors)


def test_list_huge_page_is_empty(client, make_user):
    make_user()
    response = client.get(f"/users?page={10**30}")
    assert (response.status_code, response.json) == (200, [])
    assert pagination(response) == {"total": 1, "total_pages": 1, "first_page": 1, "last_page": 1}


def test_email_is_shown_to_self_and_admins_only(client, make_user, make_admin):
    alice, bob, admin = make_user("alice"), make_user("bob"), make_admin("root")
    private = {
        "id": alice["id"],
        "username": "alice",
        "created_at": alice["created_at"],
        "email": "alice@example.com",
        "is_admin": False,
        **NO_FOLLOWS,
    }
    public = {key: private[key] for key in PUBLIC_KEYS}

    # `followed` comes with a token: whether the caller follows this user.
    assert client.get(f"/users/{alice['id']}").json == public
    assert client.get(f"/users/{alice['id']}", headers=bob["headers"]).json == {**public, "followed": False}
    assert client.get(f"/users/{alice['id']}", headers=alice["headers"]).json == {
        **private,
        "followed": False,
    }
    # Admins also see whether a ban is in force.
    assert client.get(f"/users/{alice['id']}", headers=admin["headers"]).json == {
        **private,
        "followed": False,
        "banned": False,
    }


def test_a_bad_token_on_a_public_profile_is_still_401(client, make_user):
    alice = make_user()
    response = client.get(f"/users/{alice['id']}", headers={"Authorization": "Bearer not.a.jwt"})
    assert response.status_code == 401
    assert response.json == error(401, "invalid_token", "The token is invalid.")


@pytest.mark.parametrize("path", ["999", "abc", "0", str(10**30)])
def test_unknown_user_is_json_404(client, path):
    response = client.get(f"/users/{path}")
    assert response.status_code == 404
    message = f"User {path} not found." if path == "999" else "The requested resource was not found."
    assert response.json == not_found(message)


def test_patch_self_changes_username_and_email(client, make_user, login):
    alice = make_user("alice")

    response = client.patch(
        f"/users/{alice['id']}",
        json={"username": "alice_2", "email": "Alice.New@Example.COM", "current_password": PASSWORD},
        headers=alice["headers"],
    )

    assert response.status_code == 200
    assert response.json == {
        "id": alice["id"],
        "username": "alice_2",
        "email": "alice.new@example.com",
        "is_admin": False,
        "created_at": alice["created_at"],
        **NO_FOLLOWS,
    }
    assert client.get("/auth/me", headers=alice["headers"]).json["username"] == "alice_2"
    assert login("ALICE_2")["token_type"] == "Bearer"
    assert login("alice.new@example.com")["token_type"] == "Bearer"


def test_patch_self_may_change_only_the_case_of_the_username(client, make_user):
    alice = make_user("alice")
    response = client.patch(f"/users/{alice['id']}", json={"username": "Alice"}, headers=alice["headers"])
    assert response.status_code == 200
    assert response.json["username"] == "Alice"


def test_patch_another_user_is_403_and_changes_nothing(client, make_user):
    alice, bob = make_user("alice"), make_user("bob")
    response = client.patch(f"/users/{alice['id']}", json={"username": "owned"}, headers=bob["headers"])
    assert response.status_code == 403
    assert response.json == FORBIDDEN
    assert client.get(f"/users/{alice['id']}").json["username"] == "alice"


def test_admin_may_patch_another_user(client, make_user, make_admin):
    alice, admin = make_user("alice"), make_admin("root")
    response = client.patch(f"/users/{alice['id']}", json={"username": "renamed"}, headers=admin["headers"])
    assert response.status_code == 200
    assert response.json["username"] == "renamed"
    assert client.get(f"/users/{alice['id']}").json["username"] == "renamed"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "BOB"}, "username"),
        ({"username": "bob"}, "username"),
        ({"email": "BOB@example.com", "current_password": PASSWORD}, "email"),
    ],
    ids=["username-upper", "username", "email-upper"],
)
def test_taken_username_or_email_is_409(client, make_user, body, field):
    alice, _ = make_user("alice"), make_user("bob")

    response = client.patch(f"/users/{alice['id']}", json=body, headers=alice["headers"])

    assert response.status_code == 409
    assert response.json == error(409, f"{field}_taken", f"That {field} is already taken.")
    profile = client.get(f"/users/{alice['id']}", headers=alice["headers"]).json
    assert (profile["username"], profile["email"]) == ("alice", "alice@example.com")


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"is_admin": True}, {"is_admin": ["Unknown field."]}),
        ({"id": 99}, {"id": ["Unknown field."]}),
        ({"password_hash": "x"}, {"password_hash": ["Unknown field."]}),
        ({"created_at": "2020-01-01T00:00:00Z"}, {"created_at": ["Unknown field."]}),
        ({"username": "no spaces"}, {"username": ["3 to 30 letters, digits, '_' or '-'."]}),
        ({"username": "ab"}, {"username": ["3 to 30 letters, digits, '_' or '-'."]}),
        ({"username": None}, {"username": ["Field may not be null."]}),
        ({"email": "not-an-email"}, {"email": ["Not a valid email address."]}),
    ],
    ids=lambda v: str(v)[:20],
)
def test_patch_refuses_unknown_forbidden_or_invalid_fields(client, make_admin, body, errors):
    # Even an admin cannot set is_admin through the API.
    admin = make_admin("root")
    response = client.patch(f"/users/{admin['id']}", json=body, headers=admin["headers"])
    assert response.status_code == 422
    assert response.json == validation_error("json", errors)
    profile = client.get(f"/users/{admin['id']}", headers=admin["headers"]).json
    assert (profile["id"], profile["username"], profile["is_admin"]) == (admin["id"], "root", True)


def test_patch_needs_a_token(client, make_user):
    alice = make_user()
    response = client.patch(f"/users/{alice['id']}", json={"username": "nobody"})
    assert response.status_code == 401
    assert response.json["error"] == "authorization_required"


def test_list_default_page_size_is_20(client, app):
    with app.app_context():
        for n in range(21):
            user = User(username=f"member{n}", email=f"member{n}@example.com", password_hash="x")
            db.session.add(user)
        db.session.commit()
    response = client.get("/users")
    assert len(response.json) == 20
    assert pagination(response)["next_page"] == 2


# --- unique usernames and emails ----------------------------------------------------------------

USERNAME_TAKEN = error(409, "username_taken", "That username is already taken.")
EMAIL_TAKEN = error(409, "email_taken", "That email is already taken.")


def register_account(client: FlaskClient, username: str, email: str):  # type: ignore[no-untyped-def]
    return client.post("/auth/register", json={"username": username, "email": email, "password": PASSWORD})


def user_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(db.select(func.count()).select_from(User))


@pytest.mark.parametrize(
    ("username", "email", "expected"),
    [
        ("ALICE", "other@example.com", USERNAME_TAKEN),
        ("aLiCe", "other@example.com", USERNAME_TAKEN),
        ("bob", "ALICE@EXAMPLE.COM", EMAIL_TAKEN),
    ],
)
def test_register_refuses_a_name_or_email_differing_only_in_case(
    app: Flask, client: FlaskClient, username: str, email: str, expected: dict
) -> None:
    assert register_account(client, "Alice", "alice@example.com").status_code == 201
    response = register_account(client, username, email)
    assert (response.status_code, response.json) == (409, expected)
    assert user_count(app) == 1


def test_emails_that_only_look_alike_are_different_accounts(app: Flask, client: FlaskClient) -> None:
    """MySQL's default collation would call these equal (accents, ß = ss); the database does not.
    The API takes no such address any more (it could not mail it), but rows stored before stay
    apart, and their owners still log in by them."""
    with app.app_context():
        for username, email in [("jose", "jose@example.com"), ("jose2", "josé@example.com")]:
            db.session.add(User(username=username, email=email, password_hash="x"))
        db.session.add(User(username="strasse", email="strasse@example.de", password_hash="x"))
        db.session.add(User(username="strasse2", email="straße@example.de", password_hash="x"))
        db.session.commit()
        assert user_count(app) == 4
        found = db.session.execute(
            db.select(User.username).where(User.email == "josé@example.com")
        ).scalar_one()
        assert found == "jose2"
    response = register_account(client, "jose3", "josé@example.com")
    assert response.status_code == 422
    assert user_count(app) == 4


def test_login_is_case_insensitive_for_username_and_email(client: FlaskClient) -> None:
    assert register_account(client, "Alice", "alice@example.com").status_code == 201
    for login in ("alice", "ALICE", "Alice@Example.COM"):
        response = client.post("/auth/login", json={"username": login, "password": PASSWORD})
        assert response.status_code == 200, (login, response.json)


def test_renaming_onto_another_users_name_in_other_case_is_409(client: FlaskClient, make_user) -> None:
    alice = make_user("Alice")
    bob = make_user("bob")
    for change, expected in (
        ({"username": "ALICE"}, USERNAME_TAKEN),
        ({"email": alice["email"].upper(), "current_password": PASSWORD}, EMAIL_TAKEN),
    ):
        response = client.patch(f"/users/{bob['id']}", json=change, headers=bob["headers"])
        assert (response.status_code, response.json) == (409, expected)
    assert client.get("/auth/me", headers=bob["headers"]).json["username"] == "bob"
    # Changing the case of one's own name is not a conflict.
    response = client.patch(f"/users/{alice['id']}", json={"username": "ALICE"}, headers=alice["headers"])
    assert (response.status_code, response.json["username"]) == (200, "ALICE")


@pytest.mark.parametrize(
    ("username", "email"), [("ALICE", "other@example.com"), ("other", "Alice@EXAMPLE.com")]
)
def test_the_database_itself_refuses_duplicates(app: Flask, username: str, email: str) -> None:
    """Not only the API's friendly pre-check: the unique indexes hold for any writer."""
    with app.app_context():
        db.session.add(User(username="alice", email="alice@example.com", password_hash="x"))
        db.session.commit()
        db.session.add(User(username=username, email=email, password_hash="x"))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
