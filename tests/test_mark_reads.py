"""The reader's marks on every board read, GET /boards?sort=top, GET /users/me/scraps."""

from __future__ import annotations

import json

import pytest

from tests.conftest import bearer, error
from tests.support import create_board, pagination, validation_error

# Every field of a board read without a token: no marks, no `is_mine`.
MARKED = {
    "id",
    "title",
    "content",
    "author",
    "forum",
    "anonymous",
    "created_at",
    "updated_at",
    "comment_count",
    "like_count",
    "scrap_count",
    "hidden",
}


@pytest.fixture
def users(make_user):
    return make_user("alice"), make_user("bob")


@pytest.fixture
def boards(client, users):
    """Four boards by alice (ids ascending); bob likes 1 and 3, scraps 2 then 1; alice likes 3."""
    alice, bob = users
    made = [create_board(client, alice, title=f"Board {n}") for n in range(4)]
    for n, kind in ((1, "like"), (3, "like"), (2, "scrap"), (1, "scrap")):
        assert client.put(f"/boards/{made[n]['id']}/{kind}", headers=bob["headers"]).status_code == 200
    client.put(f"/boards/{made[3]['id']}/like", headers=alice["headers"])
    return made


def marks(response) -> list[tuple[str, bool, bool]]:
    return [(board["title"], board["liked"], board["scrapped"]) for board in response.json]


def test_without_a_token_there_are_counts_and_no_marks(client, boards):
    listed = client.get("/boards")
    assert [(b["title"], b["like_count"], b["scrap_count"]) for b in listed.json] == [
        ("Board 3", 2, 0),
        ("Board 2", 0, 1),
        ("Board 1", 1, 1),
        ("Board 0", 0, 0),
    ]
    assert all(set(board) == MARKED for board in listed.json)
    assert set(client.get(f"/boards/{boards[1]['id']}").json) == MARKED
    assert listed.headers["Vary"] == "Authorization"


def test_with_a_token_every_board_carries_the_readers_own_marks(client, users, boards):
    alice, bob = users
    expected_bob = [
        ("Board 3", True, False),
        ("Board 2", False, True),
        ("Board 1", True, True),
        ("Board 0", False, False),
    ]
    assert marks(client.get("/boards", headers=bob["headers"])) == expected_bob
    assert marks(client.get("/boards", headers=alice["headers"]))[0] == ("Board 3", True, False)
    assert marks(client.get("/boards?page_size=1&page=3", headers=bob["headers"])) == [
        ("Board 1", True, True)
    ]
    assert marks(client.get(f"/boards?author_id={alice['id']}&q=board 2", headers=bob["headers"])) == [
        ("Board 2", False, True)
    ]
    one = client.get(f"/boards/{boards[1]['id']}", headers=bob["headers"])
    mine = {"liked": True, "scrapped": True, "is_mine": False}
    assert one.json == {**client.get(f"/boards/{boards[1]['id']}").json, **mine}


@pytest.mark.parametrize("path", ["/boards", "/boards/1", "/boards?sort=top"])
@pytest.mark.parametrize(
    ("token", "code"),
    [("garbage", "invalid_token"), ("refresh", "invalid_token"), ("gone", "user_not_found")],
)
def test_an_unusable_token_on_a_public_read_is_its_401(client, users, boards, path, token, code):
    bob = users[1]
    headers = {"garbage": bearer("x.y.z"), "refresh": bearer(bob["refresh_token"]), "gone": bob["headers"]}[
        token
    ]
    if token == "gone":
        assert client.delete(f"/users/{bob['id']}", headers=bob["headers"]).status_code == 204
    response = client.get(path, headers=headers)
    assert (response.status_code, response.json["error"]) == (401, code)


def test_a_board_tag_differs_with_the_readers_marks(client, users, boards):
    """A reader's copy is revalidated when their marks (or the counts) change: If-None-Match
    compares the whole tag. `Vary: Authorization` keeps one reader's copy from another."""
    alice, bob = users
    url = f"/boards/{boards[1]['id']}"
    anonymous, as_bob, as_alice = (client.get(url, headers=h) for h in ({}, bob["headers"], alice["headers"]))
    assert len({anonymous.headers["ETag"], as_bob.headers["ETag"], as_alice.headers["ETag"]}) == 3
    # The part If-Match compares is the same for all three: what the author wrote.
    assert len({r.headers["ETag"].split(".")[0] for r in (anonymous, as_bob, as_alice)}) == 1
    cached = client.get(url, headers={**bob["headers"], "If-None-Match": as_bob.headers["ETag"]})
    assert (cached.status_code, cached.headers["Vary"]) == (304, "Authorization")

    client.delete(f"{url}/like", headers=bob["headers"])
    again = client.get(url, headers={**bob["headers"], "If-None-Match": as_bob.headers["ETag"]})
    assert (again.status_code, again.json["liked"], again.json["like_count"]) == (200, False, 0)
    # Alice's copy is stale too (the count moved), though her own marks did not.
    assert (
        client.get(url, headers={**alice["headers"], "If-None-Match": as_alice.headers["ETag"]}).status_code
        == 200
    )
    # Any reader's tag passes the author's If-Match.
    patched = client.patch(
        url, json={"content": "x"}, headers={**alice["headers"], "If-Match": as_bob.headers["ETag"]}
    )
    assert patched.status_code == 200


def test_sort_top_is_most_liked_first_ties_newest_first(client, users, boards):
    alice, bob = users
    top = client.get("/boards?sort=top", headers=bob["headers"])
    assert [(b["title"], b["like_count"]) for b in top.json] == [
        ("Board 3", 2),
        ("Board 1", 1),
        ("Board 2", 0),
        ("Board 0", 0),
    ]
    assert marks(top)[1] == ("Board 1", True, True)
    # Offset pages only: no keyset field in X-Pagination.
    page = client.get("/boards?sort=top&page_size=2&page=2")
    assert [b["title"] for b in page.json] == ["Board 2", "Board 0"]
    assert pagination(page) == {
        "total": 4,
        "total_pages": 2,
        "first_page": 1,
        "last_page": 2,
        "page": 2,
        "previous_page": 1,
    }
    assert "next_before" not in pagination(client.get("/boards?sort=top&page_size=2"))
    assert [b["title"] for b in client.get("/boards?sort=top&q=Board 2").json] == ["Board 2"]
    other = create_board(client, bob, title="Bob's")
    client.put(f"/boards/{other['id']}/like", headers=alice["headers"])
    by_bob = client.get(f"/boards?sort=top&author_id={bob['id']}")
    assert ([b["title"] for b in by_bob.json], pagination(by_bob)["total"]) == (["Bob's"], 1)
    assert client.get("/boards?sort=new").json == client.get("/boards").json


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ("sort=old", {"sort": ["Must be one of: new, top, relevance."]}),
        ("sort=", {"sort": ["Must be one of: new, top, relevance."]}),
        ("sort=TOP", {"sort": ["Must be one of: new, top, relevance."]}),
        ("sort=top&before=3", {"before": ["Keyset paging is newest first only: page sort=top with page."]}),
    ],
)
def test_bad_sort_is_422(client, query, errors):
    response = client.get(f"/boards?{query}")
    assert (response.status_code, response.json) == (422, validation_error("query", errors))


def test_my_scraps_most_recently_scrapped_first(client, users, boards):
    bob = users[1]
    response = client.get("/users/me/scraps", headers=bob["headers"])
    assert response.status_code == 200
    assert marks(response) == [("Board 1", True, True), ("Board 2", False, True)]
    assert response.json[0] == client.get(f"/boards/{boards[1]['id']}", headers=bob["headers"]).json
    assert response.headers["Cache-Control"] == "no-store"
    assert pagination(response) == {"total": 2, "total_pages": 1, "first_page": 1, "last_page": 1, "page": 1}
    # Scrapping again does not move it up: it was already kept.
    client.put(f"/boards/{boards[2]['id']}/scrap", headers=bob["headers"])
    second = client.get("/users/me/scraps?page_size=1&page=2", headers=bob["headers"])
    assert (marks(second), json.loads(second.headers["X-Pagination"])["total"]) == (
        [("Board 2", False, True)],
        2,
    )
    client.delete(f"/boards/{boards[1]['id']}/scrap", headers=bob["headers"])
    assert [b["title"] for b in client.get("/users/me/scraps", headers=bob["headers"]).json] == ["Board 2"]


def test_scraps_are_private(client, users, boards):
    alice, bob = users
    assert client.get("/users/me/scraps", headers=alice["headers"]).json == []
    response = client.get("/users/me/scraps")
    assert (response.status_code, response.json) == (
        401,
        error(
            401,
            "authorization_required",
            "An access token is required: send 'Authorization: Bearer <token>'.",
        ),
    )
    # Nobody else's list has an address.
    assert client.get(f"/users/{bob['id']}/scraps", headers=alice["headers"]).status_code == 404
    assert client.get("/users/me", headers=bob["headers"]).status_code == 404


def test_each_user_lists_their_own_scraps_alone(client, make_user):
    """Two users whose scraps interleave, on boards both of them scrapped and on boards only one
    did: each sees exactly their own, in their own order, with their own total and marks (a user
    with no scraps never runs the page query, so it cannot tell)."""
    alice, bob = make_user("alice"), make_user("bob")
    made = [create_board(client, alice, title=f"Board {n}") for n in range(5)]
    scraps = [(alice, 0), (bob, 1), (alice, 2), (bob, 2), (bob, 3), (alice, 4), (bob, 0)]
    for user, n in scraps:
        assert client.put(f"/boards/{made[n]['id']}/scrap", headers=user["headers"]).status_code == 200
    # Marks are the reader's own too: each likes one board that both scrapped.
    assert client.put(f"/boards/{made[2]['id']}/like", headers=alice["headers"]).status_code == 200
    assert client.put(f"/boards/{made[0]['id']}/like", headers=bob["headers"]).status_code == 200

    expected = {
        "alice": [("Board 4", False, True), ("Board 2", True, True), ("Board 0", False, True)],
        "bob": [
            ("Board 0", True, True),
            ("Board 3", False, True),
            ("Board 2", False, True),
            ("Board 1", False, True),
        ],
    }
    for user in (alice, bob):
        response = client.get("/users/me/scraps", headers=user["headers"])
        assert marks(response) == expected[user["username"]]
        assert pagination(response)["total"] == len(expected[user["username"]])
        # Page by page too: the pages of one user hold their scraps alone, and all of them.
        pages = [
            client.get(f"/users/me/scraps?page_size=2&page={n}", headers=user["headers"]) for n in (1, 2)
        ]
        assert [marks(page) for page in pages] == [
            expected[user["username"]][:2],
            expected[user["username"]][2:],
        ]
        assert {pagination(page)["total"] for page in pages} == {len(expected[user["username"]])}


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        (
            "page_size=101",
            {"page_size": ["Must be greater than or equal to 1 and less than or equal to 100."]},
        ),
        ("page=0", {"page": ["Must be greater than or equal to 1."]}),
    ],
)
def test_my_scraps_pages_like_every_list(client, users, query, errors):
    response = client.get(f"/users/me/scraps?{query}", headers=users[1]["headers"])
    assert (response.status_code, response.json) == (422, validation_error("query", errors))
