"""Revocations in Redis (REDIS_URL): a real redis-server per test, no fakes."""

from __future__ import annotations

import time
from datetime import timedelta

import jwt
import pytest
import redis
from flask import Flask

import blocklist
from db import db, utcnow
from models import RevokedToken
from security.revocation_stores import RedisStore
from tests.conftest import TEST_SECRET, bearer, error, make_app
from tests.servers import REDIS_SERVER, RedisServer

pytestmark = pytest.mark.skipif(
    REDIS_SERVER is None, reason="redis-server is not installed (.ci/run installs it)"
)

REVOKED = error(401, "token_revoked", "The token has been revoked.")
STORE_DOWN = error(503, "store_unavailable", "The token store is unavailable; try again shortly.")


@pytest.fixture
def app(app: Flask, redis_server: RedisServer) -> Flask:
    """The conftest app, its revocation store switched to Redis: every fixture built on `app`
    (client, make_user, ...) then works through Redis."""
    app.config["REDIS_URL"] = redis_server.url
    blocklist.init_app(app)
    return app


def store_of(app: Flask) -> RedisStore:
    store = app.extensions["blocklist"]
    assert isinstance(store, RedisStore)
    return store


def claims(token: str) -> dict:
    return jwt.decode(token, TEST_SECRET, algorithms=["HS256"])


def test_logout_stores_each_entry_for_the_remaining_life_of_its_tokens(app, client, make_user):
    user = make_user()
    access = claims(user["access_token"])

    assert client.post("/auth/logout", headers=user["headers"]).status_code == 200

    response = client.get("/auth/me", headers=user["headers"])
    assert (response.status_code, response.json) == (401, REVOKED)
    store = store_of(app)
    # The access token's entry lives exactly as long as the token; its login family's entry as
    # long as the longest-lived token of that family (a refresh token issued just now).
    assert abs(store.ttl(access["jti"]) - (access["exp"] - time.time())) <= 1
    refresh_life = app.config["JWT_REFRESH_TOKEN_EXPIRES"].total_seconds()
    assert abs(store.ttl(access["fam"]) - refresh_life) <= 1
    with app.app_context():  # Redis holds them, not the database table
        assert db.session.scalar(db.select(db.func.count()).select_from(RevokedToken)) == 0


def test_entries_of_expired_tokens_are_not_stored(app):
    with app.app_context():
        blocklist.revoke({"gone": utcnow() - timedelta(seconds=5), "alive": utcnow() + timedelta(seconds=60)})
        assert blocklist.revoked_among(["gone", "alive", "never"]) == {"alive"}
    assert store_of(app).ttl("gone") == -2  # Redis has no such key
    assert 59 <= store_of(app).ttl("alive") <= 60


def test_revocation_survives_an_app_restart(app, database_url, redis_server, make_user):
    user = make_user()
    assert app.test_client().post("/auth/logout", headers=user["headers"]).status_code == 200

    restarted = make_app(database_url, REDIS_URL=redis_server.url)
    response = restarted.test_client().get("/auth/me", headers=user["headers"])
    assert (response.status_code, response.json) == (401, REVOKED)
    with restarted.app_context():
        db.engine.dispose()


def test_replayed_refresh_token_revokes_its_whole_login(client, make_user):
    user = make_user()
    rotated = client.post("/auth/refresh", headers=bearer(user["refresh_token"]))
    assert rotated.status_code == 200

    replay = client.post("/auth/refresh", headers=bearer(user["refresh_token"]))
    assert (replay.status_code, replay.json) == (401, REVOKED)
    # The replay revoked the family: the pair the rotation issued is dead too.
    me = client.get("/auth/me", headers=bearer(rotated.json["access_token"]))
    refresh = client.post("/auth/refresh", headers=bearer(rotated.json["refresh_token"]))
    assert (me.status_code, me.json) == (401, REVOKED)
    assert (refresh.status_code, refresh.json) == (401, REVOKED)


def test_an_authenticated_request_costs_one_redis_call(app, client, make_user, redis_server):
    user = make_user()
    # The first call also opens the pooled connection (redis-py introduces itself then).
    assert client.get("/auth/me", headers=user["headers"]).status_code == 200
    probe = redis.Redis.from_url(redis_server.url)
    probe.config_resetstat()

    assert client.get("/auth/me", headers=user["headers"]).status_code == 200

    stats = probe.info("commandstats")
    calls = {name: value["calls"] for name, value in stats.items() if not name.startswith("cmdstat_config")}
    assert calls == {"cmdstat_mget": 1}  # the token's jti and its family, in one MGET


def test_prune_has_nothing_to_do(app):
    result = app.test_cli_runner().invoke(args=["tokens", "prune"])
    assert result.exit_code == 0
    assert (
        result.output
        == "Pruned 0 expired revocation entries.\nPruned 0 idempotency keys older than 24 hours.\n"
    )


def test_a_redis_outage_answers_503_and_passes_once_redis_is_back(client, make_user, redis_server):
    user = make_user()
    redis_server.stop()

    for response in (
        client.get("/auth/me", headers=user["headers"]),
        client.post("/auth/logout", headers=user["headers"]),
    ):
        assert (response.status_code, response.json) == (503, STORE_DOWN)
    # What needs no token keeps working.
    assert client.get("/boards").status_code == 200

    redis_server.start()  # same port, no persisted data: the logout above never happened
    response = client.get("/auth/me", headers=user["headers"])
    assert (response.status_code, response.json["username"]) == (200, user["username"])


def test_a_refresh_token_rotates_once(app, make_user):
    """SET NX decides between two requests using one refresh token at the same moment."""
    payload = claims(make_user()["refresh_token"])
    with app.test_request_context():
        assert blocklist.rotate(payload) is True
        assert blocklist.rotate(payload) is False  # the loser: a replay, the family is revoked
        assert blocklist.revoked_among([payload["jti"], payload["fam"]]) == {payload["jti"], payload["fam"]}
