"""Admins are made with `flask users make-admin`, never through the API."""

from __future__ import annotations

import pytest

from db import db
from models import User
from tests.conftest import PASSWORD, bearer
from tests.support import board_row, create_board


def is_admin(app, username: str) -> bool:
    with app.app_context():
        return db.session.execute(db.select(User.is_admin).where(User.username == username)).scalar_one()


def run_make_admin(app, *args: str):
    return app.test_cli_runner().invoke(args=["users", "make-admin", *args])


def test_make_admin_grants_and_revoke_takes_away(app, make_user):
    make_user("alice")
    assert not is_admin(app, "alice")

    granted = run_make_admin(app, "alice")
    assert (granted.exit_code, granted.output) == (0, "alice is now an admin.\n")
    assert is_admin(app, "alice")

    revoked = run_make_admin(app, "alice", "--revoke")
    assert (revoked.exit_code, revoked.output) == (0, "alice is no longer an admin.\n")
    assert not is_admin(app, "alice")


@pytest.mark.parametrize("name", ["ALICE", "alice@example.com"])
def test_make_admin_finds_the_user_case_insensitively_or_by_email(app, make_user, name):
    make_user("alice")
    assert run_make_admin(app, name).exit_code == 0
    assert is_admin(app, "alice")


def test_make_admin_of_an_unknown_name_fails(app, make_user):
    make_user("alice")
    result = run_make_admin(app, "nobody")
    assert result.exit_code != 0
    assert "No user named 'nobody'." in result.output
    assert not is_admin(app, "alice")


def test_make_admin_needs_a_name(app):
    result = run_make_admin(app)
    assert result.exit_code != 0
    assert "Missing argument 'USERNAME'" in result.output


def test_admin_tokens_carry_the_claim_and_me_shows_it(client, make_admin):
    admin = make_admin("root")
    assert client.get("/auth/me", headers=admin["headers"]).json["is_admin"] is True


def test_revoked_admin_loses_the_override_at_once_even_with_an_old_token(app, client, make_user, make_admin):
    """Admin rights are read from the database on every request, not trusted from the token claim."""
    alice = make_user("alice")
    board = create_board(client, alice, title="Alice's")
    admin = make_admin("root")

    assert run_make_admin(app, "root", "--revoke").exit_code == 0
    response = client.patch(f"/boards/{board['id']}", json={"title": "Edited"}, headers=admin["headers"])

    assert response.status_code == 403
    assert response.json["error"] == "forbidden"
    assert board_row(app, board["id"])[0] == "Alice's"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (
            "/auth/register",
            {"username": "sneaky", "email": "s@example.com", "password": PASSWORD, "is_admin": True},
        ),
        ("/users/{id}", {"is_admin": True}),
    ],
)
def test_is_admin_is_never_settable_through_the_api(app, client, make_user, path, body):
    alice = make_user("alice")
    method = client.post if path.startswith("/auth") else client.patch
    response = method(path.format(id=alice["id"]), json=body, headers=bearer(alice["access_token"]))
    assert response.status_code == 422
    assert response.json["errors"] == {"json": {"is_admin": ["Unknown field."]}}
    assert not is_admin(app, "alice")
    with app.app_context():
        assert db.session.scalar(db.select(User.id).where(User.username == "sneaky")) is None
