"""Likes of comments: PUT/DELETE /comments/<id>/like, `liked` on every comment read, placeholders,
cascades, ETags."""

from __future__ import annotations

import pytest

from db import db
from models import Comment, CommentLike
from tests.conftest import bearer, error
from tests.support import not_found
from tests.support_comments import delete_comment, post_comment

NEEDS_TOKEN = error(
    401, "authorization_required", "An access token is required: send 'Authorization: Bearer <token>'."
)
INVALID_TOKEN = error(401, "invalid_token", "The token is invalid.")


def likes_of(app, comment_id: int) -> tuple[int | None, set[int]]:
    """(like_count, the users whose like rows exist) of a comment, straight from the database."""
    with app.app_context():
        count = db.session.scalar(db.select(Comment.like_count).where(Comment.id == comment_id))
        users = db.session.scalars(db.select(CommentLike.user_id).where(CommentLike.comment_id == comment_id))
        return count, set(users)


def all_like_rows(app) -> set[tuple[int, int]]:
    with app.app_context():
        return {
            tuple(row) for row in db.session.execute(db.select(CommentLike.user_id, CommentLike.comment_id))
        }


def like(client, user, comment_id: int, method: str = "put"):
    return getattr(client, method)(f"/comments/{comment_id}/like", headers=user["headers"])


def test_liking_is_idempotent_and_counted_once(app, client, alice, bob, comment):
    for _ in range(2):
        response = like(client, alice, comment["id"])
        assert (response.status_code, response.json) == (200, {"liked": True, "like_count": 1})
    assert like(client, bob, comment["id"]).json == {"liked": True, "like_count": 2}  # its author too
    for _ in range(2):
        response = like(client, alice, comment["id"], "delete")
        assert (response.status_code, response.json) == (200, {"liked": False, "like_count": 1})
    assert likes_of(app, comment["id"]) == (1, {bob["id"]})
    assert client.get(f"/comments/{comment['id']}").json["like_count"] == 1


def test_a_reply_is_liked_like_any_comment(app, client, alice, bob, board, comment):
    reply = post_comment(client, alice, board["id"], "A reply", comment["id"])
    assert like(client, bob, reply["id"]).json == {"liked": True, "like_count": 1}
    assert likes_of(app, reply["id"]) == (1, {bob["id"]})
    assert likes_of(app, comment["id"]) == (0, set())


@pytest.mark.parametrize("method", ["put", "delete"])
@pytest.mark.parametrize(
    ("who", "target", "status", "body"),
    [
        ("anonymous", "comment", 401, NEEDS_TOKEN),
        ("garbage", "comment", 401, INVALID_TOKEN),
        ("refresh", "comment", 401, "invalid_token"),
        ("carol", "missing", 404, "Comment {id} not found."),
        ("carol", "placeholder", 404, "Comment {id} not found."),
    ],
)
def test_refusals_change_nothing(
    app, client, make_user, alice, bob, board, comment, method, who, target, status, body
):
    carol = make_user("carol")
    post_comment(client, alice, board["id"], "keeps the thread", comment["id"])
    like(client, alice, comment["id"])
    comment_id = comment["id"]
    if target == "missing":
        comment_id += 1000
    elif target == "placeholder":
        delete_comment(client, bob, comment_id)
    headers = {"anonymous": {}, "garbage": bearer("not-a-token"), "refresh": bearer(carol["refresh_token"])}
    before = all_like_rows(app), likes_of(app, comment["id"])

    response = getattr(client, method)(
        f"/comments/{comment_id}/like", headers=headers.get(who, carol["headers"])
    )

    assert response.status_code == status
    if isinstance(body, dict):
        assert response.json == body
    elif status == 404:
        assert response.json == not_found(body.format(id=comment_id))
    else:
        assert response.json["error"] == body
    assert (all_like_rows(app), likes_of(app, comment["id"])) == before


@pytest.mark.parametrize("path", ["/comments/0/like", "/comments/abc/like", f"/comments/{2**63}/like"])
def test_ids_that_cannot_exist_are_404(client, bob, path):
    response = client.put(path, headers=bob["headers"])
    assert (response.status_code, response.json) == (404, not_found())


def test_liked_is_on_every_comment_read_with_a_token_and_absent_without(client, alice, bob, board, comment):
    reply = post_comment(client, alice, board["id"], "A reply", comment["id"])
    other = post_comment(client, alice, board["id"], "Another thread")
    like(client, bob, reply["id"])
    like(client, bob, other["id"])
    reads = [
        f"/boards/{board['id']}/comments",
        f"/comments/{comment['id']}",
        f"/comments/{comment['id']}/replies",
    ]
    listed, single, replies = (client.get(url, headers=bob["headers"]) for url in reads)

    assert [(c["id"], c["liked"], c["like_count"]) for c in listed.json] == [
        (comment["id"], False, 0),
        (other["id"], True, 1),
    ]
    assert [(r["id"], r["liked"]) for r in listed.json[0]["replies"]] == [(reply["id"], True)]
    assert (single.json["liked"], single.json["replies"][0]["liked"]) == (False, True)
    assert [(r["id"], r["liked"], r["like_count"]) for r in replies.json] == [(reply["id"], True, 1)]
    # Alice liked nothing: false everywhere, the counts the same.
    assert [c["liked"] for c in client.get(reads[0], headers=alice["headers"]).json] == [False, False]
    for response in (listed, single, replies):
        assert response.headers["Vary"] == "Authorization"

    anonymous = [client.get(url) for url in reads]
    assert all(response.headers["Vary"] == "Authorization" for response in anonymous)
    bodies = [
        anonymous[0].json[0],
        anonymous[0].json[0]["replies"][0],
        anonymous[1].json,
        anonymous[2].json[0],
    ]
    assert [("liked" in body) for body in bodies] == [False] * 4


@pytest.mark.parametrize(
    "url", ["/boards/{board}/comments", "/comments/{comment}", "/comments/{comment}/replies"]
)
@pytest.mark.parametrize("token", ["garbage", "refresh", "deleted-user"])
def test_an_unusable_token_on_a_comment_read_is_its_401(client, make_user, board, comment, url, token):
    carol = make_user("carol")
    if token == "deleted-user":
        assert client.delete(f"/users/{carol['id']}", headers=carol["headers"]).status_code == 204
    headers = {"garbage": bearer("x.y.z"), "refresh": bearer(carol["refresh_token"])}.get(
        token, carol["headers"]
    )

    response = client.get(url.format(board=board["id"], comment=comment["id"]), headers=headers)

    assert response.status_code == 401
    assert response.json["error"] == ("user_not_found" if token == "deleted-user" else "invalid_token")


def test_a_placeholder_loses_its_likes_and_shows_zero(app, client, alice, bob, board, comment):
    reply = post_comment(client, alice, board["id"], "A reply", comment["id"])
    like(client, alice, comment["id"])
    like(client, bob, reply["id"])

    delete_comment(client, bob, comment["id"])

    assert likes_of(app, comment["id"]) == (0, set())
    read = client.get(f"/comments/{comment['id']}", headers=alice["headers"]).json
    assert (read["deleted"], read["like_count"], read["liked"]) == (True, 0, False)
    assert (read["replies"][0]["like_count"], read["replies"][0]["liked"]) == (1, False)
    # The reply keeps its like; the placeholder can be liked no more.
    assert likes_of(app, reply["id"]) == (1, {bob["id"]})
    assert like(client, alice, comment["id"]).status_code == 404


def test_a_deleted_comment_and_a_deleted_board_take_their_likes_along(
    app, client, alice, bob, board, comment
):
    reply = post_comment(client, alice, board["id"], "A reply", comment["id"])
    lonely = post_comment(client, alice, board["id"], "Nobody answers")
    for target in (comment, reply, lonely):
        like(client, bob, target["id"])
    delete_comment(client, alice, lonely["id"])
    assert all_like_rows(app) == {(bob["id"], comment["id"]), (bob["id"], reply["id"])}

    assert client.delete(f"/boards/{board['id']}", headers=alice["headers"]).status_code == 204

    assert all_like_rows(app) == set()


def test_deleting_a_user_removes_their_likes_and_the_likes_of_their_comments(
    app, client, make_user, alice, bob, board, comment
):
    carol = make_user("carol")
    answered = comment  # bob's, with a reply: becomes a placeholder
    reply = post_comment(client, alice, board["id"], "A reply", answered["id"])
    lonely = post_comment(client, bob, board["id"], "Bob again")  # bob's, no reply: goes
    alices = post_comment(client, alice, board["id"], "Alice's thread")
    for user in (alice, bob, carol):
        for target in (answered, reply, lonely, alices):
            like(client, user, target["id"])

    assert client.delete(f"/users/{bob['id']}", headers=bob["headers"]).status_code == 204

    assert likes_of(app, answered["id"]) == (0, set())  # a placeholder now
    assert likes_of(app, lonely["id"]) == (None, set())
    assert likes_of(app, reply["id"]) == (2, {alice["id"], carol["id"]})
    assert likes_of(app, alices["id"]) == (2, {alice["id"], carol["id"]})
    assert all(user_id != bob["id"] for user_id, _ in all_like_rows(app))


def test_a_like_never_breaks_the_authors_if_match_but_caches_revalidate(client, alice, bob, comment):
    read = client.get(f"/comments/{comment['id']}")
    etag = read.headers["ETag"]
    like(client, alice, comment["id"])

    reread = client.get(f"/comments/{comment['id']}", headers={"If-None-Match": etag})
    assert (reread.status_code, reread.json["like_count"]) == (200, 1)
    assert reread.headers["ETag"].split(".")[0] == etag.split(".")[0]
    cached = client.get(f"/comments/{comment['id']}", headers={"If-None-Match": reread.headers["ETag"]})
    assert (cached.status_code, cached.headers["Vary"]) == (304, "Authorization")
    # The reader's own like is in the body, so in the whole tag too.
    mine = client.get(
        f"/comments/{comment['id']}", headers={**alice["headers"], "If-None-Match": reread.headers["ETag"]}
    )
    assert (mine.status_code, mine.json["liked"]) == (200, True)

    edited = client.patch(
        f"/comments/{comment['id']}", json={"content": "v2"}, headers={**bob["headers"], "If-Match": etag}
    )
    assert (edited.status_code, edited.json["content"], edited.json["like_count"]) == (200, "v2", 1)
    stale = client.delete(f"/comments/{comment['id']}", headers={**bob["headers"], "If-Match": etag})
    assert stale.status_code == 412
    fresh = client.delete(
        f"/comments/{comment['id']}", headers={**bob["headers"], "If-Match": mine.headers["ETag"]}
    )
    assert fresh.status_code == 412  # read before the edit: stale, whoever read it
    latest = client.get(f"/comments/{comment['id']}", headers=alice["headers"]).headers["ETag"]
    assert (
        client.delete(
            f"/comments/{comment['id']}", headers={**bob["headers"], "If-Match": latest}
        ).status_code
        == 204
    )


def test_a_like_is_not_an_edit(client, alice, comment):
    like(client, alice, comment["id"])
    read = client.get(f"/comments/{comment['id']}").json
    assert read["updated_at"] == comment["updated_at"]


def test_an_admin_likes_only_for_themselves(app, client, make_admin, alice, bob, comment):
    """No owner rule: the author, another user and an admin each add their own like; the admin's
    unlike takes back the admin's, never someone else's."""
    admin = make_admin("root")
    for n, user in enumerate((bob, alice, admin), start=1):
        assert like(client, user, comment["id"]).json == {"liked": True, "like_count": n}
    assert like(client, admin, comment["id"], "delete").json == {"liked": False, "like_count": 2}
    assert likes_of(app, comment["id"]) == (2, {alice["id"], bob["id"]})


def test_the_editors_own_mark_is_on_an_edited_comment(client, alice, bob, board, comment):
    """With a valid access token a comment carries `liked`; an edit answers the
    comment as a read by the editor would (a creation, like a board's, carries no marks yet)."""
    assert like(client, bob, comment["id"]).status_code == 200
    edited = client.patch(f"/comments/{comment['id']}", json={"content": "Edited"}, headers=bob["headers"])
    assert edited.status_code == 200
    assert (edited.json["content"], edited.json["liked"], edited.json["like_count"]) == ("Edited", True, 1)
    assert edited.headers["Vary"] == "Authorization"
    # The edit's ETag is the one a read by the same reader gives: it revalidates.
    read = client.get(f"/comments/{comment['id']}", headers=bob["headers"])
    assert read.headers["ETag"] == edited.headers["ETag"]
