"""Comments: create, read, edit, delete, permissions, validation, ETags; threads (ordering,
embedded and paged replies, placeholders, the cascades of deleting a board or a user, with the
stored counters recounted); the OpenAPI document of the comment operations; migration 0006."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.pool import NullPool

from db import db
from models import Board, Comment
from resources.comments import comment_etag
from schemas.comment import CommentSchema
from tests.conftest import error
from tests.support import create_board, not_found, pagination, validation_error
from tests.support_comments import (
    assert_counts_exact,
    comment_count,
    delete_comment,
    post_comment,
    stored_comments,
)
from tests.test_migration_parity import flask_db

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
        "anonymous": False,
        "author_label": "bob",
        "reply_count": 0,
        "hidden": False,
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
            **{name: getattr(row, name) for name in (*columns, "reply_count", "anonymous", "hidden")},
            "author": author,
            "author_label": author["username"],
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


PLACEHOLDER = {"deleted": True, "content": "", "author": None, "author_label": None}


def ids(comments: list[dict]) -> list[int]:
    return [comment["id"] for comment in comments]


def test_top_level_and_replies_oldest_first_and_the_21st_reply_only_through_replies(
    app, client, alice, bob, board
):
    first = post_comment(client, bob, board["id"], "first")
    second = post_comment(client, alice, board["id"], "second")
    replies = [
        post_comment(client, alice if n % 2 else bob, board["id"], f"r{n}", first["id"]) for n in range(25)
    ]
    third = post_comment(client, bob, board["id"], "third")
    late = post_comment(client, bob, board["id"], "late reply to second", second["id"])

    listed = client.get(f"/boards/{board['id']}/comments")
    assert ids(listed.json) == [first["id"], second["id"], third["id"]]
    head = listed.json[0]
    assert (head["reply_count"], ids(head["replies"])) == (25, ids(replies[:20]))
    assert head["replies"] == replies[:20]
    assert (listed.json[1]["reply_count"], listed.json[1]["replies"]) == (1, [late])
    assert (listed.json[2]["reply_count"], listed.json[2]["replies"]) == (0, [])
    assert pagination(listed) == {"total": 3, "total_pages": 1, "first_page": 1, "last_page": 1, "page": 1}
    assert client.get(f"/comments/{first['id']}").json == head

    page_2 = client.get(f"/comments/{first['id']}/replies?page=2&page_size=20")
    assert page_2.json == replies[20:]
    assert pagination(page_2) == {
        "total": 25,
        "total_pages": 2,
        "first_page": 1,
        "last_page": 2,
        "page": 2,
        "previous_page": 1,
    }
    everything = client.get(f"/comments/{first['id']}/replies?page_size=100").json
    assert everything == replies
    assert comment_count(client, board["id"]) == 29
    assert_counts_exact(app)


def test_top_level_comments_are_paged(client, bob, board):
    made = [post_comment(client, bob, board["id"], f"c{n}") for n in range(5)]
    response = client.get(f"/boards/{board['id']}/comments?page=2&page_size=2")
    assert ids(response.json) == ids(made[2:4])
    assert pagination(response)["total"] == 5
    assert client.get(f"/boards/{board['id']}/comments?page=9&page_size=2").json == []


def test_a_reply_has_no_replies_to_list(client, alice, bob, board):
    comment = post_comment(client, bob, board["id"])
    reply = post_comment(client, alice, board["id"], "reply", comment["id"])
    response = client.get(f"/comments/{reply['id']}/replies")
    assert (response.status_code, response.json, pagination(response)["total"]) == (200, [], 0)


def test_deleting_a_comment_without_replies_removes_it(app, client, bob, board):
    comment = post_comment(client, bob, board["id"])
    delete_comment(client, bob, comment["id"])
    assert client.get(f"/comments/{comment['id']}").json == not_found(f"Comment {comment['id']} not found.")
    assert client.get(f"/boards/{board['id']}/comments").json == []
    assert (stored_comments(app), comment_count(client, board["id"])) == ([], 0)


def test_the_placeholder_life_cycle(app, client, alice, bob, make_user, board):
    carol = make_user("carol")
    comment = post_comment(client, bob, board["id"], "Soon gone")
    first = post_comment(client, alice, board["id"], "reply 1", comment["id"])
    second = post_comment(client, carol, board["id"], "reply 2", comment["id"])
    assert comment_count(client, board["id"]) == 3

    delete_comment(client, bob, comment["id"])

    # Still in its thread, without its content or author, and no longer counted.
    placeholder = {**comment, **PLACEHOLDER, "reply_count": 2, "replies": [first, second]}
    assert client.get(f"/boards/{board['id']}/comments").json == [placeholder]
    assert client.get(f"/comments/{comment['id']}").json == placeholder
    assert client.get(f"/comments/{comment['id']}/replies").json == [first, second]
    assert comment_count(client, board["id"]) == 2
    assert stored_comments(app)[0] == (comment["id"], None, None, "", True)
    # It can be neither edited nor deleted again (404), nor replied to (422).
    for method in ("patch", "delete"):
        response = getattr(client, method)(
            f"/comments/{comment['id']}", json={"content": "x"}, headers=bob["headers"]
        )
        assert (response.status_code, response.json) == (
            404,
            not_found(f"Comment {comment['id']} not found."),
        )
    refused = client.post(
        f"/boards/{board['id']}/comments",
        json={"content": "x", "parent_id": comment["id"]},
        headers=bob["headers"],
    )
    assert refused.json == validation_error(
        "json", {"parent_id": [f"Comment {comment['id']} has been deleted."]}
    )

    delete_comment(client, alice, first["id"])
    assert client.get(f"/comments/{comment['id']}").json == {
        **placeholder,
        "reply_count": 1,
        "replies": [second],
    }
    assert comment_count(client, board["id"]) == 1

    delete_comment(client, carol, second["id"])  # the last reply takes the placeholder along
    assert client.get(f"/boards/{board['id']}/comments").json == []
    assert client.get(f"/comments/{comment['id']}").status_code == 404
    assert (stored_comments(app), comment_count(client, board["id"])) == ([], 0)


def test_deleting_a_reply_of_a_live_comment_keeps_the_comment(app, client, alice, bob, board):
    comment = post_comment(client, bob, board["id"])
    reply = post_comment(client, alice, board["id"], "reply", comment["id"])
    delete_comment(client, alice, reply["id"])
    assert client.get(f"/comments/{comment['id']}").json == comment
    assert comment_count(client, board["id"]) == 1
    assert_counts_exact(app)


def test_deleting_a_board_deletes_its_comments_and_replies(app, client, alice, bob, board):
    other = create_board(client, bob, title="Bob's board")
    kept = post_comment(client, alice, other["id"], "stays")
    comment = post_comment(client, bob, board["id"])
    post_comment(client, alice, board["id"], "reply", comment["id"])
    post_comment(client, bob, board["id"], "another")

    assert client.delete(f"/boards/{board['id']}", headers=alice["headers"]).status_code == 204

    assert stored_comments(app) == [(kept["id"], None, alice["id"], "stays", False)]
    assert client.get(f"/boards/{board['id']}/comments").status_code == 404
    assert client.get(f"/comments/{comment['id']}").status_code == 404
    assert comment_count(client, other["id"]) == 1
    assert_counts_exact(app)


def test_deleting_a_user_deletes_their_comments_as_if_one_by_one(
    app, client, alice, bob, make_user, make_admin
):
    carol = make_user("carol")
    bobs_board = create_board(client, bob, title="Bob's board")
    alices_board = create_board(client, alice, title="Alice's board")
    on_b = bobs_board["id"]
    # Alice's comments on Bob's board, in every situation the rule distinguishes:
    lonely = post_comment(client, alice, on_b, "no replies")  # goes
    answered = post_comment(client, alice, on_b, "Bob replied")  # becomes a placeholder
    bobs_reply = post_comment(client, bob, on_b, "Bob's reply", answered["id"])
    self_answered = post_comment(client, alice, on_b, "only Alice replied")  # goes, with her reply
    post_comment(client, alice, on_b, "her own reply", self_answered["id"])
    bobs = post_comment(client, bob, on_b, "Bob's comment")  # stays, one reply fewer
    post_comment(client, alice, on_b, "Alice's reply", bobs["id"])
    carols_reply = post_comment(client, carol, on_b, "Carol's reply", bobs["id"])
    ghost = post_comment(client, carol, on_b, "Carol's, deleted")  # its last reply is Alice's
    post_comment(client, alice, on_b, "last reply", ghost["id"])
    delete_comment(client, carol, ghost["id"])
    # Comments on Alice's own board go with the board, whoever wrote them.
    post_comment(client, bob, alices_board["id"], "on Alice's board")
    assert comment_count(client, on_b) == 9

    admin = make_admin("root")
    assert client.delete(f"/users/{alice['id']}", headers=admin["headers"]).status_code == 204

    listed = client.get(f"/boards/{on_b}/comments").json
    assert ids(listed) == [answered["id"], bobs["id"]]
    assert listed[0] == {**answered, **PLACEHOLDER, "reply_count": 1, "replies": [bobs_reply]}
    assert listed[1] == {**bobs, "reply_count": 1, "replies": [carols_reply]}
    assert comment_count(client, on_b) == 3  # Bob's reply, Bob's comment, Carol's reply
    assert [row for row in stored_comments(app) if row[0] == lonely["id"]] == []
    assert all(row[2] is None or row[2] != alice["id"] for row in stored_comments(app))
    assert len(stored_comments(app)) == 4
    assert_counts_exact(app)


ERROR_REF = {"$ref": "#/components/schemas/Error"}
OPERATIONS = {
    # The reads are public; a token sent but unusable answers its 401 (auth_optional).
    ("/boards/{board_id}/comments", "get"): ("listComments", {"200", "401", "404", "422"}),
    ("/boards/{board_id}/comments", "post"): (
        "createComment",
        {"201", "401", "404", "409", "413", "415", "422"},
    ),
    ("/comments/{comment_id}", "get"): ("getComment", {"200", "304", "401", "404"}),
    ("/comments/{comment_id}", "patch"): (
        "updateComment",
        {"200", "401", "403", "404", "412", "413", "415", "422"},
    ),
    ("/comments/{comment_id}", "delete"): ("deleteComment", {"204", "401", "403", "404", "412"}),
    ("/comments/{comment_id}/replies", "get"): ("listReplies", {"200", "401", "404", "422"}),
    ("/comments/{comment_id}/like", "put"): ("likeComment", {"200", "401", "404"}),
    ("/comments/{comment_id}/like", "delete"): ("unlikeComment", {"200", "401", "404"}),
}


@pytest.mark.parametrize(("path", "method"), sorted(OPERATIONS))
def test_every_comment_operation_is_documented(spec, path, method):
    operation = spec["paths"][path][method]
    operation_id, statuses = OPERATIONS[(path, method)]
    assert (operation["operationId"], operation["tags"]) == (operation_id, ["Comments"])
    assert operation["summary"]
    assert set(operation["responses"]) - {"default"} == statuses
    for status, response in operation["responses"].items():
        if "$ref" in response:
            response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
        if status[0] in "45":
            assert response["content"]["application/json"]["schema"] == ERROR_REF, status


def test_the_comment_schema_requires_what_is_always_there(spec):
    schema = spec["components"]["schemas"]["Comment"]
    # `liked` only with a token: the one field not always there.
    assert set(schema["required"]) == set(schema["properties"]) - {"liked"}
    assert schema["properties"]["liked"]["type"] == "boolean"
    assert schema["properties"]["replies"]["items"] == {"$ref": "#/components/schemas/Comment"}
    assert schema["properties"]["parent_id"]["nullable"] is True
    assert "comment_count" in spec["components"]["schemas"]["Board"]["required"]
    content = spec["components"]["schemas"]["CommentCreate"]["properties"]["content"]
    assert (content["minLength"], content["maxLength"]) == (1, 2000)


@pytest.mark.slow
def test_downgrading_0006_keeps_the_board_count_triggers(tmp_path):
    """0006 adds a column to `boards`; SQLite's batch mode would copy the table and drop the
    triggers that count its rows (0005). Down and up again, the count still follows inserts."""
    url = f"sqlite:///{tmp_path / 'migrated.db'}"
    for command in (["upgrade"], ["downgrade", "0005"]):
        result = flask_db(url, *command)
        assert result.returncode == 0, result.stderr
    engine = create_engine(url, poolclass=NullPool)
    assert "comments" not in inspect(engine).get_table_names()
    assert "comment_count" not in {column["name"] for column in inspect(engine).get_columns("boards")}
    triggers = "SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name"
    with engine.connect() as conn:
        assert conn.execute(text(triggers)).scalars().all() == [
            "trg_boards_count_delete",
            "trg_boards_count_insert",
        ]
    assert flask_db(url, "upgrade").returncode == 0
    engine.dispose()
