"""Boards in forums: every board shape names its forum and says whether it is anonymous (and, to a
caller with a token, whether it is theirs); POST /boards takes `forum_id` and `anonymous` under the
forum's policy; GET /boards?forum_id= lists one forum at the cost of the plain list; and each
forum's `board_count` stays exact under concurrent writers and a user's deletion.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from models.anonymous_author import WRITER_NUMBER, author_label
from tests.conftest import error
from tests.support import count_statements, create_board, pagination, validation_error
from tests.support_forums import (
    GENERAL,
    board_count,
    create_forum,
    insert_board,
    race,
    request,
    stored_board_counts,
)

CLIENTS = 16
GENERAL_REF = {"id": GENERAL, "name": "General"}


@pytest.fixture
def admin(make_admin) -> dict[str, Any]:
    return make_admin("root")


@pytest.fixture
def forums(client, admin) -> dict[str, dict[str, Any]]:
    """One forum of each anonymity policy besides General (optional)."""
    return {
        policy: create_forum(client, admin, policy.capitalize(), "test", anonymous=policy)
        for policy in ("never", "optional", "always")
    }


def post_board(client, user: dict[str, Any], **fields: Any) -> dict[str, Any]:
    response = client.post("/boards", json={"title": "A title", **fields}, headers=user["headers"])
    assert response.status_code == 201, response.json
    return response.json


# Counters (triggers on boards, whoever writes).


def test_sixteen_simultaneous_boards_and_deletions_keep_generals_count(app, client, make_user):
    users = [make_user() for _ in range(CLIENTS)]
    created = race(app, [request("POST", "/boards", {"title": "Race"}, u["access_token"]) for u in users])
    assert Counter(status for status, _ in created) == {201: CLIENTS}, created
    assert board_count(client, GENERAL) == CLIENTS
    deletions = [
        request("DELETE", f"/boards/{body['id']}", token=users[n]["access_token"])
        for n, (_, body) in enumerate(created)
    ]
    assert Counter(status for status, _ in race(app, deletions)) == {204: CLIENTS}
    assert board_count(client, GENERAL) == 0
    assert stored_board_counts(app) == {GENERAL: (0, 0)}


def test_a_users_deletion_moves_the_count_of_every_forum_they_wrote_in(app, client, admin, make_user):
    clubs = create_forum(client, admin, "Clubs")
    alice, bob = make_user(), make_user()
    create_board(client, alice)
    create_board(client, bob)
    for _ in range(3):
        insert_board(app, alice["id"], clubs["id"])
    insert_board(app, bob["id"], clubs["id"])
    assert stored_board_counts(app) == {GENERAL: (2, 2), clubs["id"]: (4, 4)}
    assert client.delete(f"/users/{alice['id']}", headers=alice["headers"]).status_code == 204
    assert stored_board_counts(app) == {GENERAL: (1, 1), clubs["id"]: (1, 1)}


def test_an_anonymous_comments_label_comes_from_its_number():
    assert [author_label(n) for n in (WRITER_NUMBER, 1, 12)] == ["writer", "anonymous 1", "anonymous 12"]


def test_every_board_shape_names_its_forum_and_says_whether_it_is_anonymous(client, make_user, forums):
    """POST, GET one, every list, PUT and PATCH: `forum` {id, name} and `anonymous` always;
    `is_mine` with a token only (and on every shape then, writes included)."""
    alice, bob = make_user(), make_user()
    created = post_board(client, alice, forum_id=forums["optional"]["id"])
    assert created["forum"] == {"id": forums["optional"]["id"], "name": "Optional"}
    assert (created["anonymous"], created["is_mine"]) == (False, True)
    board_id = created["id"]
    for path in (
        f"/boards/{board_id}",
        "/boards",
        "/boards?sort=top",
        "/boards?q=title",
        f"/boards?author_id={alice['id']}",
        f"/boards?forum_id={forums['optional']['id']}",
    ):
        public = client.get(path).json
        public = public if isinstance(public, dict) else public[0]
        assert (public["forum"], public["anonymous"]) == (created["forum"], False), path
        assert "is_mine" not in public, path
        for user, mine in ((alice, True), (bob, False)):
            body = client.get(path, headers=user["headers"]).json
            body = body if isinstance(body, dict) else body[0]
            assert body["is_mine"] is mine, path
    assert client.put(f"/boards/{board_id}/scrap", headers=bob["headers"]).status_code == 200
    scrapped = client.get("/users/me/scraps", headers=bob["headers"]).json[0]
    assert (scrapped["forum"], scrapped["is_mine"]) == (created["forum"], False)
    assert client.put(f"/users/{alice['id']}/follow", headers=bob["headers"]).status_code == 200
    fed = client.get("/boards/feed", headers=bob["headers"]).json[0]
    assert (fed["forum"], fed["is_mine"]) == (created["forum"], False)
    for method in ("PUT", "PATCH"):
        changed = client.open(
            f"/boards/{board_id}", method=method, json={"title": "New"}, headers=alice["headers"]
        )
        assert (changed.json["forum"], changed.json["anonymous"], changed.json["is_mine"]) == (
            created["forum"],
            False,
            True,
        )


def test_a_board_goes_to_general_unless_it_names_its_forum(client, make_user, forums):
    user = make_user()
    assert post_board(client, user)["forum"] == GENERAL_REF
    assert post_board(client, user, forum_id=forums["never"]["id"])["forum"]["name"] == "Never"
    assert board_count(client, GENERAL) == 1
    assert board_count(client, forums["never"]["id"]) == 1


@pytest.mark.parametrize(
    ("forum_id", "errors"),
    [
        (99, {"forum_id": ["Forum 99 not found."]}),
        (0, {"forum_id": [f"Must be greater than or equal to 1 and less than or equal to {2**63 - 1}."]}),
        ("one", {"forum_id": ["Not a valid integer."]}),
        (None, {"forum_id": ["Field may not be null."]}),
    ],
)
def test_a_forum_that_is_not_there_is_a_422_on_forum_id(client, make_user, forum_id, errors):
    response = client.post(
        "/boards", json={"title": "Lost", "forum_id": forum_id}, headers=make_user()["headers"]
    )
    assert (response.status_code, response.json) == (422, validation_error("json", errors))
    assert client.get("/boards").json == []
    assert board_count(client, GENERAL) == 0


def test_the_forums_policy_decides_whether_a_board_is_anonymous(client, make_user, forums):
    user = make_user()
    never, optional, always = forums["never"]["id"], forums["optional"]["id"], forums["always"]["id"]
    refused = client.post(
        "/boards", json={"title": "x", "forum_id": never, "anonymous": True}, headers=user["headers"]
    )
    message = f"Forum {never} does not allow anonymous boards."
    assert (refused.status_code, refused.json) == (422, validation_error("json", {"anonymous": [message]}))
    assert post_board(client, user, forum_id=never, anonymous=False)["anonymous"] is False
    assert post_board(client, user, forum_id=optional)["anonymous"] is False  # the default
    assert post_board(client, user, forum_id=optional, anonymous=True)["anonymous"] is True
    assert post_board(client, user, forum_id=always)["anonymous"] is True  # whatever was sent
    assert post_board(client, user, forum_id=always, anonymous=False)["anonymous"] is True
    bad = client.post("/boards", json={"title": "x", "anonymous": "maybe"}, headers=user["headers"])
    assert bad.json == validation_error("json", {"anonymous": ["Not a valid boolean."]})


def test_a_board_stays_in_its_forum_and_keeps_its_anonymity(client, make_user, forums):
    """PUT and PATCH change what the author wrote: neither the forum nor the anonymity."""
    user = make_user()
    board = post_board(client, user, forum_id=forums["optional"]["id"], anonymous=True)
    for method, field, value in (
        ("PUT", "forum_id", GENERAL),
        ("PATCH", "forum_id", GENERAL),
        ("PUT", "anonymous", False),
        ("PATCH", "anonymous", False),
    ):
        body = {"title": "Moved?", field: value}
        response = client.open(f"/boards/{board['id']}", method=method, json=body, headers=user["headers"])
        assert response.json == validation_error("json", {field: ["Unknown field."]}), (method, field)
    assert client.get(f"/boards/{board['id']}", headers=user["headers"]).json == {
        **board,
        "liked": False,
        "scrapped": False,
    }


def test_a_forums_list_is_its_boards_newest_first_with_its_count_as_total(client, make_user, forums):
    user = make_user()
    ids = {name: [] for name in forums}
    for n in range(5):
        for name, forum in forums.items():
            ids[name].append(post_board(client, user, forum_id=forum["id"], title=f"{name} {n}")["id"])
    post_board(client, user)  # General
    response = client.get(f"/boards?forum_id={forums['always']['id']}&page_size=2")
    assert [board["id"] for board in response.json] == ids["always"][::-1][:2]
    assert pagination(response) == {
        "total": 5,
        "total_pages": 3,
        "first_page": 1,
        "last_page": 3,
        "page": 1,
        "next_page": 2,
        "next_before": ids["always"][-2],
    }
    keyset = client.get(f"/boards?forum_id={forums['always']['id']}&before={ids['always'][-2]}")
    assert [board["id"] for board in keyset.json] == ids["always"][::-1][2:]
    top = client.get(f"/boards?forum_id={forums['never']['id']}&sort=top&q=never")
    assert sorted(board["id"] for board in top.json) == ids["never"]
    mine = client.get(f"/boards?forum_id={forums['never']['id']}&author_id={user['id']}")
    assert pagination(mine)["total"] == 5


def test_listing_a_forum_that_does_not_exist_is_404(client):
    for query in ("", "&before=10", "&q=word", "&author_id=1", "&sort=top", "&page=9"):
        response = client.get(f"/boards?forum_id=99{query}")
        assert (response.status_code, response.json) == (
            404,
            error(404, "not_found", "Forum 99 not found."),
        ), query
    response = client.get("/boards?forum_id=0")
    assert response.json == validation_error(
        "query", {"forum_id": [f"Must be greater than or equal to 1 and less than or equal to {2**63 - 1}."]}
    )


def cost(app, client, url: str, **kwargs: Any) -> tuple[int, list[str]]:
    with count_statements(app) as statements:
        response = client.open(url, **kwargs)
    assert response.status_code in (200, 404), response.json
    return len(statements), statements


def test_a_page_of_a_forum_costs_what_a_page_of_all_boards_costs(app, client, admin, make_user):
    """Two statements (the forum's row, which answers 404 and holds the total; the page), with
    or without a token, whatever the page's size: never a COUNT(*) over the forum's boards."""
    clubs = create_forum(client, admin, "Clubs")
    reader = make_user()
    for n in range(60):
        insert_board(app, reader["id"], clubs["id"] if n % 2 else GENERAL, anonymous=n % 3 == 0)
    auth, _ = cost(app, client, "/auth/me", headers=reader["headers"])
    for query in ("", "&sort=top", "&page=2"):
        for size in (1, 15):  # 30 boards in the forum: page 2 is full either way
            url = f"/boards?forum_id={clubs['id']}&page_size={size}{query}"
            anonymous, statements = cost(app, client, url)
            assert anonymous == 2, statements
            assert not any("count(*)" in sql.lower() for sql in statements), statements
            assert cost(app, client, url, headers=reader["headers"])[0] == auth + 2
    assert cost(app, client, "/boards?forum_id=99")[0] == 1


def test_sixteen_simultaneous_boards_and_deletions_in_one_forum_keep_its_count(
    app, client, make_user, forums
):
    forum_id = forums["optional"]["id"]
    users = [make_user() for _ in range(CLIENTS)]
    bodies = [{"title": "Race", "forum_id": forum_id, "anonymous": n % 2 == 0} for n in range(CLIENTS)]
    created = race(
        app, [request("POST", "/boards", bodies[n], u["access_token"]) for n, u in enumerate(users)]
    )
    assert Counter(status for status, _ in created) == {201: CLIENTS}, created
    assert board_count(client, forum_id) == CLIENTS
    deletions = [
        request("DELETE", f"/boards/{body['id']}", token=users[n]["access_token"])
        for n, (_, body) in enumerate(created)
    ]
    assert Counter(status for status, _ in race(app, deletions)) == {204: CLIENTS}
    assert stored_board_counts(app)[forum_id] == (0, 0)


def test_the_openapi_document_describes_forums_on_boards(client):
    schemas = client.get("/openapi.json").json["components"]["schemas"]
    board = schemas["Board"]
    assert {"forum", "anonymous"} <= set(board["required"])
    assert "is_mine" in board["properties"] and "is_mine" not in board["required"]
    assert board["properties"]["author"].get("nullable") is True
    assert {"forum_id", "anonymous"} <= set(schemas["BoardCreate"]["properties"])
    comment = schemas["Comment"]
    assert {"anonymous", "author_label"} <= set(comment["required"])
    assert comment["properties"]["author_label"].get("nullable") is True
