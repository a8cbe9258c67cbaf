"""Comments: create, read, edit, delete, permissions, validation, ETags (CONTRACT §7)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from db import db
from models import Board, Comment
from resources.comments import comment_etag
from schemas.comment import CommentSchema
from tests.comment_support import comment_count, post_comment, stored_comments
from tests.conftest import error
from tests.support import create_board, not_found, validation_error

FORBIDDEN = error(403, "forbidden", "Only the owner or an admin may do this.")
NO_TOKEN = error(
    401, "authorization_required", "An access token is required: send 'Authorization: Bearer <token>'."
)
STALE = error(412, "precondition_failed", "The resource changed since you read it: fetch it again.")


def test_create_answers_201_with_the_comment_and_a_location_that_resolves(app, client, bob, board):
    response = client.post(
        f"/boards/{board['id']}/comments", json={"content": "Hi\nthere"}, headers=bob["headers"]
    )

    assert response.status_code == 201
    body = response.json
    assert body == {
        "id": body["id"],
        "board_id": board["id"],
        "parent_id": None,
        "content": "Hi\nthere",
        "author": {"id": bob["id"], "username": "bob"},
        "created_at": body["created_at"],
        "updated_at": body["created_at"],
        "deleted": False,
        "like_count": 0,
        "reply_count": 0,
        "replies": [],
    }
    assert response.headers["Location"] == f"http://localhost/comments/{body['id']}"
    assert client.get(response.headers["Location"]).json == body
    assert client.get(f"/boards/{board['id']}/comments").json == [body]
    assert comment_count(client, board["id"]) == 1
    assert stored_comments(app) == [(body["id"], None, bob["id"], "Hi\nthere", False)]


def test_a_reply_is_embedded_in_its_comment_and_counted(app, client, alice, board, comment):
    reply = post_comment(client, alice, board["id"], "Thanks", parent_id=comment["id"])

    assert (reply["parent_id"], reply["reply_count"], reply["replies"]) == (comment["id"], 0, [])
    listed = client.get(f"/boards/{board['id']}/comments").json
    assert listed == [{**comment, "reply_count": 1, "replies": [reply]}]
    assert client.get(f"/comments/{comment['id']}").json == listed[0]
    assert comment_count(client, board["id"]) == 2


def test_read_paths_build_what_the_schema_documents(app, client, alice, bob, board, comment):
    """Reads build JSON without marshmallow; it must not drift from CommentSchema."""
    reply = post_comment(client, alice, board["id"], "Thanks 👋", parent_id=comment["id"])
    read = client.get(f"/comments/{comment['id']}").json
    columns = ("id", "board_id", "parent_id", "content", "created_at", "updated_at", "deleted", "like_count")

    def stored(comment_id: int, author: dict, replies: list) -> dict:
        row = db.session.get(Comment, comment_id)
        return {
            **{name: getattr(row, name) for name in (*columns, "reply_count")},
            "author": author,
            "replies": replies,
        }

    with app.app_context():
        alices_reply = stored(reply["id"], {"id": alice["id"], "username": "alice"}, [])
        expected = CommentSchema().dump(
            stored(comment["id"], {"id": bob["id"], "username": "bob"}, [alices_reply])
        )
    assert read == expected


@pytest.mark.parametrize(
    "path", ["/boards/{board}/comments", "/comments/{comment}", "/comments/{comment}/replies"]
)
def test_reading_needs_no_token(client, board, comment, path):
    assert client.get(path.format(board=board["id"], comment=comment["id"])).status_code == 200


def test_unknown_board_and_comment_are_404(client, alice):
    assert client.get("/boards/999/comments").json == not_found("Board 999 not found.")
    posted = client.post("/boards/999/comments", json={"content": "x"}, headers=alice["headers"])
    assert (posted.status_code, posted.json) == (404, not_found("Board 999 not found."))
    for path in ("/comments/999", "/comments/999/replies"):
        assert client.get(path).json == not_found("Comment 999 not found.")
    for method in ("patch", "delete"):
        response = getattr(client, method)("/comments/999", json={"content": "x"}, headers=alice["headers"])
        assert (response.status_code, response.json) == (404, not_found("Comment 999 not found."))


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/boards/{board}/comments"),
        ("patch", "/comments/{comment}"),
        ("delete", "/comments/{comment}"),
    ],
)
def test_writes_need_a_token(app, client, board, comment, method, path):
    before = stored_comments(app)
    response = getattr(client, method)(
        path.format(board=board["id"], comment=comment["id"]), json={"content": "x"}
    )
    assert (response.status_code, response.json) == (401, NO_TOKEN)
    assert stored_comments(app) == before


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"content": ["Missing data for required field."]}),
        ({"content": ""}, {"content": ["Length must be between 1 and 2000."]}),
        ({"content": "x" * 2001}, {"content": ["Length must be between 1 and 2000."]}),
        (
            {"content": "a\x00b"},
            {"content": ["Control characters other than tab and line breaks are not allowed."]},
        ),
        ({"content": 5}, {"content": ["Not a valid string."]}),
        ({"content": "x", "author_id": 1}, {"author_id": ["Unknown field."]}),
        (
            {"content": "x", "parent_id": 0},
            {
                "parent_id": [
                    "Must be greater than or equal to 1 and less than or equal to 9223372036854775807."
                ]
            },
        ),
        ({"content": "x", "parent_id": "one"}, {"parent_id": ["Not a valid integer."]}),
    ],
)
def test_invalid_comment_bodies_are_422(app, client, bob, board, comment, body, errors):
    before = stored_comments(app)
    response = client.post(f"/boards/{board['id']}/comments", json=body, headers=bob["headers"])
    assert (response.status_code, response.json) == (422, validation_error("json", errors))
    if set(errors) == {"content"}:  # an edit checks its content alike
        patched = client.patch(f"/comments/{comment['id']}", json=body, headers=bob["headers"])
        assert (patched.status_code, patched.json["errors"]) == (422, {"json": errors})
    assert stored_comments(app) == before
    assert comment_count(client, board["id"]) == 1


def test_content_of_exactly_2000_characters_and_a_null_parent_are_accepted(client, bob, board):
    created = post_comment(client, bob, board["id"], "é" * 2000)
    assert len(created["content"]) == 2000
    response = client.post(
        f"/boards/{board['id']}/comments", json={"content": "x", "parent_id": None}, headers=bob["headers"]
    )
    assert (response.status_code, response.json["parent_id"]) == (201, None)


@pytest.mark.parametrize("parent", ["missing", "elsewhere", "reply", "deleted"])
def test_a_parent_that_cannot_be_replied_to_is_422_on_parent_id(
    app, client, alice, bob, board, comment, parent
):
    other_board = create_board(client, bob, title="Bob's board")
    elsewhere = post_comment(client, bob, other_board["id"], "Over there")
    reply = post_comment(client, alice, board["id"], "A reply", parent_id=comment["id"])
    doomed = post_comment(client, alice, board["id"], "Soon a placeholder")
    post_comment(client, bob, board["id"], "keeps it alive", parent_id=doomed["id"])
    assert client.delete(f"/comments/{doomed['id']}", headers=alice["headers"]).status_code == 204
    parent_id, message = {
        "missing": (999, "Comment 999 does not exist."),
        "elsewhere": (elsewhere["id"], f"Comment {elsewhere['id']} is on another board."),
        "reply": (
            reply["id"],
            f"Comment {reply['id']} is a reply: reply to its top-level comment {comment['id']}.",
        ),
        "deleted": (doomed["id"], f"Comment {doomed['id']} has been deleted."),
    }[parent]
    before, count = stored_comments(app), comment_count(client, board["id"])

    response = client.post(
        f"/boards/{board['id']}/comments",
        json={"content": "x", "parent_id": parent_id},
        headers=bob["headers"],
    )

    assert (response.status_code, response.json) == (422, validation_error("json", {"parent_id": [message]}))
    assert stored_comments(app) == before
    assert comment_count(client, board["id"]) == count


@pytest.mark.parametrize("who", ["author", "admin"])
def test_author_and_admin_may_edit(app, client, make_admin, bob, board, comment, who):
    editor = bob if who == "author" else make_admin("root")
    response = client.patch(
        f"/comments/{comment['id']}", json={"content": "Edited"}, headers=editor["headers"]
    )

    assert response.status_code == 200
    # As the editor reads it: their own (absent) like included.
    assert response.json == {
        **comment,
        "content": "Edited",
        "updated_at": response.json["updated_at"],
        "liked": False,
    }
    assert response.json["updated_at"] > comment["updated_at"]
    read = client.get(f"/comments/{comment['id']}", headers=editor["headers"])
    assert response.headers["ETag"] == read.headers["ETag"]
    assert stored_comments(app) == [(comment["id"], None, bob["id"], "Edited", False)]


@pytest.mark.parametrize("who", ["author", "admin"])
def test_author_and_admin_may_delete(app, client, make_admin, bob, board, comment, who):
    deleter = bob if who == "author" else make_admin("root")
    response = client.delete(f"/comments/{comment['id']}", headers=deleter["headers"])
    assert (response.status_code, response.data) == (204, b"")
    assert stored_comments(app) == []
    assert comment_count(client, board["id"]) == 0


@pytest.mark.parametrize("method", ["patch", "delete"])
def test_anyone_else_gets_403_the_board_author_included(app, client, alice, make_user, comment, method):
    for stranger in (alice, make_user("mallory")):
        before = stored_comments(app)
        response = getattr(client, method)(
            f"/comments/{comment['id']}", json={"content": "x"}, headers=stranger["headers"]
        )
        assert (response.status_code, response.json) == (403, FORBIDDEN)
        assert stored_comments(app) == before


def test_etag_if_none_match_and_if_match(app, client, bob, comment):
    read = client.get(f"/comments/{comment['id']}")
    etag = read.headers["ETag"]
    assert etag == comment_etag(read.json)
    cached = client.get(f"/comments/{comment['id']}", headers={"If-None-Match": etag})
    assert (cached.status_code, cached.data, cached.headers["ETag"]) == (304, b"", etag)

    edited = client.patch(
        f"/comments/{comment['id']}", json={"content": "v2"}, headers={**bob["headers"], "If-Match": etag}
    )
    assert edited.status_code == 200
    assert edited.headers["ETag"] != etag
    for method in ("patch", "delete"):
        stale = getattr(client, method)(
            f"/comments/{comment['id']}", json={"content": "v3"}, headers={**bob["headers"], "If-Match": etag}
        )
        assert (stale.status_code, stale.json) == (412, STALE)
    assert stored_comments(app) == [(comment["id"], None, bob["id"], "v2", False)]
    fresh = {**bob["headers"], "If-Match": edited.headers["ETag"]}
    assert client.delete(f"/comments/{comment['id']}", headers=fresh).status_code == 204


def test_replies_and_the_board_moving_do_not_break_the_comment_authors_if_match(
    client, alice, bob, board, comment
):
    etag = client.get(f"/comments/{comment['id']}").headers["ETag"]
    post_comment(client, alice, board["id"], "A reply", parent_id=comment["id"])
    client.patch(f"/boards/{board['id']}", json={"title": "Renamed"}, headers=alice["headers"])
    reread = client.get(f"/comments/{comment['id']}").headers["ETag"]
    # The whole tag moves with the reply (caches revalidate); the author's part does not.
    assert reread != etag
    assert reread.strip('"').split(".")[0] == etag.strip('"').split(".")[0]
    response = client.patch(
        f"/comments/{comment['id']}",
        json={"content": "Still mine"},
        headers={**bob["headers"], "If-Match": etag},
    )
    assert response.status_code == 200


def test_someone_elses_comment_does_not_break_the_board_authors_if_match(app, client, alice, bob, board):
    read = client.get(f"/boards/{board['id']}")
    post_comment(client, bob, board["id"], "Interrupting")
    reread = client.get(f"/boards/{board['id']}")
    assert reread.json["comment_count"] == 1
    # The tag's If-Match part follows only what the author writes; the whole tag moves with the count
    # so that caches revalidate (resources/etags.py).
    written = [r.headers["ETag"].strip('"').split(".")[0] for r in (read, reread)]
    assert written[0] == written[1] and reread.headers["ETag"] != read.headers["ETag"]

    response = client.put(
        f"/boards/{board['id']}",
        json={"title": "Edited", "content": "x"},
        headers={**alice["headers"], "If-Match": read.headers["ETag"]},
    )

    assert response.status_code == 200
    assert (response.json["title"], response.json["comment_count"]) == ("Edited", 1)
    with app.app_context():
        assert db.session.get(Board, board["id"]).title == "Edited"


def test_a_comment_does_not_move_the_boards_updated_at(client, bob, board):
    post_comment(client, bob, board["id"])
    assert client.get(f"/boards/{board['id']}").json["updated_at"] == board["updated_at"]


def test_the_documented_example_is_what_the_service_answers(client, alice, bob, board):
    """docs/comments.md shows a comment with a reply: the same body, timestamps aside."""
    text = (Path(__file__).resolve().parent.parent / "docs" / "comments.md").read_text()
    documented = json.loads(re.search(r"```json\n(.*?)\n```", text, re.DOTALL).group(1))
    post_comment(client, bob, board["id"], "Nice post!")
    post_comment(client, alice, board["id"], "Thanks!", parent_id=1)

    answered = client.get("/comments/1").json

    def without_times(comment: dict) -> dict:
        times = {"created_at", "updated_at", "replies"}
        replies = [without_times(reply) for reply in comment["replies"]]
        return {**{k: v for k, v in comment.items() if k not in times}, "replies": replies}

    assert without_times(answered) == without_times(documented)
    assert (alice["id"], bob["id"], board["id"]) == (1, 2, 1)
