"""Threads: ordering, embedded and paged replies, placeholders, and the cascades of deleting a
board or a user (CONTRACT §4, §7). Every test ends with the stored counters recounted."""

from __future__ import annotations

from tests.comment_support import (
    assert_counts_exact,
    comment_count,
    delete_comment,
    post_comment,
    stored_comments,
)
from tests.support import create_board, not_found, pagination, validation_error

PLACEHOLDER = {"deleted": True, "content": "", "author": None}


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
