"""Comment like counts stay exact under concurrent likes (CONTRACT §8), over real HTTP, on SQLite
and MariaDB: 16 client threads released at once (the harness of test_mark_race.py)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import Flask

from db import db
from models import Comment, CommentLike
from tests.comment_support import post_comment
from tests.servers import http, live_server
from tests.support import create_board
from tests.test_mark_race import CLIENTS, race, refused_inserts  # noqa: F401 (a fixture)


def stored(app: Flask, comment_id: int) -> tuple[int, int]:
    """(like_count, like rows) of the comment."""
    with app.app_context():
        count = db.session.scalar(db.select(Comment.like_count).where(Comment.id == comment_id))
        rows = db.session.scalar(db.select(db.func.count()).where(CommentLike.comment_id == comment_id))
        return count, rows


@pytest.fixture
def author(make_user):
    return make_user("author")


@pytest.fixture
def comment(client, author):
    board = create_board(client, author)
    return post_comment(client, author, board["id"], "Like me")


def test_sixteen_users_liking_one_comment_at_once_make_sixteen(app, make_user, comment, refused_inserts):  # noqa: F811
    tokens = [make_user(f"fan{n}")["access_token"] for n in range(CLIENTS)]

    results = race(app, "PUT", f"/comments/{comment['id']}/like", tokens)

    assert {status for status, _ in results} == {200}, results
    assert sorted(body["like_count"] for _, body in results) == list(range(1, CLIENTS + 1))
    assert stored(app, comment["id"]) == (CLIENTS, CLIENTS)
    assert refused_inserts == []


def test_one_users_sixteen_simultaneous_likes_make_one(app, make_user, comment, refused_inserts):  # noqa: F811
    fan = make_user("fan")

    results = race(app, "PUT", f"/comments/{comment['id']}/like", [fan["access_token"]] * CLIENTS)

    assert results == [(200, {"liked": True, "like_count": 1})] * CLIENTS
    assert stored(app, comment["id"]) == (1, 1)
    assert len(refused_inserts) == CLIENTS - 1  # the primary key turned the other fifteen away


def test_one_users_sixteen_simultaneous_unlikes_take_off_exactly_one(app, client, make_user, comment):
    users = [make_user(f"other{n}") for n in range(3)]
    fan = make_user("fan")
    for user in [*users, fan]:
        client.put(f"/comments/{comment['id']}/like", headers=user["headers"])
    assert stored(app, comment["id"]) == (4, 4)

    results = race(app, "DELETE", f"/comments/{comment['id']}/like", [fan["access_token"]] * CLIENTS)

    assert results == [(200, {"liked": False, "like_count": 3})] * CLIENTS
    assert stored(app, comment["id"]) == (3, 3)


def test_likes_racing_the_placeholder_leave_no_like_behind(app, client, make_user, author, comment):
    """15 likes and the author's deletion of the comment (which has a reply) at once: each like
    lands before the placeholder and goes with it, or finds the placeholder (404)."""
    replier = make_user("replier")
    post_comment(client, replier, comment["board_id"], "A reply", comment["id"])
    author_token = author["access_token"]
    tokens = [make_user(f"fan{n}")["access_token"] for n in range(CLIENTS - 1)]
    barrier = threading.Barrier(CLIENTS)

    def send(token: str) -> int:
        barrier.wait(timeout=30)
        method = "DELETE" if token == author_token else "PUT"
        path = f"/comments/{comment['id']}" + ("" if method == "DELETE" else "/like")
        return http(method, base_url + path, token=token)[0]

    with live_server(app) as base_url, ThreadPoolExecutor(CLIENTS) as pool:
        statuses = list(pool.map(send, [author_token, *tokens]))

    assert statuses[0] == 204
    assert set(statuses[1:]) <= {200, 404}, statuses
    assert stored(app, comment["id"]) == (0, 0)
