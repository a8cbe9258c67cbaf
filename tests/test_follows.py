"""Follows: follow and unfollow, followers and following, counts on profiles, the
cascade of a deleted user, exact counts under concurrent requests."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from flask import Flask

from db import db
from models import Follow, User
from tests.conftest import error
from tests.servers import http, live_server
from tests.support import count_statements, not_found, pagination

CLIENTS = 16
FOLLOW_SELF = {
    **error(422, "cannot_follow_self", "You cannot follow yourself."),
    "errors": {"path": {"user_id": ["You cannot follow yourself."]}},
}
NO_TOKEN = error(
    401, "authorization_required", "An access token is required: send 'Authorization: Bearer <token>'."
)


def follow(client, user: dict, target_id: int, method: str = "PUT") -> Any:
    return client.open(f"/users/{target_id}/follow", method=method, headers=user["headers"])


def counts(app: Flask, user_id: int) -> tuple[int, int]:
    with app.app_context():
        user = db.session.get(User, user_id)
        return user.follower_count, user.following_count


def follow_rows(app: Flask) -> set[tuple[int, int]]:
    with app.app_context():
        return {tuple(row) for row in db.session.execute(db.select(Follow.follower_id, Follow.followee_id))}


@pytest.fixture
def alice_bob(make_user):
    return make_user("alice"), make_user("bob")


def test_follow_and_unfollow_are_idempotent_and_move_both_counts(app, client, alice_bob):
    alice, bob = alice_bob
    for _ in range(2):
        response = follow(client, alice, bob["id"])
        assert (response.status_code, response.json) == (200, {"followed": True, "follower_count": 1})
        assert (counts(app, bob["id"]), counts(app, alice["id"])) == ((1, 0), (0, 1))
    assert follow_rows(app) == {(alice["id"], bob["id"])}

    for _ in range(2):
        response = follow(client, alice, bob["id"], "DELETE")
        assert (response.status_code, response.json) == (200, {"followed": False, "follower_count": 0})
        assert (counts(app, bob["id"]), counts(app, alice["id"])) == ((0, 0), (0, 0))
    assert follow_rows(app) == set()


def test_the_answer_counts_the_other_followers_too(client, make_user):
    star, fans = make_user("star"), [make_user(f"fan{n}") for n in range(3)]
    answers = [follow(client, fan, star["id"]).json for fan in fans]
    assert answers == [{"followed": True, "follower_count": n} for n in (1, 2, 3)]
    assert follow(client, fans[0], star["id"], "DELETE").json == {"followed": False, "follower_count": 2}


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_following_yourself_is_a_422_that_changes_nothing(app, client, alice_bob, method):
    alice, _ = alice_bob
    response = follow(client, alice, alice["id"], method)
    assert (response.status_code, response.json) == (422, FOLLOW_SELF)
    assert counts(app, alice["id"]) == (0, 0)
    assert follow_rows(app) == set()


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PUT", "/users/999/follow", not_found("User 999 not found.")),
        ("DELETE", "/users/999/follow", not_found("User 999 not found.")),
        ("PUT", "/users/abc/follow", not_found()),
        ("PUT", f"/users/{2**63}/follow", not_found()),
        ("GET", "/users/999/followers", not_found("User 999 not found.")),
        ("GET", "/users/999/following", not_found("User 999 not found.")),
        ("GET", "/users/0/followers", not_found()),
    ],
)
def test_a_missing_user_is_a_404(app, client, alice_bob, method, path, body):
    alice, _ = alice_bob
    response = client.open(path, method=method, headers=alice["headers"])
    assert (response.status_code, response.json) == (404, body)
    assert counts(app, alice["id"]) == (0, 0)


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_follow_needs_an_access_token(client, alice_bob, method):
    _, bob = alice_bob
    response = client.open(f"/users/{bob['id']}/follow", method=method)
    assert (response.status_code, response.json) == (401, NO_TOKEN)
    refresh = {"Authorization": f"Bearer {bob['refresh_token']}"}
    assert client.open(f"/users/{bob['id']}/follow", method=method, headers=refresh).status_code == 401


def test_profiles_carry_the_counts_and_followed_only_with_a_token(client, make_user):
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    follow(client, alice, bob["id"])
    follow(client, carol, bob["id"])
    follow(client, bob, carol["id"])

    anonymous = client.get(f"/users/{bob['id']}").json
    assert anonymous == {
        "id": bob["id"],
        "username": "bob",
        "created_at": bob["created_at"],
        "follower_count": 2,
        "following_count": 1,
    }
    assert client.get(f"/users/{bob['id']}", headers=alice["headers"]).json == {**anonymous, "followed": True}
    assert client.get(f"/users/{alice['id']}", headers=bob["headers"]).json["followed"] is False
    # Your own profile: you cannot follow yourself.
    own = client.get(f"/users/{bob['id']}", headers=bob["headers"]).json
    assert (own["followed"], own["follower_count"], own["following_count"], own["email"]) == (
        False,
        2,
        1,
        "bob@example.com",
    )
    me = client.get("/auth/me", headers=bob["headers"]).json
    assert (me["follower_count"], me["following_count"]) == (2, 1)
    listed = {user["username"]: user for user in client.get("/users").json}
    assert (listed["bob"]["follower_count"], listed["carol"]["following_count"]) == (2, 1)


def test_followers_and_following_list_public_profiles_most_recent_first(client, make_user):
    star = make_user("star")
    fans = [make_user(f"fan{n}") for n in range(5)]
    for fan in fans:
        follow(client, fan, star["id"])
    follow(client, fans[1], star["id"], "DELETE")
    follow(client, fans[1], star["id"])  # follows again: now the most recent
    for target in fans[2:4]:
        follow(client, star, target["id"])

    response = client.get(f"/users/{star['id']}/followers?page_size=2")
    assert response.status_code == 200
    assert [user["username"] for user in response.json] == ["fan1", "fan4"]
    assert response.json[0] == {
        "id": fans[1]["id"],
        "username": "fan1",
        "created_at": fans[1]["created_at"],
        "follower_count": 0,
        "following_count": 1,
    }
    assert pagination(response) == {
        "total": 5,
        "total_pages": 3,
        "first_page": 1,
        "last_page": 3,
        "page": 1,
        "next_page": 2,
    }
    names = [u["username"] for u in client.get(f"/users/{star['id']}/followers?page=2&page_size=2").json]
    assert names == ["fan3", "fan2"]
    names = [u["username"] for u in client.get(f"/users/{star['id']}/followers?page=3&page_size=2").json]
    assert names == ["fan0"]

    following = client.get(f"/users/{star['id']}/following")
    assert [user["username"] for user in following.json] == ["fan3", "fan2"]
    assert following.json[0]["follower_count"] == 1
    assert pagination(following)["total"] == 2
    assert client.get(f"/users/{fans[0]['id']}/following").json[0]["username"] == "star"
    empty = client.get(f"/users/{fans[0]['id']}/followers")
    assert (empty.json, pagination(empty)) == ([], {"total": 0, "total_pages": 0})
    # Public, and never an email, even for an admin or the user.
    with_token = client.get(f"/users/{star['id']}/followers", headers=star["headers"])
    assert all(set(user) == set(response.json[0]) for user in with_token.json)


@pytest.mark.parametrize("direction", ["followers", "following"])
def test_a_page_of_follows_costs_two_statements_whatever_its_size(app, client, make_user, direction):
    hub = make_user("hub")
    for n in range(12):
        other = make_user(f"other{n}")
        follow(client, other, hub["id"])
        follow(client, hub, other["id"])
    url = f"/users/{hub['id']}/{direction}"
    for size in (1, 100):
        with count_statements(app) as statements:
            response = client.get(f"{url}?page_size={size}")
        assert len(response.json) == min(size, 12)
        # The user's counter (also the 404 check and the total), then the page.
        assert len(statements) == 2, statements


def test_deleting_a_user_removes_their_follows_and_moves_the_others_counts(app, client, make_user):
    gone, fan, idol, friend = (make_user(name) for name in ("gone", "fan", "idol", "friend"))
    follow(client, fan, gone["id"])
    follow(client, gone, idol["id"])
    follow(client, gone, friend["id"])
    follow(client, friend, gone["id"])
    follow(client, fan, idol["id"])

    response = client.delete(f"/users/{gone['id']}", headers=gone["headers"])

    assert response.status_code == 204
    assert follow_rows(app) == {(fan["id"], idol["id"])}
    assert counts(app, fan["id"]) == (0, 1)
    assert counts(app, idol["id"]) == (1, 0)
    assert counts(app, friend["id"]) == (0, 0)
    assert client.get(f"/users/{idol['id']}/followers").json[0]["username"] == "fan"


def _race(app: Flask, requests: list[Callable[[str], tuple[int, str]]]) -> list[tuple[int, Any]]:
    """The requests released at once over real HTTP, each in its own server thread."""
    barrier = threading.Barrier(len(requests))

    def run(request: Callable[[str], tuple[int, str]]) -> tuple[int, Any]:
        barrier.wait(timeout=30)
        status, body = request(base_url)
        return status, json.loads(body)

    with live_server(app) as base_url, ThreadPoolExecutor(len(requests)) as pool:
        return list(pool.map(run, requests))


def _follow_request(method: str, target_id: int, token: str) -> Callable[[str], tuple[int, str]]:
    return lambda base_url: http(method, f"{base_url}/users/{target_id}/follow", token=token)


def test_sixteen_users_following_one_at_once_count_sixteen(app, make_user):
    star = make_user("star")
    fans = [make_user(f"fan{n}") for n in range(CLIENTS)]

    results = _race(app, [_follow_request("PUT", star["id"], fan["access_token"]) for fan in fans])

    assert [status for status, _ in results] == [200] * CLIENTS, results
    assert sorted(body["follower_count"] for _, body in results) == list(range(1, CLIENTS + 1))
    assert counts(app, star["id"]) == (CLIENTS, 0)
    assert all(counts(app, fan["id"]) == (0, 1) for fan in fans)

    results = _race(app, [_follow_request("DELETE", star["id"], fan["access_token"]) for fan in fans])

    assert sorted(body["follower_count"] for _, body in results) == list(range(CLIENTS))
    assert counts(app, star["id"]) == (0, 0)
    assert follow_rows(app) == set()


def test_one_users_sixteen_simultaneous_follows_count_once(app, make_user):
    fan, star = make_user("fan"), make_user("star")
    token = fan["access_token"]

    results = _race(app, [_follow_request("PUT", star["id"], token) for _ in range(CLIENTS)])

    assert results == [(200, {"followed": True, "follower_count": 1})] * CLIENTS
    assert (counts(app, star["id"]), counts(app, fan["id"])) == ((1, 0), (0, 1))

    results = _race(app, [_follow_request("DELETE", star["id"], token) for _ in range(CLIENTS)])

    assert results == [(200, {"followed": False, "follower_count": 0})] * CLIENTS
    assert (counts(app, star["id"]), counts(app, fan["id"])) == ((0, 0), (0, 0))


def test_two_users_following_each_other_at_once(app, make_user):
    """Each request locks both users' rows: in id order, or these two would deadlock on MariaDB."""
    alice, bob = make_user("alice"), make_user("bob")
    requests = [
        _follow_request("PUT", bob["id"], alice["access_token"]),
        _follow_request("PUT", alice["id"], bob["access_token"]),
    ] * (CLIENTS // 2)

    results = _race(app, requests)

    assert {status for status, _ in results} == {200}, results
    assert (counts(app, alice["id"]), counts(app, bob["id"])) == ((1, 1), (1, 1))
