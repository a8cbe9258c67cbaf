"""What hiding does to every read: the moderation integration's tests, written before it.

A hidden board or comment is 404 on its own URL and left out of every list, count, total, the
feed and search, for everyone but its author and admins, who see it with `hidden: true`;
`hidden` is on every board and comment shape; hidden comments leave no placeholder and do not
count in `comment_count`.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import create_board, pagination
from tests.support_comments import delete_comment, post_comment
from tests.support_forums import create_forum
from tests.support_moderation import act, assert_visible_counts_exact, report


@pytest.fixture
def admin(make_admin) -> dict[str, Any]:
    return make_admin("root")


@pytest.fixture
def hidden_board(client, admin, bob, board) -> dict[str, Any]:
    """alice's board, reported by bob and hidden by an admin; another board of hers stays visible."""
    report(client, bob, "board", board["id"])
    assert act(client, admin, 1, "hide").status_code == 200
    return board


@pytest.fixture
def hidden_comment(client, admin, alice, comment) -> dict[str, Any]:
    """bob's comment on alice's board, reported by alice and hidden by an admin."""
    report(client, alice, "comment", comment["id"])
    assert act(client, admin, 1, "hide").status_code == 200
    return comment


def ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.json
    return [item["id"] for item in response.json]


def test_every_board_and_comment_shape_says_hidden(client, alice, board, comment):
    assert client.get(f"/boards/{board['id']}").json["hidden"] is False
    assert [b["hidden"] for b in client.get("/boards").json] == [False]
    assert client.get(f"/comments/{comment['id']}").json["hidden"] is False
    assert [c["hidden"] for c in client.get(f"/boards/{board['id']}/comments").json] == [False]
    created = client.post("/boards", json={"title": "New"}, headers=alice["headers"]).json
    assert created["hidden"] is False


def test_a_hidden_board_is_404_but_to_its_author_and_admins(client, admin, alice, carol, hidden_board):
    path = f"/boards/{hidden_board['id']}"
    assert client.get(path).status_code == 404
    assert client.get(path, headers=carol["headers"]).status_code == 404
    for viewer in (alice, admin):
        response = client.get(path, headers=viewer["headers"])
        assert (response.status_code, response.json["hidden"]) == (200, True)
    # Nor can others like, scrap, comment on or read the comments of it.
    for method, suffix in (("put", "/like"), ("put", "/scrap"), ("get", "/comments")):
        assert getattr(client, method)(path + suffix, headers=carol["headers"]).status_code == 404
    post = client.post(path + "/comments", json={"content": "Hi"}, headers=carol["headers"])
    assert post.status_code == 404


def test_a_hidden_board_leaves_lists_totals_the_feed_and_search(client, admin, alice, carol, hidden_board):
    visible = create_board(client, alice, title="Alice's other board")
    client.put(f"/users/{alice['id']}/follow", headers=carol["headers"])
    for path in ("/boards", f"/boards?author_id={alice['id']}", "/boards?q=board", "/boards?sort=top"):
        response = client.get(path, headers=carol["headers"])
        assert ids(response) == [visible["id"]], path
        assert pagination(response)["total"] == 1, path
        anonymous = client.get(path)
        assert ids(anonymous) == [visible["id"]], path
    feed = client.get("/boards/feed", headers=carol["headers"])
    assert ids(feed) == [visible["id"]] and pagination(feed)["total"] == 1
    keyset = client.get(f"/boards?before={visible['id'] + 1}", headers=carol["headers"])
    assert ids(keyset) == [visible["id"]]
    for viewer in (alice, admin):
        response = client.get("/boards", headers=viewer["headers"])
        assert ids(response) == [visible["id"], hidden_board["id"]]
        assert [board["hidden"] for board in response.json] == [False, True]
        assert pagination(response)["total"] == 2


def test_a_scrapped_board_that_is_hidden_leaves_the_scraps(client, admin, alice, bob, board):
    client.put(f"/boards/{board['id']}/scrap", headers=bob["headers"])
    report(client, bob, "board", board["id"])
    act(client, admin, 1, "hide")
    response = client.get("/users/me/scraps", headers=bob["headers"])
    assert ids(response) == [] and pagination(response)["total"] == 0


def test_a_hidden_comment_is_404_and_leaves_the_thread_without_a_placeholder(
    app, client, admin, alice, bob, carol, board, hidden_comment
):
    path = f"/comments/{hidden_comment['id']}"
    assert client.get(path).status_code == 404
    assert client.get(path, headers=carol["headers"]).status_code == 404
    for viewer in (bob, admin):
        response = client.get(path, headers=viewer["headers"])
        assert (response.status_code, response.json["hidden"]) == (200, True)
    listed = client.get(f"/boards/{board['id']}/comments", headers=carol["headers"])
    assert ids(listed) == [] and pagination(listed)["total"] == 0
    assert client.get(f"/boards/{board['id']}").json["comment_count"] == 0
    assert client.put(f"{path}/like", headers=carol["headers"]).status_code == 404
    reply = client.post(
        f"/boards/{board['id']}/comments",
        json={"content": "Re", "parent_id": hidden_comment["id"]},
        headers=carol["headers"],
    )
    assert reply.status_code == 422
    # The author and admins see it in the list, marked.
    for viewer in (bob, admin):
        mine = client.get(f"/boards/{board['id']}/comments", headers=viewer["headers"])
        assert [(c["id"], c["hidden"]) for c in mine.json] == [(hidden_comment["id"], True)]
    assert_visible_counts_exact(app)


@pytest.mark.parametrize("app_config", [{"REPORT_HIDE_THRESHOLD": 1}])
def test_a_hidden_reply_leaves_its_threads_replies_and_counts(app, client, alice, bob, carol, board, comment):
    replies = [
        post_comment(client, carol, board["id"], f"Reply {n}", parent_id=comment["id"]) for n in range(2)
    ]
    report(client, alice, "comment", replies[0]["id"])
    thread = client.get(f"/comments/{comment['id']}").json
    assert (thread["reply_count"], [r["id"] for r in thread["replies"]]) == (1, [replies[1]["id"]])
    listed = client.get(f"/comments/{comment['id']}/replies")
    assert ids(listed) == [replies[1]["id"]] and pagination(listed)["total"] == 1
    assert client.get(f"/boards/{board['id']}").json["comment_count"] == 2


def test_deleting_a_hidden_comment_moves_no_count_twice(
    app, client, admin, alice, bob, board, hidden_comment
):
    delete_comment(client, bob, hidden_comment["id"])
    assert client.get(f"/boards/{board['id']}").json["comment_count"] == 0
    assert_visible_counts_exact(app)


@pytest.mark.parametrize("app_config", [{"REPORT_HIDE_THRESHOLD": 1}])
def test_deleting_a_reply_under_a_hidden_parent_or_its_user_moves_no_count_twice(
    app, client, admin, alice, bob, carol, board, comment
):
    reply = post_comment(client, carol, board["id"], "A reply", parent_id=comment["id"])
    post_comment(client, carol, board["id"], "Another reply, gone with Carol", parent_id=comment["id"])
    post_comment(client, carol, board["id"], "Visible")
    report(client, alice, "comment", comment["id"])  # the thread goes out of sight
    assert client.delete(f"/comments/{reply['id']}", headers=admin["headers"]).status_code == 204
    assert_visible_counts_exact(app)
    assert client.delete(f"/users/{carol['id']}", headers=admin["headers"]).status_code == 204
    assert_visible_counts_exact(app)
    assert client.get(f"/boards/{board['id']}").json["comment_count"] == 0


def test_a_forums_board_count_leaves_a_hidden_board_out(client, admin, alice, bob):
    forum = client.post(
        "/forums",
        json={"name": "Clubs", "category": "clubs", "description": "", "anonymous": "optional"},
        headers=admin["headers"],
    ).json
    board = client.post(
        "/boards", json={"title": "Join us", "forum_id": forum["id"]}, headers=alice["headers"]
    ).json
    assert client.get(f"/forums/{forum['id']}").json["board_count"] == 1
    report(client, bob, "board", board["id"])
    act(client, admin, 1, "hide")
    assert client.get(f"/forums/{forum['id']}").json["board_count"] == 0
    listed = client.get(f"/boards?forum_id={forum['id']}", headers=bob["headers"])
    assert ids(listed) == [] and pagination(listed)["total"] == 0
    act(client, admin, 1, "restore")
    assert client.get(f"/forums/{forum['id']}").json["board_count"] == 1


def test_writes_of_a_hidden_board_are_404_to_others_and_its_delete_moves_no_count_twice(
    app, client, admin, alice, carol, hidden_board
):
    path = f"/boards/{hidden_board['id']}"
    for method in ("put", "patch"):
        response = getattr(client, method)(path, json={"title": "Mine now"}, headers=carol["headers"])
        assert (response.status_code, response.json["message"]) == (
            404,
            f"Board {hidden_board['id']} not found.",
        )
    assert client.delete(path, headers=carol["headers"]).status_code == 404
    assert client.put(path + "/like", headers=admin["headers"]).status_code == 200  # admins see it
    edited = client.patch(path, json={"title": "Edited"}, headers=alice["headers"])
    assert (edited.status_code, edited.json["hidden"], edited.json["title"]) == (200, True, "Edited")
    assert client.delete(path, headers=alice["headers"]).status_code == 204
    assert_visible_counts_exact(app)
    assert pagination(client.get("/boards"))["total"] == 0


def test_an_admins_totals_and_feed_count_the_hidden_boards(client, admin, alice, hidden_board):
    visible = create_board(client, alice, title="Visible")
    client.put(f"/users/{alice['id']}/follow", headers=admin["headers"])
    for path in ("/boards", "/boards/feed", f"/boards?author_id={alice['id']}"):
        response = client.get(path, headers=admin["headers"])
        assert ids(response) == [visible["id"], hidden_board["id"]], path
        assert pagination(response)["total"] == 2, path


def test_the_threads_of_a_hidden_comment_are_404_to_others(
    client, admin, alice, bob, carol, board, hidden_comment
):
    path = f"/comments/{hidden_comment['id']}"
    for method, suffix, body in (
        ("patch", "", {"content": "x"}),
        ("delete", "", None),
        ("get", "/replies", None),
    ):
        response = getattr(client, method)(path + suffix, json=body, headers=carol["headers"])
        assert response.status_code == 404, (method, suffix)
    # A comment on a hidden board is out of sight with it, to everyone but who wrote the board.
    other = post_comment(client, carol, board["id"], "Still here")
    report(client, bob, "board", board["id"])
    act(client, admin, 2, "hide")
    for viewer, status in ((carol, 404), (bob, 404), (alice, 200), (admin, 200)):
        assert client.get(f"/comments/{other['id']}", headers=viewer["headers"]).status_code == status
        like = client.put(f"/comments/{other['id']}/like", headers=viewer["headers"])
        assert like.status_code == status, viewer
    assert client.get(f"/boards/{board['id']}/comments", headers=bob["headers"]).status_code == 404
    assert client.get(f"/comments/{other['id']}").status_code == 404


@pytest.mark.parametrize("app_config", [{"REPORT_HIDE_THRESHOLD": 1}])
def test_deleting_a_user_whose_comments_are_hidden_moves_no_count_twice(
    app, client, admin, alice, bob, carol, board
):
    thread = post_comment(client, carol, board["id"], "Carol's thread")
    others = post_comment(client, bob, board["id"], "A reply to it", parent_id=thread["id"])
    own = post_comment(client, carol, board["id"], "Carol replies too", parent_id=thread["id"])
    bobs = post_comment(client, bob, board["id"], "Bob's thread")
    under_bob = post_comment(client, carol, board["id"], "Carol under Bob", parent_id=bobs["id"])
    for item in (own, thread, under_bob):  # (once the thread is hidden, so is what is under it)
        assert report(client, alice, "comment", item["id"]).status_code == 201
    assert_visible_counts_exact(app)
    assert client.delete(f"/users/{carol['id']}", headers=admin["headers"]).status_code == 204
    assert_visible_counts_exact(app)
    # Carol's thread is a placeholder now, shown with Bob's reply, which is counted again.
    listed = client.get(f"/boards/{board['id']}/comments").json
    assert [(c["id"], c["deleted"], [r["id"] for r in c["replies"]]) for c in listed] == [
        (thread["id"], True, [others["id"]]),
        (bobs["id"], False, []),
    ]
    assert client.get(f"/boards/{board['id']}").json["comment_count"] == 2


@pytest.mark.parametrize("app_config", [{"REPORT_HIDE_THRESHOLD": 1}])
def test_a_thread_whose_replies_are_all_hidden_leaves_no_empty_placeholder(
    app, client, admin, alice, bob, carol, board
):
    thread = post_comment(client, carol, board["id"], "Carol's thread")
    reply = post_comment(client, bob, board["id"], "Bob's reply", parent_id=thread["id"])
    delete_comment(client, carol, thread["id"])  # a placeholder, for Bob's reply
    report(client, alice, "comment", reply["id"])
    listed = client.get(f"/boards/{board['id']}/comments", headers=carol["headers"])
    assert ids(listed) == [] and pagination(listed)["total"] == 0
    # Admins see everything; Bob sees his hidden reply on its own (the thread is an empty placeholder).
    everything = client.get(f"/boards/{board['id']}/comments", headers=admin["headers"]).json
    assert [(c["id"], [r["id"] for r in c["replies"]]) for c in everything] == [(thread["id"], [reply["id"]])]
    assert ids(client.get(f"/boards/{board['id']}/comments", headers=bob["headers"])) == []
    replies = client.get(f"/comments/{thread['id']}/replies", headers=bob["headers"])
    assert ids(replies) == [reply["id"]] and pagination(replies)["total"] == 1
    assert_visible_counts_exact(app)


def test_a_forum_whose_boards_are_all_hidden_is_not_empty(app, client, admin, alice, bob):
    forum = create_forum(client, admin, "Clubs")
    board = client.post(
        "/boards", json={"title": "Join us", "forum_id": forum["id"]}, headers=alice["headers"]
    ).json
    report(client, bob, "board", board["id"])
    act(client, admin, 1, "hide")
    assert client.get(f"/forums/{forum['id']}").json["board_count"] == 0
    refused = client.delete(f"/forums/{forum['id']}", headers=admin["headers"])
    assert (refused.status_code, refused.json["error"]) == (409, "forum_not_empty")
    assert refused.json["message"] == f"Forum {forum['id']} still has 1 board: delete them first."
    # Its author's delete of the hidden board moves the forum's count no further.
    assert client.delete(f"/boards/{board['id']}", headers=alice["headers"]).status_code == 204
    assert client.get(f"/forums/{forum['id']}").json["board_count"] == 0
    assert client.delete(f"/forums/{forum['id']}", headers=admin["headers"]).status_code == 204
    assert_visible_counts_exact(app)


def test_a_hidden_anonymous_board_leaves_its_forum_and_the_lists_as_any_board(app, client, admin, alice, bob):
    board = client.post(
        "/boards", json={"title": "Who am I", "anonymous": True}, headers=alice["headers"]
    ).json
    named = create_board(client, alice, title="Signed")
    report(client, bob, "board", board["id"])
    act(client, admin, 1, "hide")
    assert_visible_counts_exact(app)
    assert client.get("/forums/1").json["board_count"] == 1
    assert client.get(f"/boards/{board['id']}", headers=bob["headers"]).status_code == 404
    mine = client.get(f"/boards/{board['id']}", headers=alice["headers"]).json
    assert (mine["hidden"], mine["author"], mine["is_mine"]) == (True, None, True)
    listed = client.get("/boards?forum_id=1", headers=bob["headers"])
    assert ids(listed) == [named["id"]] and pagination(listed)["total"] == 1
    for viewer in (alice, admin):  # they see it in its forum, counted
        listed = client.get("/boards?forum_id=1", headers=viewer["headers"])
        assert ids(listed) == [named["id"], board["id"]] and pagination(listed)["total"] == 2
    act(client, admin, 1, "restore")
    assert client.get("/forums/1").json["board_count"] == 2
    assert_visible_counts_exact(app)


def test_forum_changes_are_written_to_the_audit_log(client, admin):
    forum = create_forum(client, admin, "Clubs")
    client.patch(f"/forums/{forum['id']}", json={"category": "hobbies"}, headers=admin["headers"])
    client.delete(f"/forums/{forum['id']}", headers=admin["headers"])
    log = client.get("/moderation/log", headers=admin["headers"]).json
    target = {"type": "forum", "id": forum["id"]}
    assert [(e["action"], e["target"], e["detail"], e["actor"]["id"]) for e in log] == [
        ("delete_forum", target, "name: Clubs", admin["id"]),
        ("update_forum", target, "category: hobbies", admin["id"]),
        ("create_forum", target, "name: Clubs", admin["id"]),
    ]
