"""Every paginated list sends a Link header (RFC 8288) beside X-Pagination: absolute URLs of the
first, previous, next and last pages where X-Pagination has them (a keyset page: the next one),
with the request's other query parameters kept. X-Pagination itself is the documented object."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import jsonschema
import pytest

from tests.support import create_board, pagination
from tests.support_comments import post_comment
from tests.support_forums import create_forum, pin

LINK = re.compile(r'<([^>]*)>; rel="([a-z]+)"')


def links(response: Any) -> dict[str, str]:
    """rel → URL of a Link header, checked to be nothing but a list of such links."""
    header = response.headers.get("Link")
    if header is None:
        return {}
    found = LINK.findall(header)
    assert ", ".join(f'<{url}>; rel="{rel}"' for url, rel in found) == header
    return {rel: url for url, rel in found}


@pytest.fixture
def world(client, alice, bob, carol, make_user, make_admin, board) -> dict[str, Any]:
    """Three or more items in every paginated list, and the caller (bob) of the private ones (an
    admin of the moderation lists)."""
    dave = make_user("dave")
    admin = make_admin("root")
    boards = [board["id"]] + [create_board(client, alice, title=f"More {n}")["id"] for n in range(2)]
    first = post_comment(client, bob, board["id"], "First")
    for n in range(2):
        post_comment(client, bob, board["id"], f"Comment {n}")
    replies = [
        post_comment(client, carol, board["id"], f"Reply {n}", parent_id=first["id"]) for n in range(3)
    ]
    for follower in (bob, carol, dave):
        assert client.put(f"/users/{alice['id']}/follow", headers=follower["headers"]).status_code == 200
    for followee in (carol, dave):
        assert client.put(f"/users/{followee['id']}/follow", headers=bob["headers"]).status_code == 200
    for board_id in boards:
        assert client.put(f"/boards/{board_id}/scrap", headers=bob["headers"]).status_code == 200
    for n in range(3):
        sent = client.post(
            "/messages", json={"recipient_id": alice["id"], "content": f"Hi {n}"}, headers=bob["headers"]
        )
        assert sent.status_code == 201
    for name in ("Careers", "Clubs"):  # with General, three forums
        forum = create_forum(client, admin, name)
        assert pin(client, bob, forum["id"]).status_code == 200
    assert pin(client, bob, 1).status_code == 200
    # Six cases: three stay open, three are dismissed (three entries of the audit log).
    for kind, item_id in [*(("board", n) for n in boards), *(("comment", r["id"]) for r in replies)]:
        reported = client.post(f"/{kind}s/{item_id}/reports", json={"reason": "spam"}, headers=bob["headers"])
        assert reported.status_code == 201
    for case in client.get("/moderation/cases", headers=admin["headers"]).json[:3]:
        dismissed = client.patch(
            f"/moderation/cases/{case['id']}", json={"action": "dismiss"}, headers=admin["headers"]
        )
        assert dismissed.status_code == 200
    return {
        "board": board["id"],
        "comment": first["id"],
        "followed": alice["id"],
        "follower": bob["id"],
        "bob": bob,
        "admin": admin,
    }


def paginated_paths(client) -> set[str]:
    spec = client.get("/openapi.json").json
    return {
        path
        for path, operations in spec["paths"].items()
        if "X-Pagination" in operations.get("get", {}).get("responses", {}).get("200", {}).get("headers", {})
    }


# Each paginated list of the document, and the URL of a list with three items or more in `world`.
LISTS = {
    "/boards": "/boards",
    "/boards/feed": "/boards/feed",
    "/boards/{board_id}/comments": "/boards/{board}/comments",
    "/comments/{comment_id}/replies": "/comments/{comment}/replies",
    "/messages": "/messages",
    "/users": "/users",
    "/users/me/scraps": "/users/me/scraps",
    "/users/{user_id}/followers": "/users/{followed}/followers",
    "/users/{user_id}/following": "/users/{follower}/following",
    "/forums": "/forums",
    "/users/me/forums": "/users/me/forums",
    "/moderation/cases": "/moderation/cases",
    "/moderation/log": "/moderation/log",
}


def test_every_paginated_list_of_the_document_is_walked_here(client):
    assert paginated_paths(client) == set(LISTS)


@pytest.mark.parametrize("path", LISTS.values())
def test_a_middle_page_links_to_the_first_previous_next_and_last(client, world, path):
    url = path.format(**world)
    reader = world["admin"] if path.startswith("/moderation/") else world["bob"]
    response = client.get(f"{url}?page=2&page_size=1&utm_source=kept", headers=reader["headers"])
    assert response.status_code == 200, response.json
    metadata = pagination(response)
    assert metadata["page"] == 2 and metadata["last_page"] >= 3, metadata

    found = links(response)
    base = f"http://localhost{url}?page_size=1&utm_source=kept&page="
    assert found == {
        "first": base + "1",
        "prev": base + "1",
        "next": base + "3",
        "last": base + str(metadata["last_page"]),
    }
    # Each link leads to the page it names, with the same filters.
    for rel, expected in (("next", 3), ("last", metadata["last_page"])):
        followed = client.get(found[rel], headers=reader["headers"])
        assert pagination(followed)["page"] == expected


def test_the_first_and_last_pages_link_only_where_pages_exist(client, alice, board):
    for n in range(2):
        create_board(client, alice, title=f"More {n}")
    first = client.get("/boards?page_size=2")
    assert links(first) == {
        "first": "http://localhost/boards?page_size=2&page=1",
        "next": "http://localhost/boards?page_size=2&page=2",
        "last": "http://localhost/boards?page_size=2&page=2",
    }
    last = client.get("/boards?page_size=2&page=2")
    assert links(last) == {
        "first": "http://localhost/boards?page_size=2&page=1",
        "prev": "http://localhost/boards?page_size=2&page=1",
        "last": "http://localhost/boards?page_size=2&page=2",
    }
    only = client.get("/boards")
    assert links(only) == {
        "first": "http://localhost/boards?page=1",
        "last": "http://localhost/boards?page=1",
    }
    # Past the end: X-Pagination has no page, hence no prev or next either.
    past = client.get("/boards?page=9")
    assert links(past) == {
        "first": "http://localhost/boards?page=1",
        "last": "http://localhost/boards?page=1",
    }


def test_an_empty_list_sends_no_link(client):
    response = client.get("/boards")
    assert pagination(response) == {"total": 0, "total_pages": 0}
    assert "Link" not in response.headers


@pytest.mark.parametrize("path", ["/boards", "/boards/feed"])
def test_a_keyset_page_links_to_the_next_one(client, alice, bob, board, path):
    for n in range(2):
        create_board(client, alice, title=f"More {n}")
    client.put(f"/users/{alice['id']}/follow", headers=bob["headers"])
    newest = client.get("/boards?page_size=1").json[0]["id"]

    response = client.get(f"{path}?sort=new&before={newest + 1}&page_size=2", headers=bob["headers"])
    metadata = pagination(response)
    assert metadata == {"page_size": 2, "next_before": newest - 1}
    assert links(response) == {"next": f"http://localhost{path}?sort=new&page_size=2&before={newest - 1}"}
    last = client.get(links(response)["next"], headers=bob["headers"])
    assert [board["id"] for board in last.json] == [newest - 2]
    assert "Link" not in last.headers  # the last keyset page


def test_other_query_parameters_are_kept_and_encoded(client, alice, board):
    for n in range(3):
        create_board(client, alice, title=f"a b&c=d {n}")
    response = client.get("/boards?q=a+b%26c%3Dd&page_size=1&author_id=1")
    next_url = links(response)["next"]
    assert urlsplit(next_url).path == "/boards"
    assert parse_qsl(urlsplit(next_url).query) == [
        ("q", "a b&c=d"),
        ("page_size", "1"),
        ("author_id", "1"),
        ("page", "2"),
    ]
    assert [b["title"] for b in client.get(next_url).json] == ["a b&c=d 1"]


def test_links_are_absolute_urls_of_the_host_asked(client, alice, board):
    create_board(client, alice)
    response = client.get("/boards?page_size=1", base_url="https://board.example:8443")
    assert links(response)["next"] == "https://board.example:8443/boards?page_size=1&page=2"


def test_x_pagination_values_are_the_documented_object(client, world):
    schema = client.get("/openapi.json").json["components"]["headers"]["PAGINATION"]["content"][
        "application/json"
    ]
    for url in ("/boards?page_size=1&page=2", "/boards?before=2", "/boards?page=99", "/users/me/scraps"):
        response = client.get(url, headers=world["bob"]["headers"])
        jsonschema.validate(json.loads(response.headers["X-Pagination"]), schema["schema"])
