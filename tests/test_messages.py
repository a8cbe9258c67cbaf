"""Private messages: sending, reading, marking read, per-party deletion, privacy."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.conftest import error
from tests.support import not_found, pagination, validation_error
from tests.support_messages import message_row, send, unread_counted, unread_of

NO_TOKEN = error(
    401, "authorization_required", "An access token is required: send 'Authorization: Bearer <token>'."
)


def party(user: dict) -> dict:
    return {"id": user["id"], "username": user["username"]}


def test_send_answers_201_with_the_message_a_location_and_no_store(app, client, alice, bob):
    response = client.post(
        "/messages",
        json={"recipient_id": bob["id"], "content": "Hi Bob,\nabout your post…"},
        headers=alice["headers"],
    )

    assert response.status_code == 201, response.json
    body = response.json
    assert body == {
        "id": body["id"],
        "sender": party(alice),
        "recipient": party(bob),
        "content": "Hi Bob,\nabout your post…",
        "created_at": body["created_at"],
        "read_at": None,
    }
    assert abs(datetime.fromisoformat(body["created_at"]) - datetime.now(UTC)).total_seconds() < 60
    assert response.headers["Location"] == f"http://localhost/messages/{body['id']}"
    assert response.headers["Cache-Control"] == "no-store"
    assert client.get(response.headers["Location"], headers=bob["headers"]).json == body
    assert client.get(response.headers["Location"], headers=alice["headers"]).json == body
    assert message_row(app, body["id"]) == {
        "sender_id": alice["id"],
        "recipient_id": bob["id"],
        "sender_deleted": False,
        "recipient_deleted": False,
        "read_at": None,
    }
    assert (unread_of(app, bob["id"]), unread_of(app, alice["id"])) == (1, 0)


def test_auth_me_counts_unread_received_messages(client, alice, bob):
    for n in range(3):
        send(client, alice, bob, f"#{n}")
    send(client, bob, alice)

    me = client.get("/auth/me", headers=bob["headers"])
    assert me.status_code == 200
    assert me.json == {
        **{k: bob[k] for k in ("id", "username", "email", "created_at", "is_admin")},
        "follower_count": 0,
        "following_count": 0,
        "unread_messages": 3,
    }
    assert client.get("/auth/me", headers=alice["headers"]).json["unread_messages"] == 1
    # Only the user learns it: a profile, even their own or read by an admin, does not carry it.
    assert "unread_messages" not in client.get(f"/users/{bob['id']}", headers=bob["headers"]).json


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"content": "Hi"}, {"recipient_id": ["Missing data for required field."]}),
        ({"recipient_id": "{bob}"}, {"content": ["Missing data for required field."]}),
        ({"recipient_id": "{bob}", "content": ""}, {"content": ["Length must be between 1 and 1000."]}),
        (
            {"recipient_id": "{bob}", "content": "x" * 1001},
            {"content": ["Length must be between 1 and 1000."]},
        ),
        (
            {"recipient_id": "{bob}", "content": "bell\x07"},
            {"content": ["Control characters other than tab and line breaks are not allowed."]},
        ),
        (
            {"recipient_id": 0, "content": "Hi"},
            {
                "recipient_id": [
                    "Must be greater than or equal to 1 and less than or equal to 9223372036854775807."
                ]
            },
        ),
        ({"recipient_id": "bob", "content": "Hi"}, {"recipient_id": ["Not a valid integer."]}),
        ({"recipient_id": "{bob}", "content": "Hi", "subject": "x"}, {"subject": ["Unknown field."]}),
        (
            {"recipient_id": 999999, "content": "Hi"},
            {"recipient_id": ["No such user to write to (or it is yourself)."]},
        ),
        (
            {"recipient_id": "{alice}", "content": "Hi"},
            {"recipient_id": ["No such user to write to (or it is yourself)."]},
        ),
    ],
    ids=[
        "no-recipient",
        "no-content",
        "empty",
        "too-long",
        "control",
        "zero",
        "not-int",
        "unknown-field",
        "unknown-user",
        "yourself",
    ],
)
def test_send_refuses_with_the_whole_422_body(app, client, alice, bob, body, errors):
    ids = {"{bob}": bob["id"], "{alice}": alice["id"]}
    body = {key: ids.get(value, value) if isinstance(value, str) else value for key, value in body.items()}

    response = client.post("/messages", json=body, headers=alice["headers"])

    assert (response.status_code, response.json) == (422, validation_error("json", errors))
    assert response.headers["Cache-Control"] == "no-store"
    assert client.get("/messages", headers=alice["headers"]).json == []
    assert (unread_of(app, alice["id"]), unread_of(app, bob["id"])) == (0, 0)


def test_content_of_1000_characters_with_emoji_and_tabs_is_accepted(client, alice, bob):
    content = "\t안녕 🙂\r\n" + "x" * 993
    assert len(content) == 1000
    assert send(client, alice, bob, content)["content"] == content


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/messages", None),
        ("POST", "/messages", {"recipient_id": 1, "content": "Hi"}),
        ("GET", "/messages/1", None),
        ("PATCH", "/messages/1", {"read": True}),
        ("DELETE", "/messages/1", None),
    ],
)
def test_every_operation_needs_a_token_and_says_no_store(client, method, path, body):
    response = client.open(path, method=method, json=body)
    assert (response.status_code, response.json) == (401, NO_TOKEN)
    assert response.headers["Cache-Control"] == "no-store"


def test_a_third_user_and_an_admin_get_404_and_an_empty_list(client, alice, bob, carol, make_admin):
    message = send(client, alice, bob)
    admin = make_admin("admin")
    missing = not_found(f"Message {message['id']} not found.")

    for outsider in (carol, admin):
        headers = outsider["headers"]
        for method, body in (("GET", None), ("PATCH", {"read": True}), ("DELETE", None)):
            response = client.open(f"/messages/{message['id']}", method=method, json=body, headers=headers)
            assert (response.status_code, response.json) == (404, missing), (outsider["username"], method)
            assert response.headers["Cache-Control"] == "no-store"
        for query in ("", "?unread=true", f"?with={alice['id']}", f"?with={bob['id']}"):
            response = client.get(f"/messages{query}", headers=headers)
            assert (response.status_code, response.json) == (200, []), query
            assert pagination(response)["total"] == 0
    # Exactly the answer for an id that never existed: nothing tells the two apart.
    never = client.get("/messages/999999", headers=carol["headers"])
    assert (never.status_code, never.json) == (404, not_found("Message 999999 not found."))
    # The outsiders changed nothing.
    assert client.get(f"/messages/{message['id']}", headers=bob["headers"]).json == message


def test_the_box_holds_sent_and_received_newest_first_and_pages(client, alice, bob, carol):
    sent = [
        send(client, alice, bob, "a→b 1"),
        send(client, bob, alice, "b→a 2"),
        send(client, carol, alice, "c→a 3"),
    ]
    send(client, bob, carol, "b→c, not alice's")

    response = client.get("/messages", headers=alice["headers"])
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.json == sent[::-1]
    assert pagination(response) == {"total": 3, "total_pages": 1, "first_page": 1, "last_page": 1, "page": 1}

    page2 = client.get("/messages?page=2&page_size=2", headers=alice["headers"])
    assert page2.json == [sent[0]]
    assert pagination(page2)["total"] == 3
    assert client.get("/messages?page=3&page_size=2", headers=alice["headers"]).json == []


def test_with_filters_one_conversation_and_unread_the_unread_received(client, alice, bob, carol):
    first = send(client, alice, bob, "1")
    second = send(client, bob, alice, "2")
    third = send(client, carol, alice, "3")
    fourth = send(client, bob, alice, "4")
    client.patch(f"/messages/{second['id']}", json={"read": True}, headers=alice["headers"])
    second = client.get(f"/messages/{second['id']}", headers=alice["headers"]).json

    def box(query: str) -> list[int]:
        response = client.get(f"/messages?{query}", headers=alice["headers"])
        assert response.status_code == 200, response.json
        assert pagination(response)["total"] == len(response.json)
        return [message["id"] for message in response.json]

    assert box(f"with={bob['id']}") == [fourth["id"], second["id"], first["id"]]
    assert box(f"with={carol['id']}") == [third["id"]]
    assert box("unread=true") == [fourth["id"], third["id"]]
    assert box(f"unread=true&with={bob['id']}") == [fourth["id"]]
    assert box("unread=false") == box("") == [fourth["id"], third["id"], second["id"], first["id"]]
    assert box(f"with={alice['id']}") == []  # nobody writes to themselves
    assert box("with=999999") == []


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        (
            "with=0",
            {"with": ["Must be greater than or equal to 1 and less than or equal to 9223372036854775807."]},
        ),
        ("with=x", {"with": ["Not a valid integer: digits 0-9 only."]}),
        ("unread=maybe", {"unread": ["Not a valid boolean."]}),
        (
            "page_size=101",
            {"page_size": ["Must be greater than or equal to 1 and less than or equal to 100."]},
        ),
    ],
)
def test_list_refuses_bad_queries(client, alice, query, errors):
    response = client.get(f"/messages?{query}", headers=alice["headers"])
    assert (response.status_code, response.json) == (422, validation_error("query", errors))


def test_recipient_marks_read_once_and_the_counter_follows(app, client, alice, bob):
    message = send(client, alice, bob)
    url = f"/messages/{message['id']}"
    assert client.get(url, headers=bob["headers"]).json["read_at"] is None  # reading is not marking

    response = client.patch(url, json={"read": True}, headers=bob["headers"])

    assert response.status_code == 200, response.json
    assert response.headers["Cache-Control"] == "no-store"
    read_at = response.json["read_at"]
    assert response.json == {**message, "read_at": read_at}
    assert abs(datetime.fromisoformat(read_at) - datetime.now(UTC)).total_seconds() < 60
    assert client.get(url, headers=alice["headers"]).json["read_at"] == read_at  # the sender sees it
    assert unread_of(app, bob["id"]) == 0
    # Again: no change, the first reading time stays, the counter does not move twice.
    again = client.patch(url, json={"read": True}, headers=bob["headers"])
    assert (again.status_code, again.json["read_at"]) == (200, read_at)
    assert unread_of(app, bob["id"]) == 0 == unread_counted(app, bob["id"])


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"read": False}, {"read": ["A message cannot be marked unread."]}),
        ({}, {"read": ["Missing data for required field."]}),
        ({"read": "yes please"}, {"read": ["Not a valid boolean."]}),
        ({"read": True, "content": "edited"}, {"content": ["Unknown field."]}),
    ],
)
def test_mark_read_refuses_other_bodies(app, client, alice, bob, body, errors):
    message = send(client, alice, bob)
    response = client.patch(f"/messages/{message['id']}", json=body, headers=bob["headers"])
    assert (response.status_code, response.json) == (422, validation_error("json", errors))
    assert message_row(app, message["id"])["read_at"] is None


def test_the_sender_cannot_mark_read(app, client, alice, bob):
    message = send(client, alice, bob)
    response = client.patch(f"/messages/{message['id']}", json={"read": True}, headers=alice["headers"])
    assert (response.status_code, response.json) == (
        403,
        error(403, "forbidden", "Only the recipient can mark a message read."),
    )
    assert response.headers["Cache-Control"] == "no-store"
    assert (message_row(app, message["id"])["read_at"], unread_of(app, bob["id"])) == (None, 1)


def test_deleting_is_for_the_caller_only_and_the_row_goes_with_the_last_copy(app, client, alice, bob):
    message = send(client, alice, bob)
    url = f"/messages/{message['id']}"
    missing = not_found(f"Message {message['id']} not found.")

    response = client.delete(url, headers=alice["headers"])
    assert (response.status_code, response.data) == (204, b"")
    assert response.headers["Cache-Control"] == "no-store"
    # Gone for the sender, as if it never existed; the recipient keeps it, unread.
    for method in ("GET", "DELETE"):
        gone = client.open(url, method=method, headers=alice["headers"])
        assert (gone.status_code, gone.json) == (404, missing)
    assert client.get("/messages", headers=alice["headers"]).json == []
    assert client.get(url, headers=bob["headers"]).json == message
    assert client.get("/messages?unread=true", headers=bob["headers"]).json == [message]
    assert unread_of(app, bob["id"]) == 1

    assert client.delete(url, headers=bob["headers"]).status_code == 204
    assert message_row(app, message["id"]) is None
    assert unread_of(app, bob["id"]) == 0
    assert client.get(url, headers=bob["headers"]).json == missing


def test_recipient_deleting_uncounts_only_unread_messages(app, client, alice, bob):
    unread, read = send(client, alice, bob, "unread"), send(client, alice, bob, "read")
    client.patch(f"/messages/{read['id']}", json={"read": True}, headers=bob["headers"])
    assert unread_of(app, bob["id"]) == 1

    assert client.delete(f"/messages/{read['id']}", headers=bob["headers"]).status_code == 204
    assert unread_of(app, bob["id"]) == 1
    assert client.delete(f"/messages/{unread['id']}", headers=bob["headers"]).status_code == 204
    assert unread_of(app, bob["id"]) == 0 == unread_counted(app, bob["id"])
    # The sender still has both.
    assert [m["id"] for m in client.get("/messages", headers=alice["headers"]).json] == [
        read["id"],
        unread["id"],
    ]
    # A deleted copy cannot be marked read any more.
    patched = client.patch(f"/messages/{unread['id']}", json={"read": True}, headers=bob["headers"])
    assert patched.status_code == 404
