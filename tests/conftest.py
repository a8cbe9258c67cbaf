"""A fresh app and database per test (flaskr style), with chained user/token factories."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from db import db
from ops.mailer import outbox
from tests.databases import ON_MYSQL, TEST_DATABASE_URL, SharedDatabase, scratch_database
from tests.servers import REDIS_SERVER, RedisServer
from tests.smtp_server import SmtpServer
from tests.support import create_board
from tests.support_comments import post_comment

TEST_SECRET = "test-secret-that-is-long-enough-for-hs256-0123456789"
PASSWORD = "correct horse battery"
# The suite registers and logs in many users per test from one address (16-way races included):
# every rate limit is generous unless a test sets a small one, through make_app(url, **overrides)
# or by overriding the `app_config` fixture.
GENEROUS_RATE_LIMITS = {
    "LOGIN_RATE_LIMIT": "10000 per hour",
    "LOGIN_ADDRESS_RATE_LIMIT": "10000 per hour",
    "REGISTER_RATE_LIMIT": "10000 per hour",
    "REFRESH_RATE_LIMIT": "10000 per hour",
    "PASSWORD_RESET_RATE_LIMIT": "10000 per hour",
    "PASSWORD_RESET_CONFIRM_RATE_LIMIT": "10000 per hour",
}


@pytest.fixture(autouse=True)
def rate_limit_file(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> str:
    """Rate-limit counters of this test alone (the file that workers share, security/rate_limit_store.py):
    in its own folder, read by apps made in-process and by the servers a test starts."""
    path = str(tmp_path_factory.mktemp("limits") / "rate-limits.sqlite3")
    monkeypatch.setenv("RATE_LIMIT_FILE", path)
    return path


def make_app(database_url: str, **overrides: Any) -> Flask:
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "JWT_SECRET_KEY": TEST_SECRET,
        **GENEROUS_RATE_LIMITS,
        **overrides,
    }
    return create_app(config)


@pytest.fixture(scope="session", autouse=True)
def shared_database() -> Iterator[SharedDatabase | None]:
    """With TEST_DATABASE_URL=mysql+pymysql://…: the server database, its schema made once (at the
    session's start: a test that connects to it by its URL alone finds it there)."""
    if not ON_MYSQL:
        yield None
        return
    shared = SharedDatabase(TEST_DATABASE_URL)
    shared.create_schema()
    yield shared
    shared.dispose()


@pytest.fixture
def database_url(tmp_path, shared_database: SharedDatabase | None) -> str:
    """A fresh database per test: a new SQLite file, or the server database emptied."""
    if shared_database is None:
        return f"sqlite:///{tmp_path / 'test.db'}"
    shared_database.empty()
    return shared_database.url


@pytest.fixture
def empty_database_url(tmp_path) -> Iterator[str]:
    """A database with no tables at all (for migrations): a new SQLite file, or a scratch database."""
    if not ON_MYSQL:
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    with scratch_database(TEST_DATABASE_URL, "scratch") as url:
        yield url


@pytest.fixture
def app_config() -> dict[str, Any]:
    """Config overrides of the `app` fixture: a test sets small rate limits with
    `@pytest.mark.parametrize("app_config", [{"REGISTER_RATE_LIMIT": "2 per hour"}])`."""
    return {}


@pytest.fixture(scope="session")
def spec() -> dict[str, Any]:
    """The OpenAPI document of an app with the default configuration, built once per run."""
    return make_app("sqlite://").test_client().get("/openapi.json").json


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on a free port of 127.0.0.1 for one test: a test's app sends
    through it when its `app_config` returns `mail_config(smtp)`."""
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def app(database_url: str, app_config: dict[str, Any]) -> Iterator[Flask]:
    app = make_app(database_url, **app_config)
    if not ON_MYSQL:  # the server database already has its schema (see shared_database)
        with app.app_context():
            db.drop_all()
            db.create_all()
    yield app
    outbox.wait_idle()  # mail jobs of this test (password reset) run before its database goes
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def redis_server(tmp_path) -> Iterator[RedisServer]:
    """A private redis-server for one test (skipped where none is installed; .ci/run installs it)."""
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed")
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def register(client: FlaskClient) -> Callable[..., dict[str, Any]]:
    def register(
        username: str | None = None, email: str | None = None, password: str = PASSWORD
    ) -> dict[str, Any]:
        username = username or f"user_{uuid.uuid4().hex[:8]}"
        response = client.post(
            "/auth/register",
            json={"username": username, "email": email or f"{username}@example.com", "password": password},
        )
        assert response.status_code == 201, response.json
        return response.json

    return register


@pytest.fixture
def login(client: FlaskClient) -> Callable[..., dict[str, Any]]:
    def login(username: str, password: str = PASSWORD) -> dict[str, Any]:
        response = client.post("/auth/login", json={"username": username, "password": password})
        assert response.status_code == 200, response.json
        return response.json

    return login


@pytest.fixture
def make_user(register, login) -> Callable[..., dict[str, Any]]:
    """A registered, logged-in user: its profile, tokens and ready Authorization headers."""

    def make_user(username: str | None = None) -> dict[str, Any]:
        user = register(username)
        tokens = login(user["username"])
        return {**user, **tokens, "headers": bearer(tokens["access_token"])}

    return make_user


@pytest.fixture
def make_admin(app: Flask, make_user) -> Callable[..., dict[str, Any]]:
    def make_admin(username: str | None = None) -> dict[str, Any]:
        user = make_user(username)
        result = app.test_cli_runner().invoke(args=["users", "make-admin", user["username"]])
        assert result.exit_code == 0, result.output
        # Log in again: the is_admin claim is set at login.
        tokens = (
            app.test_client()
            .post("/auth/login", json={"username": user["username"], "password": PASSWORD})
            .json
        )
        return {**user, **tokens, "headers": bearer(tokens["access_token"])}

    return make_admin


# The cast of the community tests: alice writes `board`, bob comments on it (`comment`), carol
# looks on. A module that needs another shape of any of them defines its own fixture of that name.
@pytest.fixture
def alice(make_user) -> dict[str, Any]:
    return make_user("alice")


@pytest.fixture
def bob(make_user) -> dict[str, Any]:
    return make_user("bob")


@pytest.fixture
def carol(make_user) -> dict[str, Any]:
    return make_user("carol")


@pytest.fixture
def board(client: FlaskClient, alice: dict[str, Any]) -> dict[str, Any]:
    return create_board(client, alice, title="Alice's board")


@pytest.fixture
def comment(client: FlaskClient, bob: dict[str, Any], board: dict[str, Any]) -> dict[str, Any]:
    return post_comment(client, bob, board["id"], "Bob was here")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def error(status: int, error_code: str, message: str) -> dict[str, Any]:
    """The whole error body (errors.py's one error shape)."""
    from http import HTTPStatus

    return {"code": status, "status": HTTPStatus(status).phrase, "message": message, "error": error_code}
