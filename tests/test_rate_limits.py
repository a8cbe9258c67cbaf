"""Rate limits besides login's (tests/test_login_hardening.py): registrations per address (with the
name conflicts of profile changes), refreshes per address, wrong current passwords counted with
failed logins; their headers, their settings and their OpenAPI documentation."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from app import Config
from security.rate_limits import token_user_key
from tests.conftest import PASSWORD, bearer, error

NEW_PASSWORD = "a much better passphrase"
REGISTRATIONS = error(
    429, "rate_limited", "Too many registrations from this address: wait before trying again."
)
REFRESHES = error(429, "rate_limited", "Too many refreshes from this address: wait before trying again.")
FAILED_LOGINS = error(
    429,
    "rate_limited",
    "Too many failed logins for this account from this address: wait before trying again.",
)
WRONG_PASSWORDS = error(
    429,
    "rate_limited",
    "Too many wrong passwords for this account from this address: wait before trying again.",
)
OTHER_ADDRESS = {"REMOTE_ADDR": "192.0.2.7"}


def assert_limit_headers(response: Any, limit: int, remaining: int, window: int) -> None:
    assert int(response.headers["X-RateLimit-Limit"]) == limit
    assert int(response.headers["X-RateLimit-Remaining"]) == remaining
    assert int(response.headers["X-RateLimit-Reset"]) > 0
    if response.status_code == 429:
        assert 1 <= int(response.headers["Retry-After"]) <= window
    else:
        assert "Retry-After" not in response.headers


def test_the_defaults_are_the_contracts():
    config = Config.from_env({})
    assert {key: config[key] for key in config if key.endswith("RATE_LIMIT")} == {
        "LOGIN_RATE_LIMIT": "5 per minute",
        "LOGIN_ADDRESS_RATE_LIMIT": "30 per minute",
        "REGISTER_RATE_LIMIT": "10 per hour",
        "REFRESH_RATE_LIMIT": "60 per minute",
        "MESSAGE_RATE_LIMIT": "30 per minute",
        "PASSWORD_RESET_RATE_LIMIT": "5 per hour",
        "PASSWORD_RESET_CONFIRM_RATE_LIMIT": "10 per minute",
    }


def test_each_limit_is_read_from_the_environment():
    names = (
        "LOGIN_RATE_LIMIT",
        "LOGIN_ADDRESS_RATE_LIMIT",
        "REGISTER_RATE_LIMIT",
        "REFRESH_RATE_LIMIT",
        "PASSWORD_RESET_RATE_LIMIT",
        "PASSWORD_RESET_CONFIRM_RATE_LIMIT",
    )
    config = Config.from_env({name: f"{n + 1} per day" for n, name in enumerate(names)})
    assert [config[name] for name in names] == [f"{n} per day" for n in range(1, 7)]


# --- registrations per address -----------------------------------------------------------------------


def register(client: FlaskClient, name: str, password: str = PASSWORD, **environ: str) -> Any:
    body = {"username": name, "email": f"{name}@example.com", "password": password}
    return client.post("/auth/register", json=body, environ_base=environ)


@pytest.mark.parametrize("app_config", [{"REGISTER_RATE_LIMIT": "3 per hour"}])
def test_registrations_per_address(client, app):
    first = register(client, "alice")
    assert first.status_code == 201
    assert_limit_headers(first, 3, 2, 3600)
    # Every attempt counts, whatever its outcome: a taken name, an invalid body.
    assert register(client, "alice").status_code == 409
    assert register(client, "bob", password="password").status_code == 422

    refused = register(client, "carol")

    assert (refused.status_code, refused.json) == (429, REGISTRATIONS)
    assert_limit_headers(refused, 3, 0, 3600)
    assert [user["username"] for user in client.get("/users").json] == ["alice"]
    # Another address registers.
    assert register(client, "carol", **OTHER_ADDRESS).status_code == 201


# --- username and email conflicts of profile changes, counted with registrations ---------------------

NAME_PROBES = error(
    429,
    "rate_limited",
    "Too many registrations and taken names from this address: wait before trying again.",
)


def patch_user(client: FlaskClient, user: dict[str, Any], body: dict[str, Any], **environ: str) -> Any:
    return client.patch(f"/users/{user['id']}", json=body, headers=user["headers"], environ_base=environ)


@pytest.mark.parametrize("app_config", [{"REGISTER_RATE_LIMIT": "5 per hour"}])
def test_profile_conflicts_count_with_registrations(client, make_user):
    """Probing emails through PATCH costs what probing them through registration does."""
    alice = make_user("alice")
    make_user("bob")  # two registrations of 5
    change = {"email": "bob@example.com", "current_password": PASSWORD}
    # A change that finds no clash costs nothing; the ones that do each cost one.
    assert patch_user(client, alice, {"username": "alice2"}).status_code == 200
    taken_email = patch_user(client, alice, change)
    taken_name = patch_user(client, alice, {"username": "BOB"})
    assert [taken_email.json["error"], taken_name.json["error"]] == ["email_taken", "username_taken"]
    assert_limit_headers(taken_name, 5, 1, 3600)
    assert register(client, "carol").status_code == 201  # the fifth

    # Spent: a taken name and a free one answer alike, so nothing more is learnt.
    taken = patch_user(client, alice, change)
    free = patch_user(client, alice, {"email": "nobody@example.com", "current_password": PASSWORD})
    rename = patch_user(client, alice, {"username": "alice3"})
    assert [(r.status_code, r.json) for r in (taken, free, rename)] == [(429, NAME_PROBES)] * 3
    assert_limit_headers(taken, 5, 0, 3600)
    refused = register(client, "dave")
    assert (refused.status_code, refused.json) == (429, REGISTRATIONS)
    # What cannot clash is not held back; another address still changes names.
    assert (
        patch_user(
            client, alice, {"password": "a much better passphrase", "current_password": PASSWORD}
        ).status_code
        == 200
    )
    assert patch_user(client, alice, {"username": "alice3"}, **OTHER_ADDRESS).status_code == 200
    assert client.get(f"/users/{alice['id']}", headers=alice["headers"]).json["email"] == "alice@example.com"


@pytest.mark.parametrize("app_config", [{"REGISTER_RATE_LIMIT": "3 per hour"}])
def test_registrations_stop_profile_conflicts_before_they_are_tried(client, make_user):
    alice = make_user("alice")
    assert register(client, "bob").status_code == 201
    assert register(client, "bob").status_code == 409

    response = patch_user(client, alice, {"email": "bob@example.com", "current_password": PASSWORD})

    assert (response.status_code, response.json) == (429, NAME_PROBES)
    assert 1 <= int(response.headers["Retry-After"]) <= 3600


# --- refreshes per address -----------------------------------------------------------------------


@pytest.mark.parametrize("app_config", [{"REFRESH_RATE_LIMIT": "2 per minute"}])
def test_refreshes_per_address(client, make_user):
    user = make_user()
    token = user["refresh_token"]
    for remaining in (1, 0):
        response = client.post("/auth/refresh", headers=bearer(token))
        assert response.status_code == 200
        assert_limit_headers(response, 2, remaining, 60)
        token = response.json["refresh_token"]

    refused = client.post("/auth/refresh", headers=bearer(token))
    # Even without a token: the budget is checked before anything else.
    anonymous = client.post("/auth/refresh")

    assert (refused.status_code, refused.json) == (429, REFRESHES)
    assert (anonymous.status_code, anonymous.json) == (429, REFRESHES)
    assert_limit_headers(refused, 2, 0, 60)
    # The refused request did not use the token up: it still rotates, from another address.
    assert client.post("/auth/refresh", headers=bearer(token), environ_base=OTHER_ADDRESS).status_code == 200


# --- wrong current passwords, counted with failed logins ---------------------------------------------


def change_password(client: FlaskClient, user: dict[str, Any], current: str) -> Any:
    body = {"password": NEW_PASSWORD, "current_password": current}
    return client.patch(f"/users/{user['id']}", json=body, headers=user["headers"])


def try_login(client: FlaskClient, username: str, password: str, **environ: str) -> Any:
    body = {"username": username, "password": password}
    return client.post("/auth/login", json=body, environ_base=environ)


@pytest.mark.parametrize("app_config", [{"LOGIN_RATE_LIMIT": "3 per minute"}])
def test_wrong_current_passwords_use_the_failed_login_budget(client, make_user):
    user = make_user()
    assert try_login(client, user["username"], "wrong guess").status_code == 401
    for remaining in (1, 0):
        response = change_password(client, user, "another wrong guess")
        assert (response.status_code, response.json["error"]) == (422, "wrong_current_password")
        assert int(response.headers["X-RateLimit-Remaining"]) == remaining

    patch_refused = change_password(client, user, PASSWORD)  # the right one, too late
    login_refused = try_login(client, user["username"], PASSWORD)

    assert (patch_refused.status_code, patch_refused.json) == (429, WRONG_PASSWORDS)
    assert_limit_headers(patch_refused, 3, 0, 60)
    assert (login_refused.status_code, login_refused.json) == (429, FAILED_LOGINS)
    # Not a password check: a rename is not held back by this budget.
    rename = client.patch(f"/users/{user['id']}", json={"username": "renamed"}, headers=user["headers"])
    assert rename.status_code == 200
    # The same account from another address is not affected.
    assert try_login(client, "renamed", PASSWORD, **OTHER_ADDRESS).status_code == 200


@pytest.mark.parametrize("app_config", [{"LOGIN_RATE_LIMIT": "3 per minute"}])
def test_failed_logins_stop_password_changes(client, make_user):
    user = make_user()
    for _ in range(3):
        assert try_login(client, user["username"], "wrong guess").status_code == 401
    response = change_password(client, user, PASSWORD)
    assert (response.status_code, response.json) == (429, WRONG_PASSWORDS)
    assert try_login(client, user["username"], PASSWORD, **OTHER_ADDRESS).status_code == 200  # unchanged


@pytest.mark.parametrize("app_config", [{"LOGIN_RATE_LIMIT": "2 per minute"}])
def test_only_wrong_current_passwords_count(client, make_user, login):
    user = make_user()
    # A right current password, a refused new one, no token at all: none is a wrong password.
    assert change_password(client, user, PASSWORD).status_code == 200
    weak = {"password": "password", "current_password": NEW_PASSWORD}
    assert client.patch(f"/users/{user['id']}", json=weak, headers=user["headers"]).status_code == 422
    stranger = client.patch(f"/users/{user['id']}", json={"password": NEW_PASSWORD, "current_password": "x"})
    assert stranger.status_code == 401
    fresh = login(user["username"], NEW_PASSWORD)
    body = {"password": PASSWORD, "current_password": NEW_PASSWORD}
    response = client.patch(f"/users/{user['id']}", json=body, headers=bearer(fresh["access_token"]))
    assert response.status_code == 200
    assert response.headers["X-RateLimit-Remaining"] == "2"


# --- OpenAPI -------------------------------------------------------------------------------------


LIMITED = {
    ("/auth/login", "post"): ["LOGIN_RATE_LIMIT", "LOGIN_ADDRESS_RATE_LIMIT"],
    ("/auth/register", "post"): ["REGISTER_RATE_LIMIT"],
    ("/auth/refresh", "post"): ["REFRESH_RATE_LIMIT"],
    ("/users/{user_id}", "patch"): ["LOGIN_RATE_LIMIT", "REGISTER_RATE_LIMIT"],
    ("/messages", "post"): ["MESSAGE_RATE_LIMIT"],
    ("/auth/password-reset", "post"): ["PASSWORD_RESET_RATE_LIMIT"],
    ("/auth/password-reset/confirm", "post"): ["PASSWORD_RESET_CONFIRM_RATE_LIMIT"],
}
SUCCESS = {"/auth/register": "201", "/auth/password-reset": "202", "/messages": "201"}


def test_openapi_documents_each_limit(client):
    spec = client.get("/openapi.json").json
    for (path, method), settings in LIMITED.items():
        responses = spec["paths"][path][method]["responses"]
        limited = responses["429"]
        assert limited["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
        assert limited["content"]["application/json"]["example"]["error"] == "rate_limited"
        assert limited["headers"]["Retry-After"]["schema"] == {"type": "integer", "minimum": 1}
        assert limited["headers"]["Retry-After"]["required"] is True
        for setting in settings:
            assert f"`{setting}`" in limited["description"]
        success = responses[SUCCESS.get(path, "200")]
        for headers in (limited["headers"], success["headers"]):
            assert {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} <= set(headers)
    documented = [
        (path, method)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method != "parameters" and "429" in operation["responses"]
    ]
    assert sorted(documented) == sorted(LIMITED)


# --- the key for limits per user (messages and other resources reuse it) ------------------------------


def test_token_user_key_names_the_user_of_a_valid_access_token(app, make_user):
    user = make_user()
    cases = {
        "user": (f"Bearer {user['access_token']}", f"user:{user['id']}"),
        "refresh token": (f"Bearer {user['refresh_token']}", "192.0.2.7"),
        "no token": (None, "192.0.2.7"),
        "doubled prefix": (f"Bearer Bearer {user['access_token']}", "192.0.2.7"),
        "forged": (f"Bearer {user['access_token'][:-4]}AAAA", "192.0.2.7"),
    }
    for case, (authorization, expected) in cases.items():
        headers = {"Authorization": authorization} if authorization else {}
        with app.test_request_context(headers=headers, environ_base=OTHER_ADDRESS):
            assert token_user_key() == expected, case
