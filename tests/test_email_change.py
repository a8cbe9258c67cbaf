"""Changing an email (PATCH /users/<id>): the user needs a fresh token and the current password,
an admin neither; the change voids pending password resets and mails a notice to the old address
(review findings: a stolen token changed the email, then a reset took the account over)."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event, update

from db import db
from models import User
from ops.mailer import outbox
from services import password_reset, users
from services.email_change import SUBJECT
from tests.conftest import PASSWORD, bearer, error
from tests.password_reset.support import INVALID_TOKEN, ask_reset, confirm, token_of
from tests.smtp_server import SmtpServer, mail_config
from tests.support import validation_error

WRONG_PASSWORD = {
    **error(422, "wrong_current_password", "The current password is wrong."),
    "errors": {"json": {"current_password": ["Wrong password."]}},
}
FAILED_LOGINS = error(
    429,
    "rate_limited",
    "Too many failed logins for this account from this address: wait before trying again.",
)


@pytest.fixture
def app_config(smtp: SmtpServer) -> dict[str, Any]:
    return mail_config(smtp)


def change_email(client: FlaskClient, user: dict[str, Any], headers: dict[str, str], **body: Any) -> Any:
    response = client.patch(f"/users/{user['id']}", json=body, headers=headers)
    outbox.wait_idle()  # the notice, if any, has gone
    return response


def refreshed_access_token(client: FlaskClient, user: dict[str, Any]) -> str:
    response = client.post("/auth/refresh", headers=bearer(user["refresh_token"]))
    assert response.status_code == 200, response.json
    return response.json["access_token"]


def stored_email(app, user_id: int) -> str:
    with app.app_context():
        return db.session.get(User, user_id).email


def test_the_user_changes_the_email_with_the_current_password(app, client, smtp, make_user):
    alice = make_user("alice")

    response = change_email(
        client, alice, alice["headers"], email="Alice@New.example", current_password=PASSWORD
    )

    assert response.status_code == 200
    assert response.json == {
        "id": alice["id"],
        "username": "alice",
        "email": "alice@new.example",
        "is_admin": False,
        "created_at": alice["created_at"],
        "follower_count": 0,
        "following_count": 0,
    }
    assert response.headers["Cache-Control"] == "no-store"
    # The notice went to the old address, and only there; it does not say the new one.
    (notice,) = smtp.inbox.wait_for(1)
    assert smtp.inbox.envelopes == [("no-reply@localhost", ["alice@example.com"])]
    assert (notice["To"], notice["Subject"]) == ("alice@example.com", SUBJECT)
    text = notice.get_content().replace("\r\n", "\n")
    assert text.startswith("Hello alice,\n\nSomeone logged in as you changed the email address")
    assert "no longer to alice@example.com" in text
    assert "new.example" not in text
    # The login by email follows the change; the password is the same.
    for name, status in (("alice@example.com", 401), ("alice@new.example", 200)):
        login = client.post("/auth/login", json={"username": name, "password": PASSWORD})
        assert login.status_code == status


def test_without_the_current_password_the_user_cannot_change_the_email(app, client, smtp, make_user):
    alice = make_user("alice")

    response = change_email(client, alice, alice["headers"], email="mallory@evil.example")

    assert (response.status_code, response.json) == (
        422,
        validation_error("json", {"current_password": ["Required to change your email."]}),
    )
    assert stored_email(app, alice["id"]) == "alice@example.com"
    assert smtp.inbox.messages == []


@pytest.mark.parametrize("app_config", [{"LOGIN_RATE_LIMIT": "3 per minute"}])
def test_a_wrong_current_password_answers_as_for_a_password_change_and_counts_as_a_failed_login(
    app, client, smtp, make_user, app_config
):
    alice = make_user("alice")
    assert (
        client.post("/auth/login", json={"username": "alice", "password": "wrong guess"}).status_code == 401
    )
    as_password_change = client.patch(
        f"/users/{alice['id']}",
        json={"password": "a much better passphrase", "current_password": "not it"},
        headers=alice["headers"],
    )

    response = change_email(
        client, alice, alice["headers"], email="mallory@evil.example", current_password="not it"
    )

    assert (as_password_change.status_code, as_password_change.json) == (422, WRONG_PASSWORD)
    assert (response.status_code, response.json) == (422, WRONG_PASSWORD)
    assert response.headers["X-RateLimit-Remaining"] == "0"
    assert stored_email(app, alice["id"]) == "alice@example.com"
    # One wrong login and two wrong current passwords: the account's budget (3) is spent, for the
    # right password too, on login and on the email change alike.
    right = change_email(
        client, alice, alice["headers"], email="alice@new.example", current_password=PASSWORD
    )
    login = client.post("/auth/login", json={"username": "alice", "password": PASSWORD})
    assert (right.status_code, right.json["message"]) == (
        429,
        "Too many wrong passwords for this account from this address: wait before trying again.",
    )
    assert (login.status_code, login.json) == (429, FAILED_LOGINS)
    assert stored_email(app, alice["id"]) == "alice@example.com"
    assert smtp.inbox.messages == []


def test_a_non_fresh_token_cannot_change_its_own_email(app, client, make_user):
    alice = make_user("alice")
    stale = bearer(refreshed_access_token(client, alice))
    for body in (
        {"email": "mallory@evil.example"},
        {"email": "mallory@evil.example", "current_password": PASSWORD},
    ):
        response = change_email(client, alice, stale, **body)
        assert response.status_code == 401
        assert response.json["error"] == "fresh_token_required"
    assert stored_email(app, alice["id"]) == "alice@example.com"
    # A username change, or the same email again, needs no fresh token and no password.
    renamed = client.patch(f"/users/{alice['id']}", json={"username": "alice2"}, headers=stale)
    assert (renamed.status_code, renamed.json["username"]) == (200, "alice2")
    same = client.patch(f"/users/{alice['id']}", json={"email": "ALICE@example.com"}, headers=stale)
    assert same.status_code == 200


def test_the_same_email_again_sends_no_notice(client, smtp, make_user):
    alice = make_user("alice")
    same = change_email(client, alice, alice["headers"], email="alice@example.com", current_password=PASSWORD)
    assert same.status_code == 200
    # Sent with the same email, current_password is still checked: a wrong one is never accepted.
    wrong = change_email(
        client, alice, alice["headers"], email="alice@example.com", current_password="not it"
    )
    assert (wrong.status_code, wrong.json) == (422, WRONG_PASSWORD)
    assert smtp.inbox.messages == []


def test_a_change_to_a_taken_email_sends_nothing_and_voids_nothing(app, client, smtp, make_user):
    alice, bob = make_user("alice"), make_user("bob")
    assert ask_reset(client, "alice@example.com").status_code == 202
    (reset_mail,) = smtp.inbox.wait_for(1)

    taken = change_email(client, alice, alice["headers"], email="BOB@example.com", current_password=PASSWORD)

    assert (taken.status_code, taken.json) == (409, error(409, "email_taken", "That email is already taken."))
    assert len(smtp.inbox.messages) == 1
    assert (stored_email(app, alice["id"]), stored_email(app, bob["id"])) == (
        "alice@example.com",
        "bob@example.com",
    )
    assert confirm(client, token_of(reset_mail)).status_code == 200  # the link still works


def test_an_admin_changes_another_users_email_without_a_password_and_the_owner_is_told(
    app, client, smtp, make_user, make_admin
):
    alice, admin = make_user("alice"), make_admin("root")

    response = change_email(client, alice, admin["headers"], email="alice@third.example")

    assert (response.status_code, response.json["email"]) == (200, "alice@third.example")
    (notice,) = smtp.inbox.wait_for(1)
    assert smtp.inbox.envelopes == [("no-reply@localhost", ["alice@example.com"])]
    assert notice.get_content().startswith("Hello alice,\r\n\r\nAn administrator changed the email address")
    # The admin does not know the user's password, and is not asked to test one.
    with_password = change_email(
        client, alice, admin["headers"], email="alice@fourth.example", current_password=PASSWORD
    )
    assert (with_password.status_code, with_password.json["errors"]) == (
        422,
        {"json": {"current_password": ["Only used to change your own password or email."]}},
    )
    assert stored_email(app, alice["id"]) == "alice@third.example"
    assert len(smtp.inbox.messages) == 1


def test_the_change_voids_a_pending_reset_link(app, client, smtp, make_user):
    alice = make_user("alice")
    assert ask_reset(client, "alice@example.com").status_code == 202
    (reset_mail,) = smtp.inbox.wait_for(1)

    assert (
        change_email(
            client, alice, alice["headers"], email="alice@new.example", current_password=PASSWORD
        ).status_code
        == 200
    )

    assert smtp.inbox.wait_for(2)[1]["Subject"] == SUBJECT
    assert (confirm(client, token_of(reset_mail)).json) == INVALID_TOKEN
    # A link asked for at the new address works.
    assert ask_reset(client, "alice@new.example").status_code == 202
    assert confirm(client, token_of(smtp.inbox.wait_for(3)[2])).status_code == 200


def test_the_change_writes_the_reset_columns_even_when_empty(app, client, make_user):
    """So that a reset job storing a token between the change's read and its commit (a race no
    test can time) is overwritten: the UPDATE sets the digest whatever the row held when read."""
    alice = make_user("alice")
    updates: list[str] = []

    def record(conn, cursor, statement, *args):
        if statement.startswith("UPDATE users"):
            updates.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        response = change_email(
            client, alice, alice["headers"], email="alice@new.example", current_password=PASSWORD
        )
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 200
    (statement,) = updates
    assert "password_reset_digest" in statement


def test_a_reset_job_that_read_the_old_email_issues_no_token(app, make_user):
    """The other side of that race: the job's token is written only while the row still has the
    email it looked up."""
    alice = make_user("alice")
    with app.app_context():
        account = users.find_by_login("alice@example.com")
        db.session.execute(update(User).where(User.id == account.id).values(email="alice@new.example"))
        assert password_reset.issue_token(account) is None
        db.session.commit()
        assert db.session.get(User, alice["id"]).password_reset_digest is None
        account = users.find_by_login("alice@new.example")  # as the next job reads it
        assert password_reset.issue_token(account) is not None


def test_a_board_for_a_user_deleted_meanwhile_is_a_401_not_a_500(app, make_user):
    """The author vanishing between the token check and the insert (review finding)."""
    from models import TokenUser
    from services.boards import create_board
    from services.errors import Unauthorized

    alice = make_user("alice")
    with app.test_request_context():
        ghost = db.session.get(User, alice["id"])
        row = TokenUser(*(getattr(ghost, name) for name in TokenUser.__dataclass_fields__))
        db.session.delete(ghost)
        db.session.commit()
        try:
            create_board(row, "Title", "")
        except Unauthorized as refused:
            assert refused.error == "user_not_found"
        else:
            raise AssertionError("created a board for a deleted user")
