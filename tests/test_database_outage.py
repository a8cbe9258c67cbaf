"""The database goes away under a running app: 503 JSON, quickly, never a 500; when it comes back,
requests succeed again without restarting the app.

The MariaDB tests stop and restart a server of their own (not the suite's), started by a fixture.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from db import db
from tests.conftest import PASSWORD, bearer, error, make_app
from tests.databases import requires_mysql
from tests.mariadb import MariaDB, find_program

UNAVAILABLE = error(503, "database_unavailable", "The database is unavailable; try again shortly.")

pytestmark = pytest.mark.slow
# Under make test-mysql; they start a server of their own, so they need MariaDB's programs too.
needs_own_mariadb = pytest.mark.skipif(
    not find_program("mariadbd"), reason="needs mariadbd to run a server of its own (make test-mysql)"
)


@pytest.fixture(scope="module")
def own_server_process() -> Iterator[MariaDB]:
    """A MariaDB of this module's own, never the suite's: these tests stop it."""
    server = MariaDB()
    try:
        server.start()
        yield server
    finally:
        server.remove()


@pytest.fixture
def own_server(own_server_process: MariaDB) -> MariaDB:
    if not own_server_process.running:  # a failed test may have left it stopped
        own_server_process.start()
    return own_server_process


@pytest.fixture
def app_on() -> Iterator[Callable[..., Flask]]:
    """Apps on a database URL, with the schema; their connections closed afterwards."""
    apps: list[Flask] = []

    def app_on(url: str, **overrides: Any) -> Flask:
        app = make_app(url, **overrides)
        with app.app_context():
            db.create_all()
        apps.append(app)
        return app

    yield app_on
    for app in apps:
        with app.app_context():
            db.engine.dispose()


def requests_of(client: FlaskClient) -> list[tuple[str, str, dict[str, Any], int]]:
    """One of each kind: public reads, token-checked reads (blocklist + user lookup), writes, login."""
    client.post("/auth/register", json={"username": "alice", "email": "a@example.com", "password": PASSWORD})
    tokens = client.post("/auth/login", json={"username": "alice", "password": PASSWORD}).json
    headers = bearer(tokens["access_token"])
    board_id = client.post("/boards", json={"title": "before"}, headers=headers).json["id"]
    return [
        ("GET", "/health", {}, 200),
        ("GET", "/boards", {}, 200),
        ("GET", f"/boards/{board_id}", {}, 200),
        ("GET", "/auth/me", {"headers": headers}, 200),
        ("POST", "/boards", {"headers": headers, "json": {"title": "after"}}, 201),
        ("POST", "/auth/login", {"json": {"username": "alice", "password": PASSWORD}}, 200),
        (
            "POST",
            "/auth/register",
            {"json": {"username": "bob", "email": "b@x.org", "password": PASSWORD}},
            201,
        ),
    ]


@requires_mysql
@needs_own_mariadb
def test_stopping_and_restarting_mariadb_under_the_running_app(own_server: MariaDB, app_on) -> None:
    app = app_on(own_server.create_database("outage", "outage"))
    client = app.test_client()
    requests = requests_of(client)

    own_server.stop()
    for method, path, kwargs, _ in requests:
        started = time.monotonic()
        response = client.open(path, method=method, **kwargs)
        assert (response.status_code, response.json) == (503, UNAVAILABLE), (method, path)
        assert time.monotonic() - started < 2, (method, path)

    own_server.start()  # same data directory and port; the app is not touched
    for method, path, kwargs, status in requests:
        response = client.open(path, method=method, **kwargs)
        assert response.status_code == status, (method, path, response.json)
    assert [board["title"] for board in client.get("/boards").json] == ["after", "before"]
    assert client.get("/health").json == {"status": "ok"}


@requires_mysql
@needs_own_mariadb
def test_connections_the_server_dropped_while_idle_are_replaced(own_server: MariaDB, app_on) -> None:
    """wait_timeout closes idle connections; pool_pre_ping replaces them before a request uses one.
    The same app without pre-ping is the control: its first request after the idle spell fails."""
    set_wait_timeout(own_server, 1)  # applies to connections made from now on
    try:
        check_idle_connections(own_server, app_on)
    finally:
        set_wait_timeout(own_server, 28800)  # the default


def set_wait_timeout(server: MariaDB, seconds: int) -> None:
    with server.connect() as conn, conn.cursor() as cursor:
        cursor.execute(f"SET GLOBAL wait_timeout = {seconds}")


def check_idle_connections(own_server: MariaDB, app_on: Callable[..., Flask]) -> None:
    url = own_server.create_database("idle", "idle")
    apps = {
        "pre_ping": app_on(url),
        "no_pre_ping": app_on(url, SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": False}),
    }
    clients = {name: app.test_client() for name, app in apps.items()}
    assert {name: c.get("/health").status_code for name, c in clients.items()} == {
        "pre_ping": 200,
        "no_pre_ping": 200,
    }

    time.sleep(2.5)  # the server closes both pooled connections
    after = {name: c.get("/health") for name, c in clients.items()}
    assert (after["pre_ping"].status_code, after["pre_ping"].json) == (200, {"status": "ok"})
    assert (after["no_pre_ping"].status_code, after["no_pre_ping"].json) == (503, UNAVAILABLE)
    assert clients["no_pre_ping"].get("/health").status_code == 200  # the dead connection was dropped


def test_a_database_that_never_answers_gets_503_within_the_read_timeout() -> None:
    """A server that accepts TCP connections but never speaks (hung): PyMySQL's connect timeout
    does not cover its handshake, only the read timeout does (30 s by default; 2 s here)."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # the kernel completes handshakes; nobody ever answers
        port = silent.getsockname()[1]
        app = make_app(f"mysql+pymysql://board:pw@127.0.0.1:{port}/board?read_timeout=2")
        started = time.monotonic()
        response = app.test_client().get("/health")
        elapsed = time.monotonic() - started
        with app.app_context():
            db.engine.dispose()
    assert (response.status_code, response.json) == (503, UNAVAILABLE)
    assert 1.5 < elapsed < 5, elapsed
