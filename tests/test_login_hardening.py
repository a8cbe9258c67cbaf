"""Login rate limiting (per address + username) and login timing."""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from db import db
from tests.conftest import PASSWORD, error, make_app
from tests.servers import free_port

RATE_LIMITED = error(429, "rate_limited", "Too many login attempts: wait before trying again.")
INVALID = error(401, "invalid_credentials", "Invalid username or password.")


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


def test_the_sixth_attempt_in_a_minute_gets_429_with_retry_after(client, register):
    user = register()
    for _ in range(5):
        response = attempt(client, user["username"])
        assert (response.status_code, response.json) == (401, INVALID)
        assert "Retry-After" not in response.headers

    refused = attempt(client, user["username"], PASSWORD)  # even the right password now

    assert (refused.status_code, refused.json) == (429, RATE_LIMITED)
    assert refused.content_type == "application/json"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60


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


def test_invalid_login_bodies_count_and_never_break_the_key(client):
    for body in ([], "text", {"username": 5}, {"username": "\ud800x"}):
        assert client.post("/auth/login", json=body).status_code == 422


def test_only_login_is_limited(client, make_user):
    user = make_user()
    for _ in range(10):
        assert client.get("/auth/me", headers=user["headers"]).status_code == 200


def test_openapi_documents_the_429(client):
    responses = client.get("/openapi.json").json["paths"]["/auth/login"]["post"]["responses"]
    assert responses["429"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    assert responses["429"]["headers"]["Retry-After"]["schema"] == {"type": "integer", "minimum": 1}


# --- Redis storage: counters shared by every instance ----------------------------------------------


@pytest.fixture
def redis_url(tmp_path) -> Iterator[str]:
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed (.ci/run installs it)")
    port = free_port()
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.slow
def test_with_redis_the_count_is_shared_by_instances(tmp_path, redis_url):
    database_url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'shared.db'}"
    first = fresh_app(database_url, REDIS_URL=redis_url)
    second = make_app(database_url, REDIS_URL=redis_url)
    username = f"shared_{os.getpid()}_{time.time_ns()}"
    statuses = [attempt(first.test_client(), username).status_code for _ in range(3)]
    statuses += [attempt(second.test_client(), username).status_code for _ in range(3)]
    assert statuses == [401, 401, 401, 401, 401, 429]
    keys = redis.Redis.from_url(redis_url).keys("*")
    assert keys and all(key.startswith(b"LIMITS:LIMITER/board-api-login/") for key in keys)


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
