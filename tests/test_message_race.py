"""The unread counter under real concurrency: requests over HTTP, released at once by a barrier,
each in its own server thread with its own database connection (SQLite and MariaDB alike)."""

from __future__ import annotations

import json
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.servers import http, live_server
from tests.support_messages import message_row, send, unread_counted, unread_of

CLIENTS = 16
pytestmark = pytest.mark.slow


def at_once(app, requests: list[tuple[str, str, dict[str, Any] | None, str]]) -> list[tuple[int, str]]:
    """(method, path, body, token) requests, all released at the same moment."""
    barrier = threading.Barrier(len(requests))

    def run(request: tuple[str, str, dict[str, Any] | None, str]) -> tuple[int, str]:
        method, path, body, token = request
        barrier.wait(timeout=30)
        return http(method, f"{base_url}{path}", json.dumps(body) if body else None, token)

    with live_server(app) as base_url, ThreadPoolExecutor(len(requests)) as pool:
        return list(pool.map(run, requests))


def message(recipient: dict) -> dict[str, Any]:
    return {"recipient_id": recipient["id"], "content": "at once"}


def test_sixteen_senders_at_once_make_sixteen_while_the_recipient_writes_back(app, make_user):
    """Each sender also receives a message from the recipient at the same moment: on MariaDB, two
    users writing to each other lock each other's rows, which must not deadlock (see services/messages.py)."""
    recipient = make_user("recipient")
    senders = [make_user(f"sender{n}") for n in range(CLIENTS)]
    requests = [("POST", "/messages", message(recipient), s["access_token"]) for s in senders]
    requests += [("POST", "/messages", message(s), recipient["access_token"]) for s in senders]

    results = at_once(app, requests)

    assert Counter(status for status, _ in results) == {201: 2 * CLIENTS}, results
    assert unread_of(app, recipient["id"]) == CLIENTS == unread_counted(app, recipient["id"])
    assert [unread_of(app, s["id"]) for s in senders] == [1] * CLIENTS


def test_reads_and_deletes_of_one_message_at_once_uncount_it_once(app, client, make_user):
    sender, recipient = make_user("sender"), make_user("recipient")
    target = send(client, sender, recipient)
    for _ in range(3):
        send(client, sender, recipient)
    url = f"/messages/{target['id']}"
    token = recipient["access_token"]
    requests = [("PATCH", url, {"read": True}, token) for _ in range(CLIENTS // 2)]
    requests += [("DELETE", url, None, token) for _ in range(CLIENTS // 2)]

    results = at_once(app, requests)

    statuses = Counter(status for status, _ in results)
    # Exactly one delete wins; reads before it answer 200, reads and deletes after it 404.
    assert statuses[204] == 1, results
    assert statuses[200] + statuses[404] == CLIENTS - 1, results
    assert unread_of(app, recipient["id"]) == 3 == unread_counted(app, recipient["id"])
    assert message_row(app, target["id"])["recipient_deleted"] is True


def test_both_parties_deleting_at_once_remove_the_row(app, client, make_user):
    alice, bob = make_user("alice"), make_user("bob")
    targets = [send(client, alice, bob) for _ in range(CLIENTS // 2)]
    requests = [
        ("DELETE", f"/messages/{m['id']}", None, user["access_token"])
        for m in targets
        for user in (alice, bob)
    ]

    results = at_once(app, requests)

    assert Counter(status for status, _ in results) == {204: CLIENTS}, results
    assert [message_row(app, m["id"]) for m in targets] == [None] * len(targets)
    assert unread_of(app, bob["id"]) == 0
