"""Counts stay exact under concurrent likes, over real HTTP, on SQLite and MariaDB,
of a board and of a comment alike (one `Mark` each, services/marks.py).

As in test_registration_race.py: a threaded server, 16 client threads released at once by a
barrier, each request in its own server thread with its own database connection.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from flask import Flask
from sqlalchemy import event

from db import db
from models import Board, BoardLike, Comment, CommentLike
from tests.servers import http, live_server
from tests.support import create_board
from tests.support_comments import post_comment

CLIENTS = 16


def race(app: Flask, method: str, path: str, tokens: list[str]) -> list[tuple[int, dict]]:
    """One request per token, released at once; (status, body) each."""
    barrier = threading.Barrier(len(tokens))

    def send(token: str) -> tuple[int, dict]:
        barrier.wait(timeout=30)
        status, text = http(method, base_url + path, token=token)
        return status, json.loads(text)

    with live_server(app) as base_url, ThreadPoolExecutor(len(tokens)) as pool:
        return list(pool.map(send, tokens))


def stored(app: Flask, row_id: int, count=Board.like_count, liked=BoardLike.board_id) -> tuple[int, int]:
    """(like_count, like rows) of the board, or with `stored_comment_likes` of the comment."""
    with app.app_context():
        like_count = db.session.scalar(db.select(count).where(count.class_.id == row_id))
        rows = db.session.scalar(db.select(db.func.count()).where(liked == row_id))
        return like_count, rows


stored_comment_likes = functools.partial(stored, count=Comment.like_count, liked=CommentLike.comment_id)


@dataclass(frozen=True)
class Liked:
    """What the races like: its like path, and its stored (like_count, like rows)."""

    path: str
    stored: Callable[[], tuple[int, int]]


@pytest.fixture
def refused_inserts(app: Flask):
    """The INSERTs of a mark that the primary key turned away (INSERT … IGNORE: no row written),
    counted: proof that the index, not luck, decided."""
    with app.app_context():
        engine = db.engine
    refused: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        if "IGNORE" in statement and cursor.rowcount == 0:
            refused.append(statement)

    event.listen(engine, "after_cursor_execute", record)
    yield refused
    event.remove(engine, "after_cursor_execute", record)


@pytest.fixture
def board(client, make_user):
    return create_board(client, make_user("author"))


@pytest.fixture(params=["board", "comment"])
def liked(request, app, client, make_user, board) -> Liked:
    if request.param == "board":
        return Liked(f"/boards/{board['id']}/like", lambda: stored(app, board["id"]))
    comment = post_comment(client, make_user("commenter"), board["id"], "Like me")
    return Liked(f"/comments/{comment['id']}/like", lambda: stored_comment_likes(app, comment["id"]))


def test_sixteen_users_liking_at_once_make_sixteen(app, make_user, liked, refused_inserts):
    tokens = [make_user(f"fan{n}")["access_token"] for n in range(CLIENTS)]

    results = race(app, "PUT", liked.path, tokens)

    assert {status for status, _ in results} == {200}, results
    # Each request saw its own like counted: every count from 1 to 16 once.
    assert sorted(body["like_count"] for _, body in results) == list(range(1, CLIENTS + 1))
    assert liked.stored() == (CLIENTS, CLIENTS)
    assert refused_inserts == []


def test_one_users_sixteen_simultaneous_likes_make_one(app, make_user, liked, refused_inserts):
    fan = make_user("fan")

    results = race(app, "PUT", liked.path, [fan["access_token"]] * CLIENTS)

    assert results == [(200, {"liked": True, "like_count": 1})] * CLIENTS
    assert liked.stored() == (1, 1)
    assert len(refused_inserts) == CLIENTS - 1  # the primary key turned the other fifteen away


def test_one_users_sixteen_simultaneous_unlikes_take_off_exactly_one(app, client, make_user, liked):
    others = [make_user(f"other{n}") for n in range(3)]
    fan = make_user("fan")
    for user in [*others, fan]:
        client.put(liked.path, headers=user["headers"])
    assert liked.stored() == (4, 4)

    results = race(app, "DELETE", liked.path, [fan["access_token"]] * CLIENTS)

    assert results == [(200, {"liked": False, "like_count": 3})] * CLIENTS
    assert liked.stored() == (3, 3)


def test_likes_and_unlikes_of_many_users_at_once_leave_the_count_equal_to_the_rows(
    app, client, make_user, board
):
    """Half of the users like while the other half take their likes back, twice each."""
    users = [make_user(f"mixed{n}") for n in range(CLIENTS // 2)]
    for user in users[: len(users) // 2]:
        client.put(f"/boards/{board['id']}/like", headers=user["headers"])
    tokens = [user["access_token"] for user in users] * 2
    barrier = threading.Barrier(len(tokens))
    likers = {user["access_token"] for user in users[len(users) // 2 :]}

    def send(token: str) -> int:
        barrier.wait(timeout=30)
        return http(
            "PUT" if token in likers else "DELETE", f"{base_url}/boards/{board['id']}/like", token=token
        )[0]

    with live_server(app) as base_url, ThreadPoolExecutor(len(tokens)) as pool:
        assert set(pool.map(send, tokens)) == {200}
    assert stored(app, board["id"]) == (len(likers), len(likers))
