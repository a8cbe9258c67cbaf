"""Behaviour that depends on what the database does with values: the same on SQLite and MariaDB."""

from __future__ import annotations

from datetime import datetime

import pytest
from flask.testing import FlaskClient

from schemas.board import MAX_ID
from tests.support import public


def test_timestamps_keep_microseconds_so_etags_survive_a_reread(client: FlaskClient, make_user) -> None:
    """The ETag a write returns is the one a later read computes: the stored timestamps are
    exactly those the write serialised (MySQL's DATETIME would drop the microseconds)."""
    author = make_user()
    created = client.post("/boards", json={"title": "precise"}, headers=author["headers"])
    board_id = created.json["id"]
    read = client.get(f"/boards/{board_id}")
    assert read.json == public(created.json)
    assert datetime.fromisoformat(read.json["created_at"]).microsecond != 0 or (
        datetime.fromisoformat(read.json["updated_at"]).microsecond != 0
    )

    patched = client.patch(f"/boards/{board_id}", json={"content": "edited"}, headers=author["headers"])
    assert patched.status_code == 200
    reread = client.get(f"/boards/{board_id}")
    assert reread.headers["ETag"] == patched.headers["ETag"]
    assert reread.json == public(patched.json)

    # So the client can go on writing with the tag it was given.
    again = client.patch(
        f"/boards/{board_id}",
        json={"title": "still precise"},
        headers={**author["headers"], "If-Match": patched.headers["ETag"]},
    )
    assert again.status_code == 200, again.json


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("%", ["100% sure"]),
        ("_", ["snake_case"]),
        ("\\", ["back\\slash"]),
        ("'", ["it's"]),
        ("SURE", ["100% sure"]),  # case-insensitive
        ("e", ["snake_case", "100% sure"]),
    ],
)
def test_title_search_treats_wildcards_and_quotes_literally(
    client: FlaskClient, make_user, q: str, expected: list[str]
) -> None:
    author = make_user()
    for title in ("100% sure", "back\\slash", "it's", "snake_case"):
        assert client.post("/boards", json={"title": title}, headers=author["headers"]).status_code == 201
    response = client.get("/boards", query_string={"q": q})
    assert response.status_code == 200
    assert [board["title"] for board in response.json] == expected


@pytest.mark.parametrize("path", ["/boards/2147483648", f"/boards/{MAX_ID}", f"/users/{MAX_ID}"])
def test_ids_beyond_the_integer_columns_are_not_found(client: FlaskClient, path: str) -> None:
    """MySQL's INT ends at 2**31 - 1: larger ids are simply absent, not an SQL error."""
    response = client.get(path)
    assert response.status_code == 404


def test_filtering_by_an_author_id_beyond_int_range_is_an_empty_page(client: FlaskClient) -> None:
    response = client.get("/boards", query_string={"author_id": MAX_ID})
    assert (response.status_code, response.json) == (200, [])


def test_deleting_a_user_takes_their_boards_on_both_databases(client: FlaskClient, make_user) -> None:
    author, other = make_user(), make_user()
    for user in (author, author, other):
        client.post("/boards", json={"title": f"by {user['username']}"}, headers=user["headers"])
    assert client.delete(f"/users/{author['id']}", headers=author["headers"]).status_code == 204
    assert [board["author"]["id"] for board in client.get("/boards").json] == [other["id"]]
