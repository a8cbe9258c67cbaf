"""Private messages: sending, reading, marking read, per-party deletion, privacy; accounts
deleted; what a page of messages costs; the OpenAPI document of the message operations."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import insert

from db import db, utcnow
from models import Message, User
from resources.messages import MESSAGE_RATE_LIMITED
from tests.conftest import error
from tests.support import count_statements, not_found, pagination, validation_error
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


def delete_user(client, user: dict) -> None:
    response = client.delete(f"/users/{user['id']}", headers=user["headers"])
    assert response.status_code == 204, response.json


def test_a_deleted_sender_shows_as_null_and_the_recipient_keeps_reading(app, client, alice, bob):
    kept = send(client, alice, bob, "kept")
    read = send(client, alice, bob, "read")
    client.patch(f"/messages/{read['id']}", json={"read": True}, headers=bob["headers"])
    read = client.get(f"/messages/{read['id']}", headers=bob["headers"]).json
    dropped_by_bob = send(client, alice, bob, "bob deleted it")
    client.delete(f"/messages/{dropped_by_bob['id']}", headers=bob["headers"])
    reply = send(client, bob, alice, "reply")

    delete_user(client, alice)

    box = client.get("/messages", headers=bob["headers"]).json
    assert box == [
        {**reply, "recipient": None},
        {**read, "sender": None},
        {**kept, "sender": None},
    ]
    assert client.get(f"/messages/{kept['id']}", headers=bob["headers"]).json == {**kept, "sender": None}
    # The copy bob had deleted has nobody left to keep it: the row is gone.
    assert message_row(app, dropped_by_bob["id"]) is None
    assert message_row(app, kept["id"]) == {
        "sender_id": None,
        "recipient_id": bob["id"],
        "sender_deleted": True,
        "recipient_deleted": False,
        "read_at": None,
    }
    # Bob's unread count is untouched: the message from the deleted sender is still unread.
    assert unread_of(app, bob["id"]) == 1 == unread_counted(app, bob["id"])
    response = client.patch(f"/messages/{kept['id']}", json={"read": True}, headers=bob["headers"])
    assert (response.status_code, response.json["sender"]) == (200, None)
    assert unread_of(app, bob["id"]) == 0
    # A conversation filter can no longer name the deleted user; the box still shows them.
    assert client.get(f"/messages?with={alice['id']}", headers=bob["headers"]).json == []

    # Bob's delete is the last copy: the row goes.
    assert client.delete(f"/messages/{kept['id']}", headers=bob["headers"]).status_code == 204
    assert message_row(app, kept["id"]) is None
    assert client.get(f"/messages/{kept['id']}", headers=bob["headers"]).json == not_found(
        f"Message {kept['id']} not found."
    )


def test_when_both_parties_are_deleted_their_messages_go(app, client, alice, bob):
    message = send(client, alice, bob)
    delete_user(client, bob)
    assert client.get("/messages", headers=alice["headers"]).json == [{**message, "recipient": None}]
    delete_user(client, alice)
    assert message_row(app, message["id"]) is None


def test_a_deleted_recipient_shows_as_null_to_the_sender(app, client, alice, bob, make_admin):
    message = send(client, alice, bob)
    admin = make_admin("admin")
    response = client.delete(f"/users/{bob['id']}", headers=admin["headers"])  # an admin deletes bob
    assert response.status_code == 204
    assert client.get(f"/messages/{message['id']}", headers=alice["headers"]).json == {
        **message,
        "recipient": None,
    }
    # Writing to the deleted user is writing to nobody.
    refused = client.post(
        "/messages", json={"recipient_id": bob["id"], "content": "?"}, headers=alice["headers"]
    )
    assert refused.status_code == 422


def seed_messages(app, alice_id: int, bob_id: int, count: int) -> None:
    now = utcnow()
    rows = [
        {
            "sender_id": (alice_id, bob_id)[n % 2],
            "recipient_id": (bob_id, alice_id)[n % 2],
            "content": f"#{n}",
            "created_at": now,
        }
        for n in range(count)
    ]
    with app.app_context():
        db.session.execute(insert(Message), rows)
        db.session.execute(
            db.update(User).where(User.id.in_([alice_id, bob_id])).values(unread_messages=count // 2)
        )
        db.session.commit()


def cost(app, client, url: str, **kwargs) -> tuple[int, list[str]]:
    with count_statements(app) as statements:
        response = client.open(url, **kwargs)
    assert response.status_code in (200, 201, 204), (url, response.json)
    return len(statements), statements


@pytest.mark.parametrize("query", ["", "&unread=true", "&with={bob}", "&with={bob}&unread=true", "&page=2"])
def test_a_page_of_messages_costs_two_statements_beyond_authentication(app, client, alice, bob, query):
    seed_messages(app, alice["id"], bob["id"], 240)
    query = query.format(bob=bob["id"])
    auth, _ = cost(app, client, "/auth/me", headers=alice["headers"])

    small, _ = cost(app, client, f"/messages?page_size=1{query}", headers=alice["headers"])
    with count_statements(app) as statements:
        response = client.get(f"/messages?page_size=100{query}", headers=alice["headers"])
    # One COUNT for X-Pagination, one SELECT of the page with both parties joined in.
    assert (small, len(statements)) == (auth + 2, auth + 2), statements
    assert len(response.json) == 100
    assert pagination(response)["total"] == (120 if "unread" in query else 240)
    assert {m["sender"]["username"] for m in response.json} <= {"alice", "bob"}


def test_a_page_past_the_end_costs_only_the_count(app, client, alice, bob):
    seed_messages(app, alice["id"], bob["id"], 10)
    auth, _ = cost(app, client, "/auth/me", headers=alice["headers"])
    assert cost(app, client, f"/messages?page={10**30}", headers=alice["headers"])[0] == auth + 1


def test_single_message_operations_cost_a_constant_number_of_statements(app, client, alice, bob):
    seed_messages(app, alice["id"], bob["id"], 50)
    auth, _ = cost(app, client, "/auth/me", headers=bob["headers"])
    send_cost, statements = cost(
        app,
        client,
        "/messages",
        method="POST",
        json={"recipient_id": alice["id"], "content": "x"},
        headers=bob["headers"],
    )
    assert send_cost == auth + 3, statements  # lock both users, count unread, INSERT
    message_id = send(client, alice, bob)["id"]
    url = f"/messages/{message_id}"
    assert cost(app, client, url, headers=bob["headers"])[0] == auth + 1
    read = cost(app, client, url, method="PATCH", json={"read": True}, headers=bob["headers"])
    assert read[0] == auth + 4, read[1]  # SELECT, lock the user, UPDATE the message, the counter
    again = cost(app, client, url, method="PATCH", json={"read": True}, headers=bob["headers"])
    assert again[0] == auth + 1, again[1]
    deleted = cost(app, client, url, method="DELETE", headers=bob["headers"])
    # SELECT, lock the user, UPDATE if unread (it is not), UPDATE, DELETE if nobody keeps it.
    assert deleted[0] == auth + 5, deleted[1]


def test_deleting_a_user_with_many_messages_costs_a_constant_number_of_statements(app, client, alice, bob):
    seed_messages(app, alice["id"], bob["id"], 200)
    auth, _ = cost(app, client, "/auth/me", headers=alice["headers"])
    count, statements = cost(app, client, f"/users/{alice['id']}", method="DELETE", headers=alice["headers"])
    # Load the user, its follows (5), comments (4: their hidden ones found too), likes and scraps
    # (6), lock their boards' forums and DELETE the boards, five for messages (lock, two DELETEs,
    # two UPDATEs), DELETE user: as in tests/test_query_counts.py.
    assert count == auth + 4 + 5 + 4 + 6 + 5, statements
    assert pagination(client.get("/messages", headers=bob["headers"]))["total"] == 200


ERROR_REF = {"$ref": "#/components/schemas/Error"}
# (path, method) -> (operationId, the documented status codes besides `default`).
OPERATIONS = {
    ("/messages", "get"): ("listMessages", {"200", "401", "422"}),
    ("/messages", "post"): ("sendMessage", {"201", "401", "409", "413", "415", "422", "429"}),
    ("/messages/{message_id}", "get"): ("getMessage", {"200", "401", "404"}),
    ("/messages/{message_id}", "patch"): (
        "markMessageRead",
        {"200", "401", "403", "404", "413", "415", "422"},
    ),
    ("/messages/{message_id}", "delete"): ("deleteMessage", {"204", "401", "404"}),
}


@pytest.mark.parametrize(("path", "method"), sorted(OPERATIONS))
def test_operations_are_tagged_named_protected_and_document_their_errors(spec, path, method):
    operation = spec["paths"][path][method]
    operation_id, statuses = OPERATIONS[(path, method)]
    assert (operation["operationId"], operation["tags"]) == (operation_id, ["Messages"])
    assert operation["security"] == [{"bearerAuth": []}]
    assert set(operation["responses"]) - {"default"} == statuses
    for status, response in operation["responses"].items():
        if "$ref" in response:
            response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
        if status[0] in "45":
            assert response["content"]["application/json"]["schema"] == ERROR_REF, status


def test_the_rate_limit_is_documented_with_retry_after(spec):
    response = spec["paths"]["/messages"]["post"]["responses"]["429"]
    assert response["headers"]["Retry-After"]["required"] is True
    assert response["content"]["application/json"]["example"]["message"] == MESSAGE_RATE_LIMITED
    assert "Location" in spec["paths"]["/messages"]["post"]["responses"]["201"]["headers"]


def test_the_message_schema_says_what_is_always_there_and_what_may_be_null(spec):
    schemas = spec["components"]["schemas"]
    message = schemas["PrivateMessage"]
    assert set(message["required"]) == {"id", "sender", "recipient", "content", "created_at", "read_at"}
    assert message["properties"]["read_at"]["nullable"] is True
    for side in ("sender", "recipient"):
        assert message["properties"][side]["nullable"] is True
    assert set(schemas["MessageParty"]["required"]) == {"id", "username"}
    assert schemas["PrivateMessageUpdate"]["properties"]["read"]["enum"] == [True]
    content = schemas["PrivateMessageCreate"]["properties"]["content"]
    assert (content["minLength"], content["maxLength"]) == (1, 1000)
    assert "unread_messages" in schemas["Me"]["required"]


def test_list_filters_are_documented(spec):
    params = {p["name"]: p["schema"] for p in spec["paths"]["/messages"]["get"]["parameters"]}
    assert params["with"]["type"] == "integer"
    assert params["unread"] == {"type": "boolean", "default": False}
    assert "X-Pagination" in spec["paths"]["/messages"]["get"]["responses"]["200"]["headers"]
