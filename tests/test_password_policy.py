"""The password policy: common, whitespace-only and name-bearing passwords are refused
(422 on `password`), on register and on password change, by security.password_policy_errors."""

from __future__ import annotations

import pytest

from db import db
from models import User
from security.passwords import common_passwords, password_policy_errors
from tests.conftest import PASSWORD, bearer
from tests.support import validation_error

LENGTH = "Length must be between 8 and 128."
COMMON = "This password is one of the most common ones: choose another."
WHITESPACE = "The password cannot be only whitespace."
HAS_USERNAME = "The password must not contain the username."
HAS_EMAIL = "The password must not contain the part of the email address before the @."

ALICE = {"username": "alice", "email": "alice.smith@example.com"}


@pytest.mark.parametrize(
    ("password", "account", "expected"),
    [
        (PASSWORD, ALICE, []),
        ("a much better passphrase", ALICE, []),
        # Length, whitespace.
        ("seven77", ALICE, [LENGTH]),
        ("x" * 129, ALICE, [LENGTH]),
        ("x" * 128, ALICE, []),
        (" " * 8, ALICE, [WHITESPACE]),
        ("\t \n \u3000\u00a0  ", ALICE, [WHITESPACE]),
        # Common passwords: the list's own entries, in any letter case, with surrounding spaces.
        ("password", ALICE, [COMMON]),
        ("12345678", ALICE, [COMMON]),
        ("iloveyou", ALICE, [COMMON]),
        ("qwertyuiop", ALICE, [COMMON]),
        ("PassWord", ALICE, [COMMON]),
        ("  password  ", ALICE, [COMMON]),
        ("password is fine", ALICE, []),  # containing a common password is not being one
        # The username, case-insensitively, anywhere.
        ("alice-in-chains", ALICE, [HAS_USERNAME]),
        ("my name is ALICE!", ALICE, [HAS_USERNAME]),
        ("bob is my uncle", {"username": "bob", "email": "x9@example.com"}, [HAS_USERNAME]),
        # The email's local part, and that part without a +tag; not the domain.
        ("i am Alice.Smith", {"username": "zed", "email": "alice.smith@example.com"}, [HAS_EMAIL]),
        ("jsmith forever", {"username": "zed", "email": "jsmith+boards@example.com"}, [HAS_EMAIL]),
        ("example.com rocks", {"username": "zed", "email": "alice.smith@example.com"}, []),
        # Local parts (and usernames) shorter than 3 characters are not looked for.
        ("ab cd ef gh", {"username": "zed", "email": "ab@example.com"}, []),
        ("jo jo jo jo", {"username": "zed", "email": "jo+x@example.com"}, []),
        # Every reason at once.
        ("alice", {"username": "alice", "email": "alice@example.com"}, [LENGTH]),
        ("alice!is!me", {"username": "alice", "email": "alice@example.com"}, [HAS_USERNAME, HAS_EMAIL]),
        (
            "superman",
            {"username": "superman", "email": "superman@example.com"},
            [COMMON, HAS_USERNAME, HAS_EMAIL],
        ),
    ],
)
def test_password_policy_table(password, account, expected):
    assert password_policy_errors(password, **account) == expected


def test_the_list_is_zxcvbns_and_large_enough():
    common = common_passwords()
    assert len(common) >= 10_000
    assert len([word for word in common if 8 <= len(word) <= 128]) >= 10_000
    assert {"password", "12345678", "trustno1", "sunshine"} <= common
    assert PASSWORD not in common


# --- over HTTP: register ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"username": "alice", "email": "alice@example.com", "password": "password"}, [COMMON]),
        ({"username": "alice", "email": "alice@example.com", "password": "12345678"}, [COMMON]),
        ({"username": "alice", "email": "alice@example.com", "password": " " * 8}, [WHITESPACE]),
        ({"username": "alice", "email": "a@example.com", "password": "Alice1234"}, [HAS_USERNAME]),
        ({"username": "zed", "email": "jsmith@example.com", "password": "JSmith2024"}, [HAS_EMAIL]),
        (
            {"username": "alice", "email": "alice@example.com", "password": "alice!alice!"},
            [HAS_USERNAME, HAS_EMAIL],
        ),
    ],
)
def test_register_refuses_weak_passwords(client, app, body, errors):
    response = client.post("/auth/register", json=body)
    assert (response.status_code, response.json) == (422, validation_error("json", {"password": errors}))
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 0


def test_register_reports_the_password_with_the_other_fields(client):
    body = {"username": "a b", "email": "alice@example.com", "password": "alice is here"}
    response = client.post("/auth/register", json=body)
    assert response.json["errors"] == {
        "json": {"username": ["3 to 30 letters, digits, '_' or '-'."], "password": [HAS_EMAIL]}
    }


def test_the_fixture_password_is_accepted(register, login):
    user = register("alice", "alice@example.com", PASSWORD)
    assert login("alice", PASSWORD)["token_type"] == "Bearer"
    assert user["username"] == "alice"


# --- over HTTP: password change ----------------------------------------------------------------------


def change(client, user, password, **extra):
    body = {"password": password, "current_password": PASSWORD, **extra}
    return client.patch(f"/users/{user['id']}", json=body, headers=bearer(user["access_token"]))


@pytest.mark.parametrize(
    ("password", "extra", "errors"),
    [
        ("password", {}, [COMMON]),
        (" \u3000" * 5, {}, [WHITESPACE]),  # tabs are control characters: refused by the schema
        ("I am {username}!", {}, [HAS_USERNAME, HAS_EMAIL]),  # the fixture's email is <username>@…
        # Judged against the names the account will have after the change.
        ("new name: renamed_user", {"username": "renamed_user"}, [HAS_USERNAME]),
        ("mail me at jsmith", {"email": "jsmith@example.com"}, [HAS_EMAIL]),
    ],
)
def test_password_change_refuses_weak_passwords(client, make_user, login, password, extra, errors):
    user = make_user()
    response = change(client, user, password.format(username=user["username"]), **extra)
    assert (response.status_code, response.json) == (422, validation_error("json", {"password": errors}))
    # Nothing changed: the old password and the old name still log in.
    assert login(user["username"], PASSWORD)["token_type"] == "Bearer"
    assert client.get(f"/users/{user['id']}").json["username"] == user["username"]


def test_a_refused_new_password_is_reported_before_the_current_one_is_checked(client, make_user):
    user = make_user()
    response = change(client, user, "password", current_password="not my password")
    assert response.json["errors"] == {"json": {"password": [COMMON]}}


def test_openapi_states_the_rules(client):
    schemas = client.get("/openapi.json").json["components"]["schemas"]
    for name in ("UserCreate", "UserUpdate"):
        description = schemas[name]["properties"]["password"]["description"]
        assert "30,000 most common passwords" in description
        assert "username" in description
