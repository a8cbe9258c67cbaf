"""Likes and scraps of boards: PUT/DELETE, idempotent, counted exactly, gone with their user."""

from __future__ import annotations

import pytest

from db import db
from models import Board, BoardLike, BoardScrap
from tests.conftest import bearer, error
from tests.support import create_board, not_found

NEEDS_TOKEN = error(
    401, "authorization_required", "An access token is required: send 'Authorization: Bearer <token>'."
)
INVALID_TOKEN = error(401, "invalid_token", "The token is invalid.")
KINDS = [("like", "liked", "like_count"), ("scrap", "scrapped", "scrap_count")]


def marks_of(app, board_id: int) -> dict[str, object]:
    """The board's counters and its mark rows, straight from the database."""
    with app.app_context():
        counts = db.session.execute(
            db.select(Board.like_count, Board.scrap_count).where(Board.id == board_id)
        ).one_or_none()
        likes = db.session.scalars(db.select(BoardLike.user_id).where(BoardLike.board_id == board_id))
        scraps = db.session.scalars(db.select(BoardScrap.user_id).where(BoardScrap.board_id == board_id))
        return {
            "counts": None if counts is None else tuple(counts),
            "likes": set(likes),
            "scraps": set(scraps),
        }


@pytest.mark.parametrize(("kind", "flag", "count"), KINDS)
def test_marking_is_idempotent_and_counted_once(app, client, alice, bob, board, kind, flag, count):
    url = f"/boards/{board['id']}/{kind}"
    for _ in range(2):  # twice counts once
        response = client.put(url, headers=bob["headers"])
        assert (response.status_code, response.json) == (200, {flag: True, count: 1})
    assert client.put(url, headers=alice["headers"]).json == {flag: True, count: 2}  # the author may too
    for _ in range(2):
        response = client.delete(url, headers=bob["headers"])
        assert (response.status_code, response.json) == (200, {flag: False, count: 1})
    assert client.get(f"/boards/{board['id']}").json[count] == 1
    stored = marks_of(app, board["id"])
    # Only alice's mark is left, of this kind only.
    if kind == "like":
        assert stored == {"counts": (1, 0), "likes": {alice["id"]}, "scraps": set()}
    else:
        assert stored == {"counts": (0, 1), "likes": set(), "scraps": {alice["id"]}}


@pytest.mark.parametrize(("kind", "flag", "count"), KINDS)
def test_anyone_with_a_token_marks_only_for_themselves(
    app, client, make_admin, alice, bob, board, kind, flag, count
):
    """No owner rule here: the author, another user and an admin each add their own mark; an
    admin's unmark takes back the admin's, never someone else's."""
    admin = make_admin("root")
    for n, user in enumerate((alice, bob, admin), start=1):
        assert client.put(f"/boards/{board['id']}/{kind}", headers=user["headers"]).json == {
            flag: True,
            count: n,
        }
    assert client.delete(f"/boards/{board['id']}/{kind}", headers=admin["headers"]).json == {
        flag: False,
        count: 2,
    }
    marks = marks_of(app, board["id"])
    assert marks["likes" if kind == "like" else "scraps"] == {alice["id"], bob["id"]}


def test_likes_and_scraps_are_counted_apart(app, client, alice, bob, board):
    client.put(f"/boards/{board['id']}/like", headers=bob["headers"])
    assert client.put(f"/boards/{board['id']}/scrap", headers=bob["headers"]).json == {
        "scrapped": True,
        "scrap_count": 1,
    }
    assert client.delete(f"/boards/{board['id']}/scrap", headers=alice["headers"]).json == {
        "scrapped": False,
        "scrap_count": 1,
    }
    assert marks_of(app, board["id"]) == {"counts": (1, 1), "likes": {bob["id"]}, "scraps": {bob["id"]}}


@pytest.mark.parametrize("kind", ["like", "scrap"])
@pytest.mark.parametrize("method", ["put", "delete"])
@pytest.mark.parametrize(
    ("headers", "status", "body"),
    [
        ({}, 401, NEEDS_TOKEN),
        (bearer("not-a-token"), 401, INVALID_TOKEN),
        ("refresh", 401, None),
        ("bob", 404, "missing"),
    ],
    ids=["anonymous", "garbage-token", "refresh-token", "missing-board"],
)
def test_refusals_change_nothing(app, client, alice, bob, board, kind, method, headers, status, body):
    client.put(f"/boards/{board['id']}/{kind}", headers=alice["headers"])
    before = marks_of(app, board["id"])
    board_id = board["id"]
    if headers == "refresh":
        headers = bearer(bob["refresh_token"])
    elif headers == "bob":
        headers, board_id = bob["headers"], board["id"] + 1000

    response = getattr(client, method)(f"/boards/{board_id}/{kind}", headers=headers)

    assert response.status_code == status
    if body == "missing":
        assert response.json == not_found(f"Board {board_id} not found.")
    elif body is not None:
        assert response.json == body
    else:
        assert response.json["error"] == "invalid_token"
    assert marks_of(app, board["id"]) == before


@pytest.mark.parametrize("path", ["/boards/0/like", "/boards/abc/scrap", f"/boards/{2**63}/like"])
def test_ids_that_cannot_exist_are_404(client, bob, path):
    response = client.put(path, headers=bob["headers"])
    assert (response.status_code, response.json) == (404, not_found())


def test_other_methods_are_405(client, bob, board):
    response = client.post(f"/boards/{board['id']}/like", headers=bob["headers"])
    assert response.status_code == 405
    assert response.json["code"] == 405


def test_a_body_is_ignored(client, bob, board):
    """The state is in the method: a stray body neither changes it nor fails the request."""
    response = client.put(f"/boards/{board['id']}/like", json={"liked": False}, headers=bob["headers"])
    assert (response.status_code, response.json) == (200, {"liked": True, "like_count": 1})


def test_a_like_is_not_an_edit(client, alice, bob, board):
    """Neither updated_at (clients show "edited") nor the author's If-Match move with a like."""
    etag = client.get(f"/boards/{board['id']}").headers["ETag"]
    client.put(f"/boards/{board['id']}/like", headers=bob["headers"])
    client.put(f"/boards/{board['id']}/scrap", headers=bob["headers"])

    read = client.get(f"/boards/{board['id']}")
    assert read.json["updated_at"] == board["updated_at"]
    assert read.headers["ETag"] != etag  # the representation changed: caches must revalidate
    response = client.patch(
        f"/boards/{board['id']}", json={"title": "Edited"}, headers={**alice["headers"], "If-Match": etag}
    )
    assert response.status_code == 200
    assert (response.json["title"], response.json["like_count"], response.json["scrap_count"]) == (
        "Edited",
        1,
        1,
    )
    # The author's own edit does make the old tag stale.
    stale = client.patch(
        f"/boards/{board['id']}", json={"title": "Again"}, headers={**alice["headers"], "If-Match": etag}
    )
    assert stale.status_code == 412
    fresh = client.delete(
        f"/boards/{board['id']}", headers={**alice["headers"], "If-Match": response.headers["ETag"]}
    )
    assert fresh.status_code == 204


@pytest.mark.parametrize(
    ("if_match", "status"),
    [
        ('"{written}.0000"', 200),  # another reader's (or an older count's) tag of this version
        ('"nope", "{tag}"', 200),
        ("*", 200),
        ('W/"{tag}"', 412),  # If-Match compares strongly
        ('""', 412),
        ('W/"", "", W/"%9_ttkSt0,,L"', 412),
        ('"{written}"', 200),
        ('"other.{whole}"', 412),
    ],
)
def test_if_match_compares_what_the_author_wrote(client, alice, bob, board, if_match, status):
    tag = client.get(f"/boards/{board['id']}", headers=bob["headers"]).headers["ETag"].strip('"')
    written, whole = tag.split(".")
    client.put(f"/boards/{board['id']}/like", headers=bob["headers"])
    headers = {**alice["headers"], "If-Match": if_match.format(tag=tag, written=written, whole=whole)}

    response = client.patch(f"/boards/{board['id']}", json={"title": "New"}, headers=headers)

    assert response.status_code == status, response.json
    assert client.get(f"/boards/{board['id']}").json["title"] == ("New" if status == 200 else "Alice's board")


def test_deleting_a_board_deletes_its_marks(app, client, alice, bob, board):
    client.put(f"/boards/{board['id']}/like", headers=bob["headers"])
    client.put(f"/boards/{board['id']}/scrap", headers=bob["headers"])
    assert client.delete(f"/boards/{board['id']}", headers=alice["headers"]).status_code == 204
    assert marks_of(app, board["id"]) == {"counts": None, "likes": set(), "scraps": set()}
    assert client.put(f"/boards/{board['id']}/like", headers=bob["headers"]).status_code == 404
    assert client.get("/users/me/scraps", headers=bob["headers"]).json == []


def test_deleting_a_user_removes_their_marks_and_moves_every_count(app, client, make_user, alice, bob, board):
    carol = make_user("carol")
    bobs = create_board(client, bob, title="Bob's board")
    carols = create_board(client, carol, title="Carol's board")
    for user in (alice, bob, carol):
        for target in (board, bobs, carols):
            client.put(f"/boards/{target['id']}/like", headers=user["headers"])
    for target in (board, carols):
        client.put(f"/boards/{target['id']}/scrap", headers=bob["headers"])
        client.put(f"/boards/{target['id']}/scrap", headers=carol["headers"])

    assert client.delete(f"/users/{bob['id']}", headers=bob["headers"]).status_code == 204

    # Bob's own board went with its marks; his marks elsewhere went with their counts.
    assert marks_of(app, bobs["id"]) == {"counts": None, "likes": set(), "scraps": set()}
    assert marks_of(app, board["id"]) == {
        "counts": (2, 1),
        "likes": {alice["id"], carol["id"]},
        "scraps": {carol["id"]},
    }
    assert marks_of(app, carols["id"]) == {
        "counts": (2, 1),
        "likes": {alice["id"], carol["id"]},
        "scraps": {carol["id"]},
    }
    assert [b["like_count"] for b in client.get("/boards").json] == [2, 2]
