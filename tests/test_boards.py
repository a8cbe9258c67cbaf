"""Boards: create, validate, read with ETags, and the ids that do not exist."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.conftest import error
from tests.support import board_row, create_board, not_found, public, validation_error

LENGTH_200 = "Length must be between 1 and 200."


def test_create_answers_201_with_the_board_and_a_location_that_resolves(client, make_user):
    alice = make_user("alice")

    response = client.post(
        "/boards", json={"title": "Hello", "content": "First post"}, headers=alice["headers"]
    )

    assert response.status_code == 201
    body = response.json
    assert set(body) == {
        "id",
        "title",
        "content",
        "author",
        "forum",
        "anonymous",
        "is_mine",
        "created_at",
        "updated_at",
        "comment_count",
        "like_count",
        "scrap_count",
        "hidden",
    }
    assert body["hidden"] is False
    assert (body["forum"], body["anonymous"], body["is_mine"]) == ({"id": 1, "name": "General"}, False, True)
    assert (body["like_count"], body["scrap_count"]) == (0, 0)
    assert body["title"] == "Hello"
    assert body["comment_count"] == 0
    assert body["content"] == "First post"
    assert body["author"] == {"id": alice["id"], "username": "alice"}
    assert datetime.fromisoformat(body["created_at"]).utcoffset().total_seconds() == 0
    # A new board has not been edited: clients show "edited" when these differ.
    assert body["updated_at"] == body["created_at"]
    assert response.headers["Location"].endswith(f"/boards/{body['id']}")
    assert client.get(response.headers["Location"]).json == public(body)
    assert board_row(client.application, body["id"]) == ("Hello", "First post", alice["id"], 1)


def test_create_without_content_stores_an_empty_content(client, make_user):
    alice = make_user()
    response = client.post("/boards", json={"title": "Only a title"}, headers=alice["headers"])
    assert response.status_code == 201
    assert response.json["content"] == ""


def test_create_needs_a_token(client):
    response = client.post("/boards", json={"title": "Anonymous"})
    assert response.status_code == 401
    assert response.json == error(
        401,
        "authorization_required",
        "An access token is required: send 'Authorization: Bearer <token>'.",
    )


@pytest.mark.parametrize(
    ("payload", "errors"),
    [
        ({"content": "no title"}, {"title": ["Missing data for required field."]}),
        ({"title": ""}, {"title": [LENGTH_200]}),
        ({"title": "x" * 201}, {"title": [LENGTH_200]}),
        ({"title": "ok", "content": "x" * 20001}, {"content": ["Longer than maximum length 20000."]}),
        ({"title": 42}, {"title": ["Not a valid string."]}),
        ({"title": None}, {"title": ["Field may not be null."]}),
        ({"title": "ok", "content": ["a", "list"]}, {"content": ["Not a valid string."]}),
        ({"title": "ok", "colour": "red"}, {"colour": ["Unknown field."]}),
        ({"title": "ok", "is_admin": True}, {"is_admin": ["Unknown field."]}),
        ({"title": "ok", "author_id": 2}, {"author_id": ["Unknown field."]}),
        ({"title": "ok", "id": 7}, {"id": ["Unknown field."]}),
        (["not", "an", "object"], {"_schema": ["Invalid input type."]}),
    ],
    ids=[
        "missing-title",
        "empty-title",
        "title-201",
        "content-20001",
        "title-int",
        "title-null",
        "content-list",
        "unknown-field",
        "is_admin",
        "author_id",
        "id",
        "array-body",
    ],
)
def test_create_refuses_invalid_bodies_with_the_whole_422_body(client, make_user, payload, errors):
    alice = make_user()
    response = client.post("/boards", json=payload, headers=alice["headers"])
    assert response.status_code == 422
    assert response.json == validation_error("json", errors)
    assert client.get("/boards").json == []


def test_title_of_200_and_content_of_20000_characters_are_accepted(client, make_user):
    alice = make_user()
    board = create_board(client, alice, title="가" * 200, content="😀" * 20000)
    assert client.get(f"/boards/{board['id']}").json == board


def test_malformed_json_is_a_json_422_not_a_500(client, make_user):
    alice = make_user()
    response = client.post(
        "/boards", data="{not json", headers={**alice["headers"], "Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json == validation_error("json", {"_schema": ["Invalid JSON body."]})


def test_korean_and_emoji_round_trip(client, make_user):
    alice = make_user()
    title, content = "안녕하세요 게시판 🎉👍🏽", "한국어 본문과 이모지 🧑‍💻 (ZWJ sequence)"

    board = create_board(client, alice, title=title, content=content)

    fetched = client.get(f"/boards/{board['id']}").json
    assert (fetched["title"], fetched["content"]) == (title, content)
    assert board_row(client.application, board["id"])[:2] == (title, content)


def test_get_by_id_answers_with_an_etag_and_304_when_unchanged(client, make_user):
    board = create_board(client, make_user("alice"))

    response = client.get(f"/boards/{board['id']}")
    assert response.status_code == 200
    assert response.json == board
    etag = response.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"') and len(etag) > 2

    again = client.get(f"/boards/{board['id']}", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag

    weak = client.get(f"/boards/{board['id']}", headers={"If-None-Match": f'"other", W/{etag}'})
    assert weak.status_code == 304

    other = client.get(f"/boards/{board['id']}", headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200
    assert other.json == board


def test_etag_changes_when_the_board_changes(client, make_user):
    alice = make_user()
    board = create_board(client, alice)
    old_etag = client.get(f"/boards/{board['id']}").headers["ETag"]

    updated = client.patch(f"/boards/{board['id']}", json={"title": "Changed"}, headers=alice["headers"])

    assert updated.headers["ETag"] != old_etag
    response = client.get(f"/boards/{board['id']}", headers={"If-None-Match": old_etag})
    assert response.status_code == 200
    assert response.json["title"] == "Changed"
    assert response.headers["ETag"] == updated.headers["ETag"]


def test_unknown_board_is_a_json_404(client):
    response = client.get("/boards/12345")
    assert response.status_code == 404
    assert response.json == not_found("Board 12345 not found.")


@pytest.mark.parametrize(
    "path", ["abc", "0", "-1", "1.5", str(2**63), str(10**30), "%F0%9F%98%80"], ids=lambda p: p[:12]
)
@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_non_numeric_or_out_of_range_ids_are_json_404(client, make_user, path, method):
    alice = make_user()
    response = getattr(client, method)(f"/boards/{path}", json={"title": "x"}, headers=alice["headers"])
    assert response.status_code == 404
    assert response.json == not_found()


def test_largest_64_bit_id_is_a_plain_404(client):
    response = client.get(f"/boards/{2**63 - 1}")
    assert response.status_code == 404
    assert response.json == not_found(f"Board {2**63 - 1} not found.")
