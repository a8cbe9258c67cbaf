"""PATCH /users/<id> with a new password: fresh token, current password, other logins revoked."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from tests.conftest import PASSWORD, bearer, error
from tests.test_token_revocation import assert_revoked, assert_working, refresh

NEW_PASSWORD = "a much better passphrase"
FRESH_REQUIRED = error(401, "fresh_token_required", "This action needs a fresh token: log in again.")


def change_password(
    client: FlaskClient, user: dict[str, Any], token: str, current: str = PASSWORD, **extra: Any
) -> Any:
    body = {"password": NEW_PASSWORD, "current_password": current, **extra}
    return client.patch(f"/users/{user['id']}", json=body, headers=bearer(token))


def login_status(client: FlaskClient, username: str, password: str) -> int:
    return client.post("/auth/login", json={"username": username, "password": password}).status_code


def test_password_change_revokes_other_logins_and_keeps_this_one(client, make_user, login):
    user = make_user()
    other = login(user["username"])
    bystander = make_user()

    response = change_password(client, user, user["access_token"])

    assert response.status_code == 200
    assert response.json == {
        "id": user["id"],
        "username": user["username"],
        "email": user["email"],
        "is_admin": False,
        "created_at": user["created_at"],
        "follower_count": 0,
        "following_count": 0,
    }
    assert_revoked(client, access=[other["access_token"]], refresh_tokens=[other["refresh_token"]])
    # The login that made the change goes on, refreshes included.
    rotated = refresh(client, user["refresh_token"]).json
    assert_working(client, access=[user["access_token"], rotated["access_token"]])
    assert_working(client, refresh_tokens=[rotated["refresh_token"]])
    assert_working(client, access=[bystander["access_token"]])
    assert login_status(client, user["username"], PASSWORD) == 401
    assert login_status(client, user["username"], NEW_PASSWORD) == 200


def test_a_later_change_from_another_login_revokes_the_first_one(client, make_user, login):
    user = make_user()
    assert change_password(client, user, user["access_token"]).status_code == 200
    second = login(user["username"], NEW_PASSWORD)

    response = client.patch(
        f"/users/{user['id']}",
        json={"password": PASSWORD, "current_password": NEW_PASSWORD},
        headers=bearer(second["access_token"]),
    )

    assert response.status_code == 200
    assert_revoked(client, access=[user["access_token"]], refresh_tokens=[user["refresh_token"]])
    assert_working(client, access=[second["access_token"]], refresh_tokens=[second["refresh_token"]])


def test_password_change_needs_a_fresh_token(client, make_user):
    user = make_user()
    not_fresh = refresh(client, user["refresh_token"]).json["access_token"]
    response = change_password(client, user, not_fresh)
    assert (response.status_code, response.json) == (401, FRESH_REQUIRED)
    assert login_status(client, user["username"], PASSWORD) == 200


def test_a_wrong_current_password_is_422_and_changes_nothing(client, make_user, login):
    user = make_user()
    other = login(user["username"])
    response = change_password(client, user, user["access_token"], current="not my password")
    assert (response.status_code, response.json) == (
        422,
        {
            **error(422, "wrong_current_password", "The current password is wrong."),
            "errors": {"json": {"current_password": ["Wrong password."]}},
        },
    )
    assert login_status(client, user["username"], PASSWORD) == 200
    assert_working(client, access=[other["access_token"]])


def test_username_and_password_change_together(client, make_user):
    user = make_user()
    response = change_password(client, user, user["access_token"], username="renamed_user")
    assert response.status_code == 200
    assert response.json["username"] == "renamed_user"
    assert login_status(client, "renamed_user", NEW_PASSWORD) == 200


def test_nothing_is_changed_when_the_password_part_is_refused(client, make_user):
    user = make_user()
    response = change_password(client, user, user["access_token"], current="wrong", username="renamed_user")
    assert response.status_code == 422
    assert client.get(f"/users/{user['id']}").json["username"] == user["username"]


def test_current_password_and_password_go_together(client, make_user):
    user = make_user()
    only_new = client.patch(f"/users/{user['id']}", json={"password": NEW_PASSWORD}, headers=user["headers"])
    only_current = client.patch(
        f"/users/{user['id']}", json={"current_password": PASSWORD}, headers=user["headers"]
    )
    assert (only_new.status_code, only_new.json["errors"]) == (
        422,
        {"json": {"current_password": ["Required to change the password."]}},
    )
    assert (only_current.status_code, only_current.json["errors"]) == (
        422,
        {"json": {"current_password": ["Only used with a new password or email."]}},
    )


def test_the_new_password_is_validated(client, make_user):
    user = make_user()
    response = change_password(client, user, user["access_token"], password="short")
    assert response.status_code == 422
    assert response.json["errors"] == {"json": {"password": ["Length must be between 8 and 128."]}}


def test_another_user_cannot_change_my_password(client, make_user):
    user, intruder = make_user(), make_user()
    response = change_password(client, user, intruder["access_token"])
    assert (response.status_code, response.json) == (
        403,
        error(403, "forbidden", "Only the owner or an admin may do this."),
    )


def test_an_admin_cannot_set_another_users_password(client, make_user, make_admin):
    user, admin = make_user(), make_admin()
    response = change_password(client, user, admin["access_token"])
    assert (response.status_code, response.json) == (
        403,
        error(403, "forbidden", "Only the user can change their own password."),
    )
    assert login_status(client, user["username"], PASSWORD) == 200
    assert_working(client, access=[user["access_token"]])
    # Admins still change usernames and emails.
    rename = client.patch(f"/users/{user['id']}", json={"username": "renamed_user"}, headers=admin["headers"])
    assert (rename.status_code, rename.json["username"]) == (200, "renamed_user")
