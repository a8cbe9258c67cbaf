"""16 writers at once on one board or one thread: the counters stay exact.

Real concurrency, as in test_registration_race: the app served over HTTP by a threaded server,
16 client threads released at once by a barrier, each request with its own database connection.
On MariaDB (make test-mysql) and on SQLite alike.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from flask import Flask

from tests.servers import http, live_server
from tests.support import create_board
from tests.support_comments import assert_counts_exact, comment_count, post_comment, stored_comments

CLIENTS = 16


@pytest.fixture
def users(make_user) -> list[dict[str, Any]]:
    return [make_user(f"racer{n}") for n in range(CLIENTS)]


@pytest.fixture
def board(client, users) -> dict[str, Any]:
    return create_board(client, users[0], title="Busy board")


def at_once(app: Flask, requests: list[Callable[[str], tuple[int, str]]]) -> list[int]:
    """Run each request (given the server's base URL) in its own thread, released together."""
    barrier = threading.Barrier(len(requests))

    def run(request: Callable[[str], tuple[int, str]]) -> int:
        barrier.wait(timeout=30)
        status, body = request(base_url)
        assert status < 500, body
        return status

    with live_server(app) as base_url, ThreadPoolExecutor(len(requests)) as pool:
        return list(pool.map(run, requests))


def comment_request(
    user: dict[str, Any], board_id: int, parent_id: int | None = None
) -> Callable[[str], Any]:
    body = json.dumps({"content": f"by {user['username']}", "parent_id": parent_id})
    return lambda base: http("POST", f"{base}/boards/{board_id}/comments", body, user["access_token"])


def test_sixteen_users_commenting_at_once_make_comment_count_16(app, client, users, board):
    statuses = at_once(app, [comment_request(user, board["id"]) for user in users])

    assert statuses == [201] * CLIENTS
    assert comment_count(client, board["id"]) == CLIENTS
    assert len(client.get(f"/boards/{board['id']}/comments?page_size=100").json) == CLIENTS
    assert_counts_exact(app)


def test_sixteen_replies_at_once_make_reply_count_16(app, client, users, board):
    comment = post_comment(client, users[0], board["id"], "Reply to me")

    statuses = at_once(app, [comment_request(user, board["id"], comment["id"]) for user in users])

    assert statuses == [201] * CLIENTS
    assert client.get(f"/comments/{comment['id']}").json["reply_count"] == CLIENTS
    assert comment_count(client, board["id"]) == CLIENTS + 1
    assert_counts_exact(app)


def test_sixteen_last_replies_deleted_at_once_take_the_placeholder_along(app, client, users, board):
    comment = post_comment(client, users[0], board["id"], "Soon a placeholder")
    replies = [post_comment(client, user, board["id"], "reply", comment["id"]) for user in users]
    assert client.delete(f"/comments/{comment['id']}", headers=users[0]["headers"]).status_code == 204

    statuses = at_once(
        app,
        [
            lambda base, user=user, reply=reply: http(
                "DELETE", f"{base}/comments/{reply['id']}", token=user["access_token"]
            )
            for user, reply in zip(users, replies, strict=True)
        ],
    )

    assert statuses == [204] * CLIENTS
    assert stored_comments(app) == []
    assert comment_count(client, board["id"]) == 0
    assert_counts_exact(app)


def test_replies_racing_the_deletion_of_their_parent(app, client, users, board):
    """Each reply either lands (and the parent stays as a placeholder) or is refused with 422
    because the parent is gone or deleted: never a reply under nothing, never a wrong count."""
    author, *others = users
    comment = post_comment(client, author, board["id"], "Contested")
    deletion = lambda base: http("DELETE", f"{base}/comments/{comment['id']}", token=author["access_token"])  # noqa: E731

    statuses = at_once(
        app, [deletion] + [comment_request(user, board["id"], comment["id"]) for user in others]
    )

    assert statuses[0] == 204
    replies = Counter(statuses[1:])
    assert set(replies) <= {201, 422}
    stored = stored_comments(app)
    if replies[201]:
        assert stored[0] == (comment["id"], None, None, "", True)
        assert len(stored) == 1 + replies[201]
    else:
        assert stored == []
    assert comment_count(client, board["id"]) == replies[201]
    assert_counts_exact(app)
