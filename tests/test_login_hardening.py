"""Login rate limits (failed logins per address + account, all logins per address), the hash
upgrade at login, and login timing."""

from __future__ import annotations

import statistics
import time
from typing import Any

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient

from db import db
from models import User
from tests.conftest import PASSWORD, error, make_app

FAILED_LOGINS = error(
    429,
    "rate_limited",
    "Too many failed logins for this account from this address: wait before trying again.",
)
ADDRESS_LOGINS = error(429, "rate_limited", "Too many logins from this address: wait before trying again.")
INVALID = error(401, "invalid_credentials", "Invalid username or password.")


@pytest.fixture
def app_config() -> dict[str, Any]:
    """The contract's defaults, set explicitly (conftest's are generous)."""
    return {"LOGIN_RATE_LIMIT": "5 per minute", "LOGIN_ADDRESS_RATE_LIMIT": "30 per minute"}


def attempt(
    client: FlaskClient, username: str, password: str = "wrong password", addr: str = "127.0.0.1"
) -> Any:
    return client.post(
        "/auth/login",
        json={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": addr},
    )


def fresh_app(database_url: str, **overrides: Any) -> Flask:
    app = make_app(database_url, **overrides)
    with app.app_context():
        db.create_all()
    return app


def limit_headers(response: Any) -> tuple[int, int]:
    """(X-RateLimit-Limit, X-RateLimit-Remaining), after checking X-RateLimit-Reset is a time ahead."""
    assert time.time() - 1 <= int(response.headers["X-RateLimit-Reset"]) <= time.time() + 3600
    return int(response.headers["X-RateLimit-Limit"]), int(response.headers["X-RateLimit-Remaining"])


def test_the_sixth_failed_login_in_a_minute_gets_429_with_retry_after(client, register):
    user = register()
    for _ in range(5):
        response = attempt(client, user["username"])
        assert (response.status_code, response.json) == (401, INVALID)
        assert "Retry-After" not in response.headers
        # Flask-Limiter's headers name the address limit until one is breached.
        assert response.headers["X-RateLimit-Limit"] == "30"

    refused = attempt(client, user["username"], PASSWORD)  # even the right password now

    assert (refused.status_code, refused.json) == (429, FAILED_LOGINS)
    assert refused.content_type == "application/json"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert limit_headers(refused) == (5, 0)


def test_a_correct_password_does_not_use_the_budget(client, register):
    user = register()
    for _ in range(8):
        assert attempt(client, user["username"], PASSWORD).status_code == 200
    statuses = [attempt(client, user["username"]).status_code for _ in range(6)]
    assert statuses == [401] * 5 + [429]


def test_the_limit_is_per_username_and_address(client, register):
    alice, bob = register(), register()
    for _ in range(5):
        attempt(client, alice["username"])
    assert attempt(client, alice["username"]).status_code == 429
    # Same address, another username: not affected.
    assert attempt(client, bob["username"], PASSWORD).status_code == 200
    # Same username from another address: not affected either.
    assert attempt(client, alice["username"], PASSWORD, addr="192.0.2.7").status_code == 200
    # The username is counted the way login looks it up: case-insensitively, trimmed.
    assert attempt(client, f"  {alice['username'].upper()} ").status_code == 429


def test_username_and_email_of_one_account_share_one_count(client, register):
    """Alternating between the username and the email buys no extra guesses."""
    alice = register()
    for name in [alice["username"], alice["email"]] * 2 + [alice["username"]]:
        assert attempt(client, name).status_code == 401
    assert attempt(client, alice["email"].upper()).status_code == 429
    assert attempt(client, alice["username"]).status_code == 429


def test_unknown_usernames_are_limited_too(client):
    for _ in range(5):
        assert attempt(client, "nobody_here").status_code == 401
    assert attempt(client, "nobody_here").status_code == 429


def test_the_limit_comes_from_login_rate_limit(tmp_path, register):
    app = fresh_app(f"sqlite:///{tmp_path / 'limit.db'}", LOGIN_RATE_LIMIT="2 per hour")
    client = app.test_client()
    assert [attempt(client, "someone").status_code for _ in range(3)] == [401, 401, 429]
    assert 3500 <= int(attempt(client, "someone").headers["Retry-After"]) <= 3600


def test_invalid_login_bodies_count_towards_the_limit(client, register):
    user = register()
    # Five refused bodies for one account (an empty password fails validation)...
    for _ in range(5):
        response = client.post("/auth/login", json={"username": user["username"], "password": ""})
        assert response.status_code == 422
    # ...and the sixth attempt, even a correct one, is refused.
    response = attempt(client, user["username"], PASSWORD)
    assert (response.status_code, response.json) == (429, FAILED_LOGINS)


def test_bodies_without_a_usable_username_share_one_count_and_never_break_the_key(client):
    for body in ([], "text", {"username": 5}, {"password": "x"}, {"username": ""}):
        assert client.post("/auth/login", json=body).status_code == 422
    assert client.post("/auth/login", json={"username": 7}).status_code == 429
    # A name that cannot be encoded has a count of its own.
    assert client.post("/auth/login", json={"username": "\ud800x"}).status_code == 422


def test_one_address_cannot_spray_a_password_over_many_accounts(client, register):
    """Every login from one address counts, whatever the account and the outcome."""
    users = [register() for _ in range(31)]
    statuses = [attempt(client, user["username"], "password").status_code for user in users[:30]]
    assert statuses == [401] * 30
    refused = attempt(client, users[30]["username"], PASSWORD)
    assert (refused.status_code, refused.json) == (429, ADDRESS_LOGINS)
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert limit_headers(refused) == (30, 0)
    # Another address is not affected.
    assert attempt(client, users[30]["username"], PASSWORD, addr="192.0.2.7").status_code == 200


def test_successful_logins_count_towards_the_address_limit(tmp_path, register):
    app = fresh_app(f"sqlite:///{tmp_path / 'limit.db'}", LOGIN_ADDRESS_RATE_LIMIT="3 per minute")
    client = app.test_client()
    client.post("/auth/register", json={"username": "alice", "email": "a@example.com", "password": PASSWORD})
    statuses = [attempt(client, "alice", PASSWORD).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_only_limited_operations_are_limited(client, make_user):
    user = make_user()
    for _ in range(10):
        response = client.get("/auth/me", headers=user["headers"])
        assert response.status_code == 200
        assert not {"X-RateLimit-Limit", "Retry-After"} & set(response.headers.keys())


def test_a_weaker_stored_hash_is_upgraded_at_login(app, client, register):
    user = register()
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(PASSWORD)
    with app.app_context():
        db.session.execute(db.update(User).where(User.id == user["id"]).values(password_hash=weak))
        db.session.commit()

    assert attempt(client, user["username"], PASSWORD).status_code == 200

    with app.app_context():
        stored = db.session.get(User, user["id"]).password_hash
    assert stored != weak
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert PasswordHasher().verify(stored, PASSWORD)
    # And it still logs in.
    assert attempt(client, user["username"], PASSWORD).status_code == 200


# --- timing --------------------------------------------------------------------------------------


@pytest.mark.slow
def test_unknown_user_and_wrong_password_take_about_as_long(tmp_path, register):
    app = fresh_app(f"sqlite:///{tmp_path / 'timing.db'}", LOGIN_RATE_LIMIT="1000 per minute")
    client = app.test_client()
    client.post(
        "/auth/register", json={"username": "known_user", "email": "known@example.com", "password": PASSWORD}
    )

    def timed(username: str) -> tuple[float, Any]:
        started = time.perf_counter()
        response = attempt(client, username)
        return time.perf_counter() - started, response

    attempt(client, "warm_up")
    unknown, wrong = [], []
    for i in range(7):
        elapsed, unknown_response = timed(f"nobody_{i}")
        unknown.append(elapsed)
        elapsed, wrong_response = timed("known_user")
        wrong.append(elapsed)
        assert (unknown_response.status_code, unknown_response.get_data()) == (
            wrong_response.status_code,
            wrong_response.get_data(),
        )
        assert unknown_response.json == INVALID
    ratio = statistics.median(unknown) / statistics.median(wrong)
    print(f"login timing: unknown {statistics.median(unknown):.4f}s, wrong {statistics.median(wrong):.4f}s")
    assert 0.5 < ratio < 2, (unknown, wrong)


def test_an_unknown_user_costs_one_full_password_check() -> None:
    """The dummy hash written out in models/user.py has the hasher's own parameters (a login for an
    unknown name costs what a wrong password costs), and is a real hash that passwords fail."""
    from argon2.exceptions import VerificationError

    from models import user

    assert not user._hasher.check_needs_rehash(user._DUMMY_HASH)
    for password in ("not-a-real-password-", "", "x" * 128):
        with pytest.raises(VerificationError):
            user._hasher.verify(user._DUMMY_HASH, password)
