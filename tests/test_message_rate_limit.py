"""Sending is rate-limited per sender (MESSAGE_RATE_LIMIT), shared through Redis when configured."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from flask import Flask

from db import db
from resources.messages import MESSAGE_RATE_LIMITED
from security.auth_limits import FAILED_LOGINS
from tests.conftest import PASSWORD, bearer, error, make_app
from tests.servers import RedisServer
from tests.support_messages import unread_of

LIMITED = error(429, "rate_limited", MESSAGE_RATE_LIMITED)


def post(client, sender: dict, recipient_id: int, content: str = "Hi"):
    return client.post(
        "/messages", json={"recipient_id": recipient_id, "content": content}, headers=sender["headers"]
    )


def assert_limited(response) -> None:
    assert (response.status_code, response.json) == (429, LIMITED)
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert response.headers["Cache-Control"] == "no-store"


def test_the_default_is_30_per_minute(app):
    assert app.config["MESSAGE_RATE_LIMIT"] == "30 per minute"


def test_a_sender_over_the_limit_gets_429_and_nothing_is_sent(app, client, make_user):
    app.config["MESSAGE_RATE_LIMIT"] = "2 per minute"
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")

    assert [post(client, alice, bob["id"]).status_code for _ in range(2)] == [201, 201]
    assert_limited(post(client, alice, bob["id"]))
    assert_limited(post(client, alice, carol["id"]))  # per sender, whoever the recipient
    assert (unread_of(app, bob["id"]), unread_of(app, carol["id"])) == (2, 0)
    # Other senders have their own budget; reading is not limited.
    assert post(client, bob, alice["id"]).status_code == 201
    assert client.get("/messages", headers=alice["headers"]).status_code == 200


def test_every_attempt_of_a_sender_counts_and_anonymous_ones_do_not_spend_theirs(app, client, make_user):
    """Spent before the view, so that a burst can never send more than the budget: a refused body
    counts too. A request without a token is counted for its address, not for any sender."""
    app.config["MESSAGE_RATE_LIMIT"] = "2 per minute"
    alice, bob = make_user("alice"), make_user("bob")
    assert client.post("/messages", json={"recipient_id": bob["id"], "content": "Hi"}).status_code == 401
    assert post(client, alice, bob["id"], content="").status_code == 422
    assert post(client, alice, bob["id"]).status_code == 201
    assert_limited(post(client, alice, bob["id"]))
    assert unread_of(app, bob["id"]) == 1


def test_the_login_limit_keeps_its_own_message(app, client, make_user):
    app.config["LOGIN_RATE_LIMIT"] = "1 per minute"
    app.config["MESSAGE_RATE_LIMIT"] = "1 per minute"
    alice, bob = make_user("alice"), make_user("bob")
    assert post(client, alice, bob["id"]).status_code == 201
    assert_limited(post(client, alice, bob["id"]))
    wrong = {"username": "alice", "password": "wrong password"}
    assert client.post("/auth/login", json=wrong).status_code == 401
    response = client.post("/auth/login", json=wrong)
    assert response.status_code == 429
    assert response.json["message"] == FAILED_LOGINS.message


@pytest.fixture
def two_instances(app: Flask, database_url: str, redis_server: RedisServer) -> Iterator[list[Flask]]:
    """Two app instances on one database and one Redis, as two servers behind a load balancer
    would be: each has its own Limiter, and only Redis is shared between them."""
    config = {"REDIS_URL": redis_server.url, "MESSAGE_RATE_LIMIT": "3 per minute"}
    apps = [make_app(database_url, **config) for _ in range(2)]
    yield apps
    for instance in apps:
        with instance.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.mark.slow
def test_two_instances_share_one_budget_through_redis(two_instances, redis_server):
    first, second = (instance.test_client() for instance in two_instances)
    tokens = {}
    for name in ("alice", "bob"):
        body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
        tokens[name] = first.post("/auth/register", json=body).json["id"]
        login = second.post("/auth/login", json={"username": name, "password": PASSWORD}).json
        tokens[name] = {"id": tokens[name], "headers": bearer(login["access_token"])}
    alice, bob = tokens["alice"], tokens["bob"]

    statuses = [post(client, alice, bob["id"]).status_code for client in (first, second, first)]
    assert statuses == [201, 201, 201]
    # Each instance has seen at most two of alice's messages: only the shared count stops her.
    assert_limited(post(second, alice, bob["id"]))
    assert_limited(post(first, alice, bob["id"]))
    assert post(second, bob, alice["id"]).status_code == 201
    stored = [
        key for key in redis.Redis.from_url(redis_server.url).keys("*") if b"/user:" in key or b"user:" in key
    ]
    assert len(stored) == 2, stored  # one window per sender


def test_a_send_to_an_unknown_recipient_spends_the_budget(app, client, make_user):
    app.config["MESSAGE_RATE_LIMIT"] = "1 per minute"
    alice, bob = make_user("alice"), make_user("bob")
    assert post(client, alice, 999999).status_code == 422
    assert_limited(post(client, alice, bob["id"]))
