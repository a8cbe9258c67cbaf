"""Usernames and emails are unique case-insensitively, and mean the same on SQLite and MySQL:
enforced by unique indexes on normalised (lower-cased) values compared exactly, not by a collation."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError

from db import db
from models import User
from tests.conftest import PASSWORD, error

USERNAME_TAKEN = error(409, "username_taken", "That username is already taken.")
EMAIL_TAKEN = error(409, "email_taken", "That email is already taken.")


def register(client: FlaskClient, username: str, email: str):  # type: ignore[no-untyped-def]
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
    assert register(client, "Alice", "alice@example.com").status_code == 201
    response = register(client, username, email)
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
    response = register(client, "jose3", "josé@example.com")
    assert response.status_code == 422
    assert user_count(app) == 4


def test_login_is_case_insensitive_for_username_and_email(client: FlaskClient) -> None:
    assert register(client, "Alice", "alice@example.com").status_code == 201
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
