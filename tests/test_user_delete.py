"""DELETE /users/<id>: self with a fresh token or an admin; boards go too; tokens die."""

from __future__ import annotations

import time
import uuid

import jwt
import pytest

from db import db
from models import Board, User
from tests.conftest import TEST_SECRET, bearer, error
from tests.support import create_board, not_found

USER_GONE = error(401, "user_not_found", "The user of this token no longer exists.")
NOT_FRESH = error(401, "fresh_token_required", "This action needs a fresh token: log in again.")


def boards_of(app, user_id: int) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(db.select(Board.id).where(Board.author_id == user_id)))


def user_exists(app, user_id: int) -> bool:
    with app.app_context():
        return db.session.get(User, user_id) is not None


def refreshed_access_token(client, user) -> str:
    response = client.post("/auth/refresh", headers=bearer(user["refresh_token"]))
    assert response.status_code == 200, response.json
    return response.json["access_token"]


@pytest.fixture
def alice(client, make_user):
    alice = make_user("alice")
    for n in range(3):
        create_board(client, alice, title=f"Alice {n}")
    return alice


@pytest.fixture
def bob(client, make_user):
    bob = make_user("bob")
    create_board(client, bob, title="Bob's board")
    return bob


def test_self_delete_with_a_fresh_token_removes_the_user_and_their_boards(app, client, alice, bob):
    assert len(boards_of(app, alice["id"])) == 3

    response = client.delete(f"/users/{alice['id']}", headers=alice["headers"])

    assert response.status_code == 204
    assert response.data == b""
    assert not user_exists(app, alice["id"])
    assert boards_of(app, alice["id"]) == []
    assert client.get(f"/users/{alice['id']}").json == not_found(f"User {alice['id']} not found.")
    # Other users' boards stay.
    assert [board["title"] for board in client.get("/boards").json] == ["Bob's board"]


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/auth/me"), ("post", "/boards"), ("get", "/users/{id}"), ("delete", "/users/{id}")],
)
def test_a_deleted_users_still_valid_token_gets_user_not_found(client, alice, method, path):
    assert client.delete(f"/users/{alice['id']}", headers=alice["headers"]).status_code == 204

    response = getattr(client, method)(
        path.format(id=alice["id"]), json={"title": "ghost"}, headers=alice["headers"]
    )

    assert response.status_code == 401
    assert response.json == USER_GONE


def test_a_deleted_users_refresh_token_gets_user_not_found(client, alice):
    client.delete(f"/users/{alice['id']}", headers=alice["headers"])
    response = client.post("/auth/refresh", headers=bearer(alice["refresh_token"]))
    assert response.status_code == 401
    assert response.json == USER_GONE


def test_a_deleted_users_token_does_not_work_for_a_new_user_who_gets_the_same_id(client, make_user, alice):
    """SQLite hands a deleted highest id to the next row: the old token must not become carol's."""
    client.delete(f"/users/{alice['id']}", headers=alice["headers"])
    carol = make_user("carol")

    if client.application.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        assert carol["id"] == alice["id"]  # the premise: SQLite handed the id out again

    me = client.get("/auth/me", headers=alice["headers"])
    assert (me.status_code, me.json) == (401, USER_GONE)
    refresh = client.post("/auth/refresh", headers=bearer(alice["refresh_token"]))
    assert (refresh.status_code, refresh.json) == (401, USER_GONE)
    assert client.get("/auth/me", headers=carol["headers"]).json["username"] == "carol"


def test_self_delete_with_a_refreshed_token_needs_a_fresh_one(app, client, alice):
    stale = refreshed_access_token(client, alice)

    response = client.delete(f"/users/{alice['id']}", headers=bearer(stale))

    assert response.status_code == 401
    assert response.json == NOT_FRESH
    assert user_exists(app, alice["id"])
    assert len(boards_of(app, alice["id"])) == 3


def test_another_user_may_not_delete(app, client, alice, bob):
    response = client.delete(f"/users/{alice['id']}", headers=bob["headers"])
    assert response.status_code == 403
    assert response.json == error(403, "forbidden", "Only the owner or an admin may do this.")
    assert user_exists(app, alice["id"])
    assert len(boards_of(app, alice["id"])) == 3


def test_admin_may_delete_another_user_and_their_boards(app, client, make_admin, alice, bob):
    admin = make_admin("root")

    response = client.delete(f"/users/{alice['id']}", headers=admin["headers"])

    assert response.status_code == 204
    assert not user_exists(app, alice["id"])
    assert boards_of(app, alice["id"]) == []
    assert len(boards_of(app, bob["id"])) == 1
    assert client.get("/auth/me", headers=alice["headers"]).json == USER_GONE


def test_deleting_an_unknown_user_is_404(client, make_admin):
    admin = make_admin()
    response = client.delete("/users/424242", headers=admin["headers"])
    assert response.status_code == 404
    assert response.json == not_found("User 424242 not found.")


def test_the_username_is_free_again_after_deletion(client, register, alice):
    client.delete(f"/users/{alice['id']}", headers=alice["headers"])
    assert register("alice", email="alice@example.com")["username"] == "alice"


def test_delete_needs_a_token(app, client, alice):
    response = client.delete(f"/users/{alice['id']}")
    assert response.status_code == 401
    assert response.json["error"] == "authorization_required"
    assert user_exists(app, alice["id"])


def test_a_token_naming_another_account_of_this_id_gets_user_not_found(client, make_user):
    """Forged with the real secret: a token for this id but another account (another `uct`, as a
    deleted user whose id SQLite handed out again) opens nothing."""
    carol = make_user("carol")
    past = int(time.time()) - 3600
    payload = {
        "sub": str(carol["id"]),
        "jti": uuid.uuid4().hex,
        "type": "access",
        "fresh": False,
        "iat": past,
        "nbf": past,
        "exp": past + 7200,
        "fam": uuid.uuid4().hex,
        "is_admin": False,
        "gen": 0,
        "uct": 12345,
    }
    response = client.get("/auth/me", headers=bearer(jwt.encode(payload, TEST_SECRET, algorithm="HS256")))
    assert (response.status_code, response.json) == (401, USER_GONE)
