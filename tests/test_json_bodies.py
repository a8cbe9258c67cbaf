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


# --- numbers too long to parse (Python refuses integers of more than 4,300 digits) -------------

HUGE = "9" * 4301


@pytest.fixture
def board(client, make_user):
    bob = make_user("bob")
    return client.post("/boards", json={"title": "kept"}, headers=bob["headers"]).json


JSON_ROUTES = [
    ("POST", "/boards", '{"title": %s}', True),
    ("POST", "/boards", '{"title": "t", "content": -%s}', True),
    ("PUT", "/boards/{board}", '{"title": %s}', True),
    ("PATCH", "/boards/{board}", '{"content": %s}', True),
    ("PATCH", "/users/{id}", '{"email": %s}', True),
    ("POST", "/auth/register", '{"username": "bobby", "email": "b@example.com", "password": %s}', False),
    ("POST", "/auth/login", '{"username": %s, "password": "whatever-it-is"}', False),
    ("POST", "/auth/logout", '{"refresh_token": [%s]}', True),
]


@pytest.mark.parametrize(("method", "path", "template", "auth"), JSON_ROUTES, ids=lambda v: str(v)[:20])
def test_an_integer_too_long_to_parse_is_an_unreadable_body(send, board, method, path, template, auth):
    response = send(method, path.replace("{board}", str(board["id"])), template % HUGE, auth)
    assert (response.status_code, response.json) == (422, UNREADABLE)


def test_nothing_changed_after_a_huge_number(client, send):
    own = send("POST", "/boards", '{"title": "kept"}').json
    response = send("PATCH", f"/boards/{own['id']}", '{"title": "changed", "content": ' + HUGE + "}")
    assert (response.status_code, response.json) == (422, UNREADABLE)
    assert client.get(f"/boards/{own['id']}").json["title"] == "kept"


def test_the_largest_parsable_integer_reaches_validation(send):
    response = send("POST", "/boards", '{"title": %s}' % ("9" * 4300))
    assert response.status_code == 422
    assert response.json["errors"] == {"json": {"title": ["Not a valid string."]}}


QUERY_NUMBERS = [
    ("/boards?page=%s", "page"),
    ("/boards?page_size=%s", "page_size"),
    ("/boards?author_id=%s", "author_id"),
    ("/boards?before=%s", "before"),
    ("/users?page=%s", "page"),
    ("/users?page_size=-%s", "page_size"),
]


@pytest.mark.parametrize(("url", "field"), QUERY_NUMBERS)
def test_a_huge_number_in_a_query_parameter_is_422(client, url, field):
    response = client.get(url % HUGE)
    assert (response.status_code, response.json) == (
        422,
        validation_error("query", {field: ["Not a valid integer: digits 0-9 only."]}),
    )


@pytest.mark.parametrize("path", ["/boards/%s", "/users/%s", "/boards/%s/nothing"])
def test_a_huge_id_in_a_path_is_not_found(client, path):
    response = client.get(path % HUGE)
    assert response.status_code == 404
