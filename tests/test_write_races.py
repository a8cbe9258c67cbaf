"""Concurrent writes of one board or one comment: without If-Match they all succeed, one after the
other (the last write wins); with If-Match, only a current tag gets through, checked and written
atomically. 412 means "your If-Match is stale", never "someone else wrote at the same time".

Real concurrency over HTTP (a threaded server, one database connection per request), on SQLite
and on MariaDB (make test-mysql), as in test_comment_race.py.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, update

from db import db
from models import Board, Comment
from tests.servers import http_exchange, live_server
from tests.support_comments import assert_counts_exact, post_comment

WRITERS = 12


@dataclass(frozen=True)
class Target:
    """What the races write: its URL, the field a PATCH changes, and its stored (field, version)."""

    path: str
    field: str
    model: Any
    row_id: int

    def stored(self, app: Flask) -> tuple[str, int] | None:
        column = getattr(self.model, self.field)
        with app.app_context():
            row = db.session.execute(
                db.select(column, self.model.version).where(self.model.id == self.row_id)
            ).one_or_none()
            return None if row is None else tuple(row)


@pytest.fixture(params=["board", "comment"])
def target(request, client, alice, bob, board) -> tuple[Target, dict[str, Any]]:
    """A board written by its author alice, or a comment written by its author bob."""
    if request.param == "board":
        return Target(f"/boards/{board['id']}", "title", Board, board["id"]), alice
    comment = post_comment(client, bob, board["id"], "Bob was here")
    return Target(f"/comments/{comment['id']}", "content", Comment, comment["id"]), bob


Request = Callable[[str], tuple[int, dict[str, str], str]]


def at_once(app: Flask, requests: list[Request]) -> list[tuple[int, str]]:
    """Each request (given the server's base URL) in its own thread, released together;
    (status, body text) of each, in order."""
    barrier = threading.Barrier(len(requests))

    def run(request: Request) -> tuple[int, str]:
        barrier.wait(timeout=30)
        status, _, text = request(base_url)
        assert status < 500, text
        return status, text

    with live_server(app) as base_url, ThreadPoolExecutor(len(requests)) as pool:
        return list(pool.map(run, requests))


def write(method: str, path: str, user: dict[str, Any], body: dict | None = None, **headers: str) -> Request:
    text = json.dumps(body) if body is not None else None
    headers = {name.replace("_", "-"): value for name, value in headers.items()}
    return lambda base: http_exchange(method, base + path, text, user["access_token"], headers)


def test_concurrent_patches_without_if_match_all_succeed_one_after_the_other(app, target):
    target, author = target
    values = [f"Version {n}" for n in range(WRITERS)]

    results = at_once(app, [write("PATCH", target.path, author, {target.field: v}) for v in values])

    assert [status for status, _ in results] == [200] * WRITERS, results
    value, version = target.stored(app)
    # Every write was applied, each on top of the one before: the version moved once per write.
    assert version == 1 + WRITERS
    assert value in values
    # Each answer shows its own write: serialized, not merged.
    assert sorted(json.loads(text)[target.field] for _, text in results) == sorted(values)


def test_the_author_deleting_while_others_patch_gets_204(app, target):
    target, author = target
    requests = [write("DELETE", target.path, author)]
    requests += [write("PATCH", target.path, author, {target.field: f"Edit {n}"}) for n in range(WRITERS - 1)]

    results = at_once(app, requests)

    assert results[0][0] == 204, results[0]
    # A PATCH that came before the DELETE succeeded; one after it found nothing to change.
    assert {status for status, _ in results[1:]} <= {200, 404}, results
    assert target.stored(app) is None
    assert_counts_exact(app)


def test_concurrent_writes_with_the_same_if_match_let_exactly_one_through(app, client, target):
    target, author = target
    etag = client.get(target.path).headers["ETag"]
    values = [f"Conditional {n}" for n in range(WRITERS)]

    results = at_once(
        app, [write("PATCH", target.path, author, {target.field: v}, If_Match=etag) for v in values]
    )

    statuses = Counter(status for status, _ in results)
    assert statuses == {200: 1, 412: WRITERS - 1}, results
    winner = next(json.loads(text)[target.field] for status, text in results if status == 200)
    assert target.stored(app) == (winner, 2)
    refused = next(json.loads(text) for status, text in results if status == 412)
    assert refused["error"] == "precondition_failed"


def test_a_stale_if_match_is_412_and_changes_nothing(app, client, target):
    target, author = target
    stale = client.get(target.path).headers["ETag"]
    response = client.patch(target.path, json={target.field: "First"}, headers=author["headers"])
    assert response.status_code == 200
    before = target.stored(app)

    for method in ("PATCH", "DELETE"):
        late = client.open(
            target.path,
            method=method,
            json={target.field: "Lost update"} if method == "PATCH" else None,
            headers={**author["headers"], "If-Match": stale},
        )
        assert (late.status_code, late.json["error"]) == (412, "precondition_failed")
        assert target.stored(app) == before
    assert (
        client.patch(
            target.path,
            json={target.field: "Fresh"},
            headers={**author["headers"], "If-Match": response.headers["ETag"]},
        ).status_code
        == 200
    )


def test_an_edit_that_changes_nothing_answers_the_row_as_it_now_is(app, client, target):
    """Another writer commits between this request's first read (the token check) and its lock:
    the answer shows that write, not the older snapshot a MariaDB transaction began with."""
    target, author = target
    with app.app_context():
        engine = db.engine
    column = getattr(target.model, target.field)
    done: list[bool] = []

    def concurrent_writer(conn, cursor, statement, *args):
        locking = statement.endswith("FOR UPDATE") or "RETURNING" in statement
        if locking and not done:
            done.append(True)
            with engine.begin() as other:
                other.execute(
                    update(target.model)
                    .where(target.model.id == target.row_id)
                    .values({column: "Concurrent"})
                )

    event.listen(engine, "before_cursor_execute", concurrent_writer)
    try:
        # It sends the value the other writer is about to write: once locked, nothing to change.
        response = client.patch(target.path, json={target.field: "Concurrent"}, headers=author["headers"])
    finally:
        event.remove(engine, "before_cursor_execute", concurrent_writer)

    assert done
    assert (response.status_code, response.json[target.field]) == (200, "Concurrent")
    # Its ETag is a current If-Match (the part an author's write compares).
    written = response.headers["ETag"].split(".")[0]
    assert written == client.get(target.path).headers["ETag"].split(".")[0]
    assert target.stored(app) == ("Concurrent", 1)  # written once, by the other writer (no edit here)
