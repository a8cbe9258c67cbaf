"""A 201 for a created board or comment carries its ETag: the one a GET of it gives, usable at
once for If-None-Match and If-Match (no read needed between a create and a conditional edit)."""

from __future__ import annotations

import pytest

from tests.support import public
from tests.support_comments import post_comment


@pytest.fixture(params=["board", "comment"])
def created(request, client, alice, bob, board):
    """(the 201 response, the new resource's URL, the field an edit changes, its author)."""
    if request.param == "board":
        response = client.post(
            "/boards", json={"title": "Fresh", "content": "Text"}, headers=alice["headers"]
        )
        return response, f"/boards/{response.json['id']}", "title", alice
    response = client.post(
        f"/boards/{board['id']}/comments", json={"content": "Fresh"}, headers=bob["headers"]
    )
    return response, f"/comments/{response.json['id']}", "content", bob


def test_a_201_carries_the_etag_a_get_gives(client, created):
    response, url, _, _ = created
    assert response.status_code == 201
    assert response.headers["Location"] == f"http://localhost{url}"
    read = client.get(url)
    assert (read.json, read.headers["ETag"]) == (public(response.json), response.headers["ETag"])
    assert client.get(url, headers={"If-None-Match": response.headers["ETag"]}).status_code == 304


def test_the_201_etag_is_a_current_if_match(client, created):
    response, url, field, author = created
    edit = client.patch(
        url, json={field: "Edited"}, headers={**author["headers"], "If-Match": response.headers["ETag"]}
    )
    assert (edit.status_code, edit.json[field]) == (200, "Edited")
    again = client.patch(
        url, json={field: "Lost"}, headers={**author["headers"], "If-Match": response.headers["ETag"]}
    )
    assert again.status_code == 412


def test_a_reply_carries_its_etag_too(client, bob, board):
    top = post_comment(client, bob, board["id"], "Top")
    reply = client.post(
        f"/boards/{board['id']}/comments",
        json={"content": "Re", "parent_id": top["id"]},
        headers=bob["headers"],
    )
    assert reply.headers["ETag"] == client.get(f"/comments/{reply.json['id']}").headers["ETag"]


def test_the_etag_of_a_201_is_documented(client):
    paths = client.get("/openapi.json").json["paths"]
    for path in ("/boards", "/boards/{board_id}/comments"):
        headers = paths[path]["post"]["responses"]["201"]["headers"]
        assert {"ETag", "Location"} <= set(headers)
