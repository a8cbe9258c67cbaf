"""Integers are read strictly, and a JSON object gives each key once:
- an integer field of a JSON body takes a JSON integer only (`1.5`, `"1"`, `true`, `1.0` → 422);
- an integer query parameter takes ASCII digits only (`" 7 "`, `1_0`, U+0661, `+7` → 422);
- a path id takes ASCII digits only (anything else is no such resource: 404);
- a body with a duplicated key is a 422, and nothing is written.
Each list below is held to the OpenAPI document, so an integer added later is covered too."""

from __future__ import annotations

import json
from typing import Any

import pytest

from db import db
from models import Board, Comment, Message
from tests.support import validation_error
from tests.support_comments import post_comment

NOT_AN_INTEGER = "Not a valid integer."
NOT_DIGITS = "Not a valid integer: digits 0-9 only."


def operations(client) -> list[tuple[str, str, dict[str, Any]]]:
    spec = client.get("/openapi.json").json
    return [
        (method.upper(), path, operation)
        for path, methods in spec["paths"].items()
        for method, operation in methods.items()
    ]


def body_schema(client, operation: dict[str, Any]) -> dict[str, Any]:
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    name = schema["$ref"].rsplit("/", 1)[1]
    return client.get("/openapi.json").json["components"]["schemas"][name]


def rows(app, model: Any) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(model))


# --- integers in JSON bodies ------------------------------------------------------------------

BODY_INTEGERS = {
    ("POST", "/messages", "recipient_id"),
    ("POST", "/boards/{board_id}/comments", "parent_id"),
    ("POST", "/boards", "forum_id"),
}


def test_every_integer_body_field_of_the_document_is_tested_here(client):
    found = set()
    for method, path, operation in operations(client):
        if "requestBody" in operation:
            for name, field in body_schema(client, operation).get("properties", {}).items():
                if field.get("type") == "integer":
                    found.add((method, path, name))
    assert found == BODY_INTEGERS


@pytest.mark.parametrize("value", [1.5, 1.0, "1", " 1", True, False, 1e0, [1], {"id": 1}])
def test_a_recipient_id_that_is_no_json_integer_is_422(app, client, alice, bob, value):
    # alice is user 1: a lenient reading of each value would write to her.
    assert alice["id"] == 1
    response = client.post("/messages", json={"recipient_id": value, "content": "Hi"}, headers=bob["headers"])
    assert (response.status_code, response.json) == (
        422,
        validation_error("json", {"recipient_id": [NOT_AN_INTEGER]}),
    )
    assert rows(app, Message) == 0


@pytest.mark.parametrize("value", [1.5, 1.0, "1", True, 1e0])
def test_a_parent_id_that_is_no_json_integer_is_422(app, client, bob, board, value):
    top = post_comment(client, bob, board["id"], "Top")
    body = {"content": "A reply", "parent_id": float(top["id"]) if value == 1.0 else value}
    response = client.post(f"/boards/{board['id']}/comments", json=body, headers=bob["headers"])
    assert (response.status_code, response.json) == (
        422,
        validation_error("json", {"parent_id": [NOT_AN_INTEGER]}),
    )
    assert rows(app, Comment) == 1


@pytest.mark.parametrize("value", [1.5, 1.0, "1", True, 1e0])
def test_a_forum_id_that_is_no_json_integer_is_422(app, client, bob, value):
    # General is forum 1: a lenient reading would put the board there.
    response = client.post("/boards", json={"title": "t", "forum_id": value}, headers=bob["headers"])
    assert (response.status_code, response.json) == (
        422,
        validation_error("json", {"forum_id": [NOT_AN_INTEGER]}),
    )
    assert rows(app, Board) == 0


@pytest.mark.parametrize("value", [1, 0, "true", "yes", "on", None, [True]])
def test_anonymous_takes_json_booleans_only(app, client, bob, board, value):
    """`1` or `"yes"` is a mistake, and must not decide whether a name shows."""
    for path in ("/boards", f"/boards/{board['id']}/comments"):
        body = (
            {"title": "t", "anonymous": value} if path == "/boards" else {"content": "c", "anonymous": value}
        )
        response = client.post(path, json=body, headers=bob["headers"])
        message = "Field may not be null." if value is None else "Not a valid boolean."
        assert (response.status_code, response.json) == (
            422,
            validation_error("json", {"anonymous": [message]}),
        ), (path, value)
    assert (rows(app, Board), rows(app, Comment)) == (1, 0)


def test_json_integers_are_still_integers(client, alice, bob, board):
    top = post_comment(client, bob, board["id"], "Top")
    text = f'{{"content": "A reply", "parent_id": {top["id"]}}}'
    reply = client.post(
        f"/boards/{board['id']}/comments", data=text, content_type="application/json", headers=bob["headers"]
    )
    assert (reply.status_code, reply.json["parent_id"]) == (201, top["id"])
    sent = client.post(
        "/messages", json={"recipient_id": alice["id"], "content": "Hi"}, headers=bob["headers"]
    )
    assert (sent.status_code, sent.json["recipient"]["id"]) == (201, alice["id"])


# --- integers in query strings ----------------------------------------------------------------

# Every GET with an integer query parameter, the URL to try it on, and whether it needs a token.
QUERY_URLS = {
    "/boards": "/boards",
    "/boards/feed": "/boards/feed",
    "/boards/{board_id}/comments": "/boards/{board}/comments",
    "/comments/{comment_id}/replies": "/comments/{comment}/replies",
    "/messages": "/messages",
    "/users": "/users",
    "/users/me/scraps": "/users/me/scraps",
    "/users/{user_id}/followers": "/users/{user}/followers",
    "/users/{user_id}/following": "/users/{user}/following",
    "/forums": "/forums",
    "/users/me/forums": "/users/me/forums",
    "/moderation/cases": "/moderation/cases",
    "/moderation/log": "/moderation/log",
}
LOOSE = [" 7 ", "7 ", "+7", "-7", "1_0", "\u0661", "\uff17", "7.0", "0x7", "1e1", "", "\u00b2"]


def integer_query_parameters(client) -> list[tuple[str, str]]:
    return [
        (path, parameter["name"])
        for method, path, operation in operations(client)
        if method == "GET"
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "query" and parameter["schema"].get("type") == "integer"
    ]


def test_every_integer_query_parameter_of_the_document_is_tested_here(client):
    assert {path for path, _ in integer_query_parameters(client)} == set(QUERY_URLS)


def test_integer_query_parameters_take_ascii_digits_only(client, bob, board, make_admin):
    comment = post_comment(client, bob, board["id"])
    ids = {"board": board["id"], "comment": comment["id"], "user": bob["id"]}
    admin = make_admin("root")
    tried = 0
    for path, name in integer_query_parameters(client):
        url = QUERY_URLS[path].format(**ids)
        reader = admin if path.startswith("/moderation/") else bob  # admins only there
        for loose in LOOSE:
            response = client.get(url, query_string={name: loose}, headers=reader["headers"])
            assert (response.status_code, response.json) == (
                422,
                validation_error("query", {name: [NOT_DIGITS]}),
            ), (url, name, loose)
            tried += 1
        plain = client.get(url, query_string={name: "7"}, headers=reader["headers"])
        assert plain.status_code in (200, 404), (url, name, plain.json)
    assert tried >= 16 * len(LOOSE)


def test_leading_zeros_are_still_ascii_digits(client, alice, board):
    response = client.get(f"/boards?author_id=000{alice['id']}&page=01")
    assert (response.status_code, [b["id"] for b in response.json]) == (200, [board["id"]])


@pytest.mark.parametrize("path", ["/boards/%s", "/users/%s", "/comments/%s", "/boards/%s/comments"])
@pytest.mark.parametrize("loose", ["\u0661", "\uff11", "+1", " 1", "1_0"])
def test_a_path_id_of_other_digits_is_not_found(client, bob, board, path, loose):
    post_comment(client, bob, board["id"])
    assert client.get(path % "1").status_code == 200
    response = client.get(path % loose)
    assert response.status_code == 404
    assert response.json["error"] == "not_found"


# --- duplicated keys --------------------------------------------------------------------------

DUPLICATE = "Duplicate key {key!r} in a JSON object: give each key once."


def test_every_json_body_refuses_a_duplicated_key(app, client, alice, bob, board):
    """Every operation that reads a body, with the body's first field given twice."""
    comment = post_comment(client, bob, board["id"])
    sent = client.post(
        "/messages", json={"recipient_id": alice["id"], "content": "Hi"}, headers=bob["headers"]
    ).json
    ids = {
        "board_id": board["id"],
        "comment_id": comment["id"],
        "user_id": bob["id"],
        "message_id": sent["id"],
        "forum_id": 1,  # General
        "case_id": 1,  # none is needed: the body is refused before the case is looked up
    }
    tried = []
    for method, path, operation in operations(client):
        if "requestBody" not in operation:
            continue
        field = next(iter(body_schema(client, operation)["properties"]))
        text = f'{{"{field}": "first", "{field}": "second"}}'
        response = client.open(
            path.format(**ids),
            method=method,
            data=text,
            content_type="application/json",
            headers=bob["headers"],
        )
        assert (response.status_code, response.json) == (
            422,
            validation_error("json", {"_schema": [DUPLICATE.format(key=field)]}),
        ), (method, path)
        tried.append((method, path))
    assert len(tried) >= 12


def test_a_duplicated_key_writes_nothing(app, client, alice, board):
    response = client.post(
        "/boards",
        data='{"title": "Meant", "content": "x", "title": "Kept by a lenient parser"}',
        content_type="application/json",
        headers=alice["headers"],
    )
    assert (response.status_code, response.json) == (
        422,
        validation_error("json", {"_schema": [DUPLICATE.format(key="title")]}),
    )
    assert rows(app, Board) == 1
    patch = client.patch(
        f"/boards/{board['id']}",
        data='{"title": "One", "title": "Two"}',
        content_type="application/json",
        headers=alice["headers"],
    )
    assert patch.status_code == 422
    assert client.get(f"/boards/{board['id']}").json["title"] == board["title"]


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('{"title": "a", "content": {"x": 1, "x": 2}}', "x"),  # nested
        ('{"title": "a", "\\u0074itle": "b"}', "title"),  # the same key, escaped
        ('{"title": "a:b", "title": "c"}', "title"),  # colons in a string (the slower reading)
        ('{"title": 1.5, "title": 2}', "title"),  # a float (the slower reading)
    ],
)
def test_duplicates_are_found_however_written(client, alice, text, key):
    response = client.post("/boards", data=text, content_type="application/json", headers=alice["headers"])
    assert (response.status_code, response.json) == (
        422,
        validation_error("json", {"_schema": [DUPLICATE.format(key=key)]}),
    )


def test_a_long_duplicated_key_is_shortened_in_the_message(client, alice):
    key = "k" * 500
    response = client.post(
        "/boards",
        data=json.dumps({"title": "t"})[:-1] + f', "{key}": 1, "{key}": 2}}',
        content_type="application/json",
        headers=alice["headers"],
    )
    assert response.status_code == 422
    assert response.json["errors"] == {"json": {"_schema": [DUPLICATE.format(key="k" * 50 + "…")]}}


def test_colons_in_strings_are_no_duplicates(client, alice):
    body = {"title": "Time: 12:30", "content": 'a:b:c, {"x": 1, "x": 2} as text'}
    response = client.post("/boards", json=body, headers=alice["headers"])
    assert (response.status_code, response.json["title"]) == (201, "Time: 12:30")
