"""What caches may keep: an answer that depends on the caller's token says `Vary: Authorization`,
and one computed for a caller with a token (their marks, feed, follows, scraps, messages) says
`Cache-Control: private` or `no-store`. Walked over every GET of the OpenAPI document."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support_comments import post_comment


def varies_on_token(response: Any) -> bool:
    return "authorization" in {value.strip().lower() for value in response.headers.get("Vary", "").split(",")}


def private(response: Any) -> bool:
    directives = {value.strip() for value in response.headers.get("Cache-Control", "").split(",")}
    return bool(directives & {"private", "no-store"})


@pytest.fixture
def moderator(make_admin) -> dict[str, Any]:
    return make_admin("root")


@pytest.fixture
def world(client, alice, bob, board, moderator) -> dict[str, Any]:
    comment = post_comment(client, bob, board["id"], "Hello")
    client.post(f"/boards/{board['id']}/reports", json={"reason": "spam"}, headers=bob["headers"])
    post_comment(client, alice, board["id"], "A reply", parent_id=comment["id"])
    client.put(f"/users/{alice['id']}/follow", headers=bob["headers"])
    client.put(f"/boards/{board['id']}/scrap", headers=bob["headers"])
    sent = client.post(
        "/messages", json={"recipient_id": alice["id"], "content": "Hi"}, headers=bob["headers"]
    )
    return {
        "board_id": board["id"],
        "comment_id": comment["id"],
        "user_id": alice["id"],
        "message_id": sent.json["id"],
        "case_id": client.get("/moderation/cases", headers=moderator["headers"]).json[0]["id"],
        "forum_id": 1,  # General
    }


def get_operations(client) -> list[tuple[str, bool]]:
    """(path, whether the operation reads a token at all) of every GET of the document."""
    spec = client.get("/openapi.json").json
    return [
        (path, bool(methods["get"].get("security")))
        for path, methods in spec["paths"].items()
        if "get" in methods and path not in ("/openapi.json",)
    ]


def test_every_get_says_what_caches_may_do(client, world, bob, moderator):
    walked = 0
    for path, reads_token in get_operations(client):
        url = path.format(**world)
        reader = moderator if path.startswith("/moderation/") else bob  # admins only there
        with_token = client.get(url, headers=reader["headers"])
        anonymous = client.get(url)
        assert with_token.status_code == 200, (url, with_token.json)
        if reads_token:
            # The same URL answers differently with a token, without one (public routes), or
            # 401 (protected routes): each answer says so.
            assert varies_on_token(with_token), url
            assert varies_on_token(anonymous), url
            assert private(with_token), url
            if anonymous.status_code == 200:  # public data: any cache may keep it
                assert not private(anonymous), url
        else:
            assert not varies_on_token(anonymous), url
            assert not private(anonymous), url
        walked += 1
    assert walked >= 15


@pytest.mark.parametrize(
    "path",
    [
        "/boards/feed",
        "/users/{user_id}",
        "/users/me/scraps",
        "/users/me/forums",
        "/messages",
        "/messages/{message_id}",
        "/boards",
        "/boards/{board_id}",
        "/boards/{board_id}/comments",
        "/comments/{comment_id}",
        "/comments/{comment_id}/replies",
        "/auth/me",
    ],
)
def test_the_callers_own_data_is_private(client, world, bob, path):
    response = client.get(path.format(**world), headers=bob["headers"])
    assert response.status_code == 200
    assert varies_on_token(response) and private(response)


def test_a_profile_with_followed_is_private_and_the_anonymous_one_is_not(client, world, bob):
    url = f"/users/{world['user_id']}"
    mine = client.get(url, headers=bob["headers"])
    assert (mine.json["followed"], mine.headers["Cache-Control"]) == (True, "private")
    anonymous = client.get(url)
    assert "followed" not in anonymous.json
    assert "Cache-Control" not in anonymous.headers
    assert varies_on_token(anonymous)


def test_not_modified_and_errors_vary_too(client, world, bob):
    url = f"/boards/{world['board_id']}"
    etag = client.get(url, headers=bob["headers"]).headers["ETag"]
    cached = client.get(url, headers={**bob["headers"], "If-None-Match": etag})
    assert cached.status_code == 304
    assert varies_on_token(cached) and cached.headers["Cache-Control"] == "private"
    missing = client.get("/boards/feed")
    assert missing.status_code == 401 and varies_on_token(missing)
    bad = client.get("/boards", headers={"Authorization": "Bearer nonsense"})
    assert bad.status_code == 401 and varies_on_token(bad)
    gone = client.get("/boards/999999", headers=bob["headers"])
    assert gone.status_code == 404 and varies_on_token(gone) and private(gone)


def test_writes_with_a_token_are_private(client, world, bob):
    like = client.put(f"/boards/{world['board_id']}/like", headers=bob["headers"])
    assert like.status_code == 200 and varies_on_token(like) and private(like)
    created = client.post("/boards", json={"title": "Mine"}, headers=bob["headers"])
    assert created.status_code == 201 and varies_on_token(created) and private(created)


def test_no_store_stays_no_store(client, world, bob):
    for url in ("/auth/me", "/users/me/scraps", "/messages", f"/users/{bob['id']}"):
        assert client.get(url, headers=bob["headers"]).headers["Cache-Control"] == "no-store", url
