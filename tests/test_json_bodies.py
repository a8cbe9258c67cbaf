"""Bodies Python's json module accepts but nothing else can use: a JSON 422, never a 500."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD
from tests.support import validation_error

# Every unusable body is answered alike (resources/blueprint.py).
UNREADABLE = validation_error("json", {"_schema": ["Invalid JSON body."]})


@pytest.fixture
def send(client, make_user):
    alice = make_user("alice")

    def send(method: str, path: str, body: str, auth: bool = True):
        headers = {"Content-Type": "application/json", **(alice["headers"] if auth else {})}
        return client.open(path.format(id=alice["id"]), method=method, data=body, headers=headers)

    return send


ENDPOINTS = [
    ("POST", "/boards", '{"title": "%s"}', True),
    ("PATCH", "/users/{id}", '{"username": "%s"}', True),
    ("POST", "/auth/register", '{"username": "bobby", "email": "b@example.com", "password": "%s"}', False),
    ("POST", "/auth/login", '{"username": "%s", "password": "whatever-it-is"}', False),
    ("POST", "/auth/login", '{"username": "alice", "password": "%s"}', False),
]


@pytest.mark.parametrize(("method", "path", "template", "auth"), ENDPOINTS, ids=lambda v: str(v)[:16])
@pytest.mark.parametrize("escape", ["\\ud800", "x\\udfffy", "\\ud83d"], ids=["high", "low", "half-emoji"])
def test_lone_surrogate_escapes_are_unreadable_bodies(send, method, path, template, auth, escape):
    response = send(method, path, template % escape, auth)
    assert (response.status_code, response.json) == (422, UNREADABLE)


def test_a_lone_surrogate_in_a_key_is_an_unreadable_body(send):
    response = send("POST", "/boards", '{"title": "ok", "\\udc00": 1}')
    assert (response.status_code, response.json) == (422, UNREADABLE)


def test_a_surrogate_pair_escape_is_a_real_character(client, send):
    response = send("POST", "/boards", '{"title": "\\ud83d\\ude00 pair"}')
    assert response.status_code == 201
    assert response.json["title"] == "😀 pair"


@pytest.mark.parametrize(("method", "path", "_", "auth"), ENDPOINTS[:4], ids=lambda v: str(v)[:16])
def test_absurdly_deep_nesting_is_an_unreadable_body(send, method, path, _, auth):
    depth = 100_000
    response = send(method, path, "[" * depth + "]" * depth, auth)
    assert (response.status_code, response.json) == (422, UNREADABLE)


def test_ordinary_nesting_still_reaches_validation(send):
    response = send("POST", "/boards", '{"title": [[[["deep"]]]]}')
    assert response.status_code == 422
    assert response.json["errors"] == {"json": {"title": ["Not a valid string."]}}


def test_login_still_works_after_the_checks(client, make_user):
    make_user("carol")
    response = client.post("/auth/login", json={"username": "carol", "password": PASSWORD})
    assert response.status_code == 200
