"""Idempotency-Key on POST /boards, POST /boards/<id>/comments and POST /messages: a retry with
the same key creates nothing new and answers the first answer again; another request with the key
is a 422; a request while the first still runs is a 409; keys are per user, kept 24 hours, and
pruned by `flask tokens prune`. On SQLite and MariaDB (make test-mysql)."""

from __future__ import annotations

import json
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

import resources.idempotency
from db import db, utcnow
from models import Board, Comment, IdempotencyKey, Message
from models import idempotency_key as keys
from tests.servers import http_exchange, live_server
from tests.support import validation_error

KEY = "retry-3f2c8e0a"


@dataclass(frozen=True)
class Create:
    """A create operation: its URL, a body, another body, and the table it writes."""

    url: str
    body: dict[str, Any]
    other_body: dict[str, Any]
    model: Any


@pytest.fixture(params=["board", "comment", "message"])
def create(request, alice, bob, carol, board) -> Create:
    if request.param == "board":
        return Create("/boards", {"title": "Once", "content": "x"}, {"title": "Twice"}, Board)
    if request.param == "comment":
        return Create(f"/boards/{board['id']}/comments", {"content": "Once"}, {"content": "Twice"}, Comment)
    to_carol = {"recipient_id": carol["id"], "content": "Once"}
    return Create("/messages", to_carol, {**to_carol, "content": "Twice"}, Message)


def rows(app: Flask, model: Any) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(model))


def stored_keys(app: Flask) -> list[tuple[int, str, int | None, str | None]]:
    with app.app_context():
        query = db.select(
            IdempotencyKey.user_id, IdempotencyKey.key, IdempotencyKey.status, IdempotencyKey.lease
        )
        return [tuple(row) for row in db.session.execute(query.order_by(IdempotencyKey.id))]


def post(
    client, create: Create, user: dict[str, Any], body: Any = None, key: str | None = KEY, **kwargs: Any
):
    headers = {**user["headers"], **({"Idempotency-Key": key} if key is not None else {})}
    return client.post(create.url, json=create.body if body is None else body, headers=headers, **kwargs)


def test_a_retry_creates_nothing_and_gets_the_first_answer(app, client, bob, create):
    before = rows(app, create.model)
    first = post(client, create, bob)
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first.headers

    again = post(client, create, bob)

    assert again.status_code == 201
    assert again.json == first.json
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers.get("ETag") == first.headers.get("ETag")
    assert again.headers["Idempotent-Replayed"] == "true"
    assert rows(app, create.model) == before + 1
    assert stored_keys(app) == [(bob["id"], KEY, 201, None)]


def test_the_same_body_in_another_order_or_spacing_is_the_same_request(app, client, bob, create):
    first = post(client, create, bob)
    reordered = json.dumps(dict(reversed(list(create.body.items()))), indent=2)
    again = client.post(
        create.url,
        data=reordered,
        content_type="application/json",
        headers={**bob["headers"], "Idempotency-Key": KEY},
    )
    assert (again.status_code, again.json) == (201, first.json)


def test_the_same_key_with_another_body_is_422_and_creates_nothing(app, client, bob, create):
    post(client, create, bob)
    before = rows(app, create.model)

    other = post(client, create, bob, body=create.other_body)

    assert (other.status_code, other.json) == (
        422,
        {
            **validation_error("headers", {"Idempotency-Key": [resources.idempotency.REUSED]}),
            "message": resources.idempotency.REUSED,
            "error": "idempotency_key_reused",
        },
    )
    assert rows(app, create.model) == before


def test_the_same_key_on_another_operation_is_422(client, alice, bob, board):
    assert post(client, Create("/boards", {"title": "A"}, {}, Board), bob).status_code == 201
    message = {"recipient_id": alice["id"], "content": "A"}
    assert post(client, Create("/messages", message, {}, Message), bob).status_code == 422
    comments = Create(f"/boards/{board['id']}/comments", {"content": "A"}, {}, Comment)
    assert post(client, comments, bob).json["error"] == "idempotency_key_reused"


def test_keys_are_per_user(app, client, alice, bob, create):
    before = rows(app, create.model)
    mine = post(client, create, bob)
    theirs = post(client, create, alice, body=create.body)
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json["id"] != theirs.json["id"]
    assert rows(app, create.model) == before + 2
    assert sorted(stored_keys(app)) == sorted([(bob["id"], KEY, 201, None), (alice["id"], KEY, 201, None)])


def test_without_a_key_every_request_creates(app, client, bob, create):
    before = rows(app, create.model)
    for _ in range(2):
        assert post(client, create, bob, key=None).status_code == 201
    assert rows(app, create.model) == before + 2
    assert stored_keys(app) == []


@pytest.mark.parametrize("key", ["", "x" * 256, "caf\u00e9", "tab\there", "new\x7fline"])
def test_a_malformed_key_is_422(app, client, bob, key):
    response = client.post("/boards", json={"title": "t"}, headers={**bob["headers"], "Idempotency-Key": key})
    assert (response.status_code, response.json) == (
        422,
        validation_error("headers", {"Idempotency-Key": ["1 to 255 printable ASCII characters."]}),
    )
    assert rows(app, Board) == 0


@pytest.mark.parametrize("key", ["a", "x" * 255, "~ !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}"])
def test_every_printable_ascii_key_is_a_key(client, bob, key):
    first = client.post("/boards", json={"title": "t"}, headers={**bob["headers"], "Idempotency-Key": key})
    again = client.post("/boards", json={"title": "t"}, headers={**bob["headers"], "Idempotency-Key": key})
    assert (first.status_code, again.status_code, again.json) == (201, 201, first.json)


def test_keys_are_case_sensitive(app, client, bob):
    one = client.post("/boards", json={"title": "t"}, headers={**bob["headers"], "Idempotency-Key": "Key"})
    two = client.post("/boards", json={"title": "t"}, headers={**bob["headers"], "Idempotency-Key": "key"})
    assert one.json["id"] != two.json["id"]


def request_hash(app: Flask, create: Create) -> str:
    """The hash a request of `create` with its body is known by."""
    with app.test_request_context(create.url, method="POST", json=create.body):
        return resources.idempotency._request_hash()


def reserve(
    app: Flask,
    user_id: int,
    key: str,
    age: timedelta,
    request_hash: str = "0" * 64,
    status: int | None = None,
) -> None:
    """A key row as a request `age` ago left it: in progress (status None) or answered."""
    with app.app_context():
        key_id = keys.reserve(user_id, key, request_hash, "a" * 32, utcnow() - age)
        if status is not None:
            assert keys.complete(key_id, "a" * 32, status, '{"stored": true}', "{}")
        db.session.commit()


def test_a_key_still_in_progress_is_409(app, client, bob, create):
    reserve(app, bob["id"], KEY, timedelta(seconds=5), request_hash(app, create))
    before = rows(app, create.model)

    response = post(client, create, bob)

    assert response.status_code == 409
    assert response.json == {
        "code": 409,
        "status": "Conflict",
        "message": resources.idempotency.IN_PROGRESS,
        "error": "idempotency_key_in_progress",
    }
    assert rows(app, create.model) == before


def test_a_reservation_abandoned_by_a_dead_request_is_taken_over(app, client, bob, create):
    # Its request died before committing (the create and the answer go together): nothing exists.
    reserve(app, bob["id"], KEY, keys.ABANDONED_AFTER + timedelta(seconds=1), request_hash(app, create))
    before = rows(app, create.model)

    response = post(client, create, bob)

    assert response.status_code == 201
    assert rows(app, create.model) == before + 1
    assert stored_keys(app) == [(bob["id"], KEY, 201, None)]
    assert post(client, create, bob).json == response.json


def test_an_answer_is_kept_24_hours(app, client, bob, create):
    reserve(app, bob["id"], "day-old", keys.KEPT_FOR - timedelta(minutes=1), status=201)
    reserve(app, bob["id"], "older", keys.KEPT_FOR + timedelta(minutes=1), status=201)
    before = rows(app, create.model)

    kept = post(client, create, bob, key="day-old")
    forgotten = post(client, create, bob, key="older")

    assert kept.status_code == 422  # another request than the stored one: the key still counts
    assert forgotten.status_code == 201  # a day later the key is new again
    assert rows(app, create.model) == before + 1


def test_prune_deletes_the_keys_older_than_24_hours(app, client, bob):
    reserve(app, bob["id"], "fresh", timedelta(hours=23), status=201)
    reserve(app, bob["id"], "stale", keys.KEPT_FOR + timedelta(seconds=1), status=201)
    reserve(app, bob["id"], "stuck", timedelta(hours=30))

    result = app.test_cli_runner().invoke(args=["tokens", "prune"])

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "Pruned 2 idempotency keys older than 24 hours."
    assert [key for _, key, _, _ in stored_keys(app)] == ["fresh"]


def test_a_failed_create_leaves_no_key_behind(app, client, alice, bob):
    gone = client.post(
        "/boards/999/comments", json={"content": "x"}, headers={**bob["headers"], "Idempotency-Key": KEY}
    )
    assert gone.status_code == 404
    assert stored_keys(app) == []
    refused = client.post(
        "/messages",
        json={"recipient_id": 999, "content": "x"},
        headers={**bob["headers"], "Idempotency-Key": KEY},
    )
    assert (refused.status_code, list(refused.json["errors"]["json"])) == (422, ["recipient_id"])
    assert stored_keys(app) == []
    sent = client.post(
        "/messages",
        json={"recipient_id": alice["id"], "content": "x"},
        headers={**bob["headers"], "Idempotency-Key": KEY},
    )
    assert sent.status_code == 201


def test_the_create_and_its_answer_are_committed_together(app, client, bob, create, monkeypatch):
    """Storing the answer fails: the create is rolled back with it, and the key is released."""
    before = rows(app, create.model)

    def broken(*args: Any) -> bool:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(keys, "complete", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    assert post(client, create, bob).status_code == 500
    assert rows(app, create.model) == before
    assert stored_keys(app) == []
    monkeypatch.undo()
    assert post(client, create, bob).status_code == 201
    assert rows(app, create.model) == before + 1


def test_an_answer_lost_after_the_commit_is_replayed(app, client, bob, create, monkeypatch):
    """The worker dies after the commit, before its answer leaves: the retry gets that answer."""
    before = rows(app, create.model)
    real_commit = resources.idempotency.commit
    commits: list[None] = []

    def commit_then_die() -> None:
        real_commit()
        commits.append(None)
        if len(commits) == 2:  # the first reserved the key; the second is the create's
            raise SystemExit("worker killed")

    monkeypatch.setattr(resources.idempotency, "commit", commit_then_die)
    with pytest.raises(SystemExit):
        post(client, create, bob)
    monkeypatch.undo()
    assert rows(app, create.model) == before + 1

    retry = post(client, create, bob)

    assert (retry.status_code, retry.headers["Idempotent-Replayed"]) == (201, "true")
    assert rows(app, create.model) == before + 1
    with app.app_context():
        newest = db.session.scalar(db.select(db.func.max(create.model.id)))
    assert retry.json["id"] == newest


def test_a_replayed_message_is_not_counted_twice(app, client, alice, bob):
    message = Create("/messages", {"recipient_id": alice["id"], "content": "Hi"}, {}, Message)
    for _ in range(3):
        assert post(client, message, bob).status_code == 201
    assert client.get("/auth/me", headers=alice["headers"]).json["unread_messages"] == 1


def test_deleting_the_user_deletes_their_keys(app, client, bob, make_user):
    carol = make_user("carol2")
    post(client, Create("/boards", {"title": "t"}, {}, Board), carol)
    post(client, Create("/boards", {"title": "t"}, {}, Board), bob)
    assert client.delete(f"/users/{carol['id']}", headers=carol["headers"]).status_code == 204
    assert [user for user, _, _, _ in stored_keys(app)] == [bob["id"]]


CONCURRENT = 12


def test_concurrent_requests_with_one_key_create_once(app, client, bob, create):
    """Real concurrency: each request replays the first answer, or is told to wait (409)."""
    before = rows(app, create.model)
    barrier = threading.Barrier(CONCURRENT)
    text = json.dumps(create.body)

    def send(_: int) -> tuple[int, dict[str, str], str]:
        barrier.wait(timeout=30)
        return http_exchange("POST", base + create.url, text, bob["access_token"], {"Idempotency-Key": KEY})

    with live_server(app) as base, ThreadPoolExecutor(CONCURRENT) as pool:
        results = list(pool.map(send, range(CONCURRENT)))

    statuses = Counter(status for status, _, _ in results)
    assert set(statuses) <= {201, 409}, results
    assert statuses[201] >= 1
    assert rows(app, create.model) == before + 1
    answers = {text for status, _, text in results if status == 201}
    assert len({json.loads(answer)["id"] for answer in answers}) == 1
    assert len({headers["Location"] for status, headers, _ in results if status == 201}) == 1
    # Afterwards, every retry replays.
    assert post(client, create, bob).json == json.loads(answers.pop())


def test_the_document_describes_the_key(client):
    paths = client.get("/openapi.json").json["paths"]
    for path in ("/boards", "/boards/{board_id}/comments", "/messages"):
        operation = paths[path]["post"]
        parameter = next(p for p in operation["parameters"] if p["name"] == "Idempotency-Key")
        assert parameter["in"] == "header" and parameter["schema"]["maxLength"] == 255
        conflict = operation["responses"]["409"]["content"]["application/json"]["example"]
        assert conflict["error"] == "idempotency_key_in_progress"
        examples = operation["responses"]["422"]["content"]["application/json"]["examples"]
        assert {"validation", "idempotency_key_reused", "idempotency_key_malformed"} <= set(examples)
        assert "Idempotent-Replayed" in operation["responses"]["201"]["headers"]


def test_the_documented_answers_are_the_real_ones(client, bob):
    responses = client.get("/openapi.json").json["paths"]["/boards"]["post"]["responses"]
    examples = responses["422"]["content"]["application/json"]["examples"]
    headers = bob["headers"]
    assert (
        client.post("/boards", json={"title": "A"}, headers={**headers, "Idempotency-Key": "k"}).status_code
        == 201
    )
    reused = client.post("/boards", json={"title": "B"}, headers={**headers, "Idempotency-Key": "k"})
    assert reused.json == examples["idempotency_key_reused"]["value"]
    malformed = client.post("/boards", json={"title": "B"}, headers={**headers, "Idempotency-Key": ""})
    assert malformed.json == examples["idempotency_key_malformed"]["value"]
    assert responses["409"]["content"]["application/json"]["example"] == {
        "code": 409,
        "status": "Conflict",
        "message": resources.idempotency.IN_PROGRESS,
        "error": "idempotency_key_in_progress",
    }
