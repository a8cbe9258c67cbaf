"""Messages when an account is deleted (CONTRACT §4, §10), and what a page of messages costs."""

from __future__ import annotations

import pytest
from sqlalchemy import insert

from db import db, utcnow
from models import Message, User
from tests.support import count_statements, not_found, pagination
from tests.support_messages import message_row, send, unread_counted, unread_of


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
    # Load the user, its follows (5), comments (3), likes and scraps (6), DELETE boards, five for
    # messages (lock, two DELETEs, two UPDATEs), DELETE user: as in tests/test_query_counts.py.
    assert count == auth + 3 + 5 + 3 + 6 + 5, statements
    assert pagination(client.get("/messages", headers=bob["headers"]))["total"] == 200
