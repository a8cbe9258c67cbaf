"""A comment's likes racing its deletion into a placeholder, over real HTTP, on SQLite and MariaDB:
16 client threads released at once (the harness of test_mark_race.py, whose races like a comment
as well as a board)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.servers import http, live_server
from tests.support import create_board
from tests.support_comments import post_comment
from tests.test_mark_race import CLIENTS, stored_comment_likes


@pytest.fixture
def author(make_user):
    return make_user("author")


@pytest.fixture
def comment(client, author):
    board = create_board(client, author)
    return post_comment(client, author, board["id"], "Like me")


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
    assert stored_comment_likes(app, comment["id"]) == (0, 0)
