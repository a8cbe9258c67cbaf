"""Rate limits with REDIS_URL: counters shared by instances, kept in memory during an outage, and
the Redis clients' reconnection after a restart. A real redis-server per test, no fakes."""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from flask.testing import FlaskClient

from db import db
from tests.conftest import PASSWORD, bearer, error, make_app
from tests.servers import REDIS_SERVER, RedisServer

pytestmark = pytest.mark.skipif(
    REDIS_SERVER is None, reason="redis-server is not installed (.ci/run installs it)"
)

INVALID = error(401, "invalid_credentials", "Invalid username or password.")
FAILED_LOGINS = error(
    429,
    "rate_limited",
    "Too many failed logins for this account from this address: wait before trying again.",
)


class SilentlyBreakingProxy:
    """A TCP proxy in front of Redis. `break_connections()` drops every open connection the way a
    Redis restart behind a proxy, a failover or a NAT timeout does: the client hears nothing
    (unlike a plain restart, whose closed sockets redis-py's pool notices before it sends), and
    its next command is answered with a reset. Only a retry on a new connection gets through."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.pairs: list[dict[str, Any]] = []
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            pair = {"client": client, "upstream": socket.create_connection(("127.0.0.1", self.target_port))}
            pair["broken"] = False
            self.pairs.append(pair)
            threading.Thread(target=self._pump, args=(pair, "client", "upstream"), daemon=True).start()
            threading.Thread(target=self._pump, args=(pair, "upstream", "client"), daemon=True).start()

    def _pump(self, pair: dict[str, Any], source: str, target: str) -> None:
        while True:
            try:
                data = pair[source].recv(65536)
            except OSError:
                data = b""
            if pair["broken"]:
                if source == "client" and data:  # the client speaks on a dead connection: reset
                    pair["client"].setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    pair["client"].close()
                return  # else leave the client's socket open, and silent
            if not data:
                break
            try:
                pair[target].sendall(data)
            except OSError:
                break
        pair["client"].close()
        pair["upstream"].close()

    def break_connections(self) -> None:
        for pair in self.pairs:
            if not pair["broken"]:
                pair["broken"] = True
                pair["upstream"].shutdown(socket.SHUT_RDWR)
                pair["upstream"].close()

    def close(self) -> None:
        self.listener.close()
        self.break_connections()
        for pair in self.pairs:
            pair["client"].close()


@pytest.fixture
def app_config(redis_server: RedisServer) -> dict[str, Any]:
    return {"REDIS_URL": redis_server.url, "LOGIN_RATE_LIMIT": "5 per minute"}


def attempt(client: FlaskClient, username: str, password: str = "wrong password") -> Any:
    return client.post("/auth/login", json={"username": username, "password": password})


def limiter_keys(url: str) -> list[bytes]:
    return redis.Redis.from_url(url).keys("LIMITS:*")


@pytest.mark.slow
def test_the_count_is_shared_by_instances(app, database_url, app_config, register, redis_server):
    user = register()
    second = make_app(database_url, **app_config)
    statuses = [attempt(app.test_client(), user["username"]).status_code for _ in range(3)]
    statuses += [attempt(second.test_client(), user["username"]).status_code for _ in range(3)]
    assert statuses == [401, 401, 401, 401, 401, 429]
    keys = limiter_keys(redis_server.url)
    assert keys and all(key.startswith(b"LIMITS:LIMITER/board-api/") for key in keys)


@pytest.mark.slow
def test_during_a_redis_outage_logins_are_counted_in_memory(client, register, redis_server):
    user = register()
    redis_server.stop()

    right = attempt(client, user["username"], PASSWORD)
    wrong = [attempt(client, user["username"]) for _ in range(5)]
    refused = attempt(client, user["username"], PASSWORD)

    assert (right.status_code, sorted(right.json)) == (
        200,
        ["access_token", "expires_in", "refresh_token", "token_type"],
    )
    assert [(response.status_code, response.json) for response in wrong] == [(401, INVALID)] * 5
    assert (refused.status_code, refused.json) == (429, FAILED_LOGINS)


@pytest.mark.slow
def test_after_a_restart_redis_is_used_again_without_a_failed_request(client, make_user, redis_server):
    user = make_user()
    assert attempt(client, user["username"]).status_code == 401
    redis_server.stop()
    redis_server.start()  # no persistence: the counter and the pooled connections are gone

    assert client.get("/auth/me", headers=user["headers"]).status_code == 200
    assert attempt(client, user["username"]).status_code == 401
    # The limiter counted in Redis again, not in its in-memory fallback.
    assert sorted(limiter_keys(redis_server.url)) == [
        b"LIMITS:LIMITER/board-api/127.0.0.1/Auth.Login:POST/10000/1/hour",
        f"LIMITS:LIMITER/board-api/127.0.0.1/user:{user['id']}/failed-passwords/5/1/minute".encode(),
    ]


@pytest.fixture
def proxy(redis_server: RedisServer) -> Iterator[SilentlyBreakingProxy]:
    proxy = SilentlyBreakingProxy(redis_server.port)
    yield proxy
    proxy.close()


@pytest.mark.slow
def test_connections_broken_unnoticed_are_dialled_again(database_url, proxy, redis_server):
    """The clients' one retry (revocation_stores.redis_options): without it, the first request
    after the break is a 503 (revocations) or is counted in memory (rate limits)."""
    app = make_app(database_url, REDIS_URL=proxy.url, LOGIN_RATE_LIMIT="5 per minute")
    with app.app_context():
        db.create_all()
    client = app.test_client()
    body = {"username": "alice", "email": "alice@example.com", "password": PASSWORD}
    assert client.post("/auth/register", json=body).status_code == 201
    token = attempt(client, "alice", PASSWORD).json["access_token"]
    assert client.get("/auth/me", headers=bearer(token)).status_code == 200
    assert [attempt(client, "alice").status_code for _ in range(2)] == [401, 401]

    proxy.break_connections()

    me = client.get("/auth/me", headers=bearer(token))
    assert (me.status_code, me.json["username"]) == (200, "alice")
    # The count goes on in Redis from 2: an in-memory fallback would start again from 0.
    assert [attempt(client, "alice").status_code for _ in range(4)] == [401, 401, 401, 429]
    with app.app_context():
        db.engine.dispose()


@pytest.mark.slow
def test_a_redis_that_never_answers_costs_seconds_not_the_login(database_url):
    """A Redis that accepts connections and never replies (hung, or a black-holed route): the
    limiter's short timeouts give up within about a second per call (two calls: its check, and its
    probe whether Redis is back), then it counts in memory. redis-py's defaults took 10 s."""
    silent = socket.create_server(("127.0.0.1", 0))  # the kernel completes connections; nobody reads
    app = make_app(database_url, REDIS_URL=f"redis://127.0.0.1:{silent.getsockname()[1]}/0")
    with app.app_context():
        db.create_all()
    result: dict[str, Any] = {}

    def login() -> None:
        started = time.monotonic()
        response = attempt(app.test_client(), "nobody")
        result.update(status=response.status_code, body=response.json, seconds=time.monotonic() - started)

    thread = threading.Thread(target=login, daemon=True)
    thread.start()
    thread.join(30)
    silent.close()
    with app.app_context():
        db.engine.dispose()
    assert not thread.is_alive(), "the login waited for Redis for 30 s and more"
    assert (result["status"], result["body"]) == (401, INVALID)
    print(f"login with a silent Redis: {result['seconds']:.1f} s")
    assert result["seconds"] < 5
