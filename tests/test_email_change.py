"""Changing your own email needs a fresh token, and voids a pending password reset: the email is
where reset links go, so a stolen long-lived token must not be able to redirect them (review
finding: email change + reset took an account over with a refreshed token)."""

from __future__ import annotations

from db import db
from models import User
from tests.conftest import bearer


def refreshed_access_token(client, user) -> str:
    response = client.post("/auth/refresh", headers=bearer(user["refresh_token"]))
    assert response.status_code == 200, response.json
    return response.json["access_token"]


def stored_email(app, user_id: int) -> str:
    with app.app_context():
        return db.session.get(User, user_id).email


def test_a_non_fresh_token_cannot_change_its_own_email(app, client, make_user):
    alice = make_user("alice")
    stale = bearer(refreshed_access_token(client, alice))
    response = client.patch(f"/users/{alice['id']}", json={"email": "mallory@evil.example"}, headers=stale)
    assert response.status_code == 401
    assert response.json["error"] == "fresh_token_required"
    assert stored_email(app, alice["id"]) == "alice@example.com"
    # A username change, or the same email again, needs no fresh token.
    renamed = client.patch(f"/users/{alice['id']}", json={"username": "alice2"}, headers=stale)
    assert (renamed.status_code, renamed.json["username"]) == (200, "alice2")
    same = client.patch(f"/users/{alice['id']}", json={"email": "alice@example.com"}, headers=stale)
    assert same.status_code == 200


def test_a_fresh_token_or_an_admin_changes_the_email_and_voids_a_pending_reset(
    app, client, make_user, make_admin
):
    alice = make_user("alice")
    with app.app_context():
        user = db.session.get(User, alice["id"])
        user.password_reset_digest = "0" * 64
        db.session.commit()
    response = client.patch(
        f"/users/{alice['id']}", json={"email": "alice@new.example"}, headers=alice["headers"]
    )
    assert (response.status_code, response.json["email"]) == (200, "alice@new.example")
    with app.app_context():
        user = db.session.get(User, alice["id"])
        assert (user.password_reset_digest, user.password_reset_expires_at) == (None, None)
    admin = make_admin("root")
    by_admin = client.patch(
        f"/users/{alice['id']}", json={"email": "alice@third.example"}, headers=admin["headers"]
    )
    assert by_admin.status_code == 200
    assert stored_email(app, alice["id"]) == "alice@third.example"


def test_a_board_for_a_user_deleted_meanwhile_is_a_401_not_a_500(app, make_user):
    """The author vanishing between the token check and the insert (review finding)."""
    from werkzeug.exceptions import HTTPException

    from models import TokenUser
    from resources.board_queries import create_board

    alice = make_user("alice")
    with app.test_request_context():
        ghost = db.session.get(User, alice["id"])
        row = TokenUser(*(getattr(ghost, name) for name in TokenUser.__dataclass_fields__))
        db.session.delete(ghost)
        db.session.commit()
        try:
            create_board(row, "Title", "")
        except HTTPException as refused:
            assert refused.code == 401
            assert "user_not_found" in str(refused.data)
        else:
            raise AssertionError("created a board for a deleted user")
