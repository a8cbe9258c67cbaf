"""Changing boards: ownership, admin override, optional If-Match."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import event, update

from db import db
from models import Board
from tests.conftest import error
from tests.support import board_row, create_board, not_found, validation_error

FORBIDDEN = error(403, "forbidden", "Only the owner or an admin may do this.")
PRECONDITION_FAILED = error(
    412, "precondition_failed", "The resource changed since you read it: fetch it again."
)

# (method, body, the (title, content) stored afterwards) for a board created as ("Title", "Text").
WRITES = [
    ("put", {"title": "New title", "content": "New text"}, ("New title", "New text")),
    ("put", {"title": "No content"}, ("No content", "")),
    ("patch", {"title": "Patched"}, ("Patched", "Text")),
    ("patch", {"content": "Only content"}, ("Title", "Only content")),
    ("patch", {}, ("Title", "Text")),
]


@pytest.fixture
def board(client, alice):
    return create_board(client, alice, title="Title", content="Text")


@pytest.mark.parametrize(("method", "body", "stored"), WRITES, ids=lambda v: str(v)[:20])
def test_author_may_update(client, alice, board, method, body, stored):
    response = getattr(client, method)(f"/boards/{board['id']}", json=body, headers=alice["headers"])

    assert response.status_code == 200
    assert (response.json["title"], response.json["content"]) == stored
    assert response.json["author"] == board["author"]
    assert response.json["created_at"] == board["created_at"]
    assert response.headers["ETag"] == client.get(f"/boards/{board['id']}").headers["ETag"]
    assert board_row(client.application, board["id"])[:3] == (*stored, alice["id"])


def test_update_moves_updated_at_but_not_created_at(client, alice, board):
    response = client.patch(f"/boards/{board['id']}", json={"title": "Later"}, headers=alice["headers"])
    assert response.json["created_at"] == board["created_at"]
    assert response.json["updated_at"] > board["updated_at"]


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_another_user_gets_403_and_nothing_changes(client, make_user, board, method):
    mallory = make_user("mallory")
    before = board_row(client.application, board["id"])

    response = getattr(client, method)(
        f"/boards/{board['id']}", json={"title": "Hijacked"}, headers=mallory["headers"]
    )

    assert response.status_code == 403
    assert response.json == FORBIDDEN
    assert board_row(client.application, board["id"]) == before


@pytest.mark.parametrize(("method", "body", "stored"), WRITES[:3], ids=lambda v: str(v)[:20])
def test_admin_may_update_anyones_board(client, make_admin, alice, board, method, body, stored):
    admin = make_admin("root")
    response = getattr(client, method)(f"/boards/{board['id']}", json=body, headers=admin["headers"])

    assert response.status_code == 200
    assert (response.json["title"], response.json["content"]) == stored
    # The admin edits; the board stays Alice's.
    assert response.json["author"] == {"id": alice["id"], "username": "alice"}
    assert board_row(client.application, board["id"])[:3] == (*stored, alice["id"])


def test_admin_may_delete_anyones_board(client, make_admin, board):
    admin = make_admin()
    assert client.delete(f"/boards/{board['id']}", headers=admin["headers"]).status_code == 204
    assert board_row(client.application, board["id"]) is None


def test_update_validates_the_body(client, alice, board):
    put = client.put(f"/boards/{board['id']}", json={"content": "no title"}, headers=alice["headers"])
    assert put.status_code == 422
    assert put.json == validation_error("json", {"title": ["Missing data for required field."]})

    patch = client.patch(
        f"/boards/{board['id']}", json={"title": "", "author_id": 9}, headers=alice["headers"]
    )
    assert patch.status_code == 422
    assert patch.json == validation_error(
        "json", {"title": ["Length must be between 1 and 200."], "author_id": ["Unknown field."]}
    )
    assert board_row(client.application, board["id"])[:2] == ("Title", "Text")


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_stale_if_match_is_412_and_changes_nothing(client, alice, board, method):
    stale = client.get(f"/boards/{board['id']}").headers["ETag"]
    client.patch(f"/boards/{board['id']}", json={"content": "Edited elsewhere"}, headers=alice["headers"])
    before = board_row(client.application, board["id"])

    response = getattr(client, method)(
        f"/boards/{board['id']}",
        json={"title": "Lost update"},
        headers={**alice["headers"], "If-Match": stale},
    )

    assert response.status_code == 412
    assert response.json == PRECONDITION_FAILED
    assert board_row(client.application, board["id"]) == before


@pytest.mark.parametrize("method", ["put", "patch"])
def test_current_if_match_is_honoured(client, alice, board, method):
    etag = client.get(f"/boards/{board['id']}").headers["ETag"]
    response = getattr(client, method)(
        f"/boards/{board['id']}", json={"title": "Fresh"}, headers={**alice["headers"], "If-Match": etag}
    )
    assert response.status_code == 200
    assert response.json["title"] == "Fresh"
    assert board_row(client.application, board["id"])[0] == "Fresh"


def test_delete_with_current_if_match(client, alice, board):
    etag = client.get(f"/boards/{board['id']}").headers["ETag"]
    response = client.delete(f"/boards/{board['id']}", headers={**alice["headers"], "If-Match": etag})
    assert response.status_code == 204
    assert board_row(client.application, board["id"]) is None


def test_if_match_compares_strongly(client, alice, board):
    etag = client.get(f"/boards/{board['id']}").headers["ETag"]
    response = client.patch(
        f"/boards/{board['id']}",
        json={"title": "Weak"},
        headers={**alice["headers"], "If-Match": f"W/{etag}"},
    )
    assert response.status_code == 412
    assert board_row(client.application, board["id"])[0] == "Title"


def test_if_match_star_matches_any_existing_board(client, alice, board):
    response = client.patch(
        f"/boards/{board['id']}", json={"title": "Star"}, headers={**alice["headers"], "If-Match": "*"}
    )
    assert (response.status_code, response.json["title"]) == (200, "Star")
    assert board_row(client.application, board["id"]) == ("Star", "Text", alice["id"], 2)
    put = client.put(
        f"/boards/{board['id']}", json={"title": "Star 2"}, headers={**alice["headers"], "If-Match": "*"}
    )
    assert put.status_code == 200
    assert board_row(client.application, board["id"]) == ("Star 2", "", alice["id"], 3)
    deleted = client.delete(f"/boards/{board['id']}", headers={**alice["headers"], "If-Match": "*"})
    assert deleted.status_code == 204
    assert board_row(client.application, board["id"]) is None


def test_writes_without_if_match_are_not_refused(client, alice, board):
    # flask-smorest's own @blp.etag would answer 428 here; this API only honours If-Match when sent.
    response = client.patch(
        f"/boards/{board['id']}", json={"title": "No precondition"}, headers=alice["headers"]
    )
    assert (response.status_code, response.json["title"]) == (200, "No precondition")
    assert board_row(client.application, board["id"]) == ("No precondition", "Text", alice["id"], 2)
    put = client.put(f"/boards/{board['id']}", json={"title": "Put"}, headers=alice["headers"])
    assert put.status_code == 200
    assert board_row(client.application, board["id"]) == ("Put", "", alice["id"], 3)
    deleted = client.delete(f"/boards/{board['id']}", headers=alice["headers"])
    assert deleted.status_code == 204
    assert board_row(client.application, board["id"]) is None


MALFORMED_IF_MATCH = error(
    412,
    "precondition_failed",
    'If-Match must be "*" or entity tags in double quotes, as the ETag header gives them.',
)


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
@pytest.mark.parametrize(
    "if_match",
    ["", " ", ",", "unquoted", "current-unquoted", '"current", *', '"unterminated', "W/unquoted", '"a" "b"'],
)
def test_a_malformed_if_match_is_412_and_changes_nothing(client, alice, board, method, if_match):
    etag = client.get(f"/boards/{board['id']}").headers["ETag"]
    # Werkzeug reads the current tag without its quotes as a match: it must not count as one.
    if_match = if_match.replace("current", etag.strip('"'))
    before = board_row(client.application, board["id"])
    response = getattr(client, method)(
        f"/boards/{board['id']}",
        json={"title": "Blind write"},
        headers={**alice["headers"], "If-Match": if_match},
    )
    assert (response.status_code, response.json) == (412, MALFORMED_IF_MATCH)
    assert board_row(client.application, board["id"]) == before


def test_a_list_of_tags_matches_when_one_is_current(client, alice, board):
    etag = client.get(f"/boards/{board['id']}").headers["ETag"]
    response = client.patch(
        f"/boards/{board['id']}",
        json={"title": "Listed"},
        headers={**alice["headers"], "If-Match": f'"other", {etag} ,'},
    )
    assert response.status_code == 200
    assert board_row(client.application, board["id"])[0] == "Listed"


def test_delete_answers_204_then_the_board_is_404(client, alice, board):
    response = client.delete(f"/boards/{board['id']}", headers=alice["headers"])

    assert response.status_code == 204
    assert response.data == b""
    assert board_row(client.application, board["id"]) is None
    message = f"Board {board['id']} not found."
    assert client.get(f"/boards/{board['id']}").json == not_found(message)
    again = client.delete(f"/boards/{board['id']}", headers=alice["headers"])
    assert again.status_code == 404
    assert again.json == not_found(message)


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_writes_need_a_token(client, board, method):
    response = getattr(client, method)(f"/boards/{board['id']}", json={"title": "x"})
    assert response.status_code == 401
    assert response.json["error"] == "authorization_required"
    assert board_row(client.application, board["id"])[:2] == ("Title", "Text")


def test_a_writer_arriving_between_the_check_and_the_write_waits_for_it(app, client, alice, board):
    """If-Match is checked on the row this request has locked: another writer arriving after the
    check cannot slip in before the write (which would then overwrite it unseen); it waits for the
    commit and writes after it. tests/test_write_races.py races whole requests."""
    etag = client.get(f"/boards/{board['id']}").headers["ETag"]
    with app.app_context():
        engine = db.engine
    other_done = threading.Event()
    other: list[threading.Thread] = []

    def concurrent_writer() -> None:
        with engine.begin() as conn:
            conn.execute(
                update(Board)
                .where(Board.id == board["id"])
                .values(title="Concurrent", version=Board.version + 1)
            )
        other_done.set()

    def start_the_other_writer(conn, cursor, statement, *args):
        if statement.startswith("UPDATE boards SET title") and not other:
            other.append(threading.Thread(target=concurrent_writer))
            other[0].start()
            # Time enough to write, were the row not locked.
            assert not other_done.wait(0.5)

    event.listen(engine, "before_cursor_execute", start_the_other_writer)
    try:
        response = client.patch(
            f"/boards/{board['id']}",
            json={"title": "Checked"},
            headers={**alice["headers"], "If-Match": etag},
        )
    finally:
        event.remove(engine, "before_cursor_execute", start_the_other_writer)
    other[0].join(30)

    assert (response.status_code, response.json["title"]) == (200, "Checked")
    assert other_done.is_set()
    assert board_row(app, board["id"]) == ("Concurrent", "Text", alice["id"], 3)
