"""Password reset by email, through a real SMTP server: the mail received, its link
followed, the password reset; and every way a token goes bad."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from db import db, utcnow
from models import User
from services import password_reset
from tests.conftest import PASSWORD, bearer
from tests.password_reset.support import (
    DONE,
    INVALID_TOKEN,
    NEW_PASSWORD,
    REQUESTED,
    RESET_URL,
    ask_reset,
    confirm,
    link_of,
    login_status,
    token_of,
)
from tests.servers import live_server, post_json
from tests.support import validation_error
from tests.test_token_revocation import assert_revoked


def reset_columns(app, user_id: int) -> tuple[str | None, object]:
    with app.app_context():
        row = db.session.execute(
            select(User.password_reset_digest, User.password_reset_expires_at).where(User.id == user_id)
        ).one()
        return tuple(row)


def test_round_trip_through_a_real_smtp_server(app, client, smtp, make_user, login):
    user = make_user()
    other_login = login(user["username"])

    response = ask_reset(client, user["email"].upper())

    assert (response.status_code, response.json) == (202, REQUESTED)
    assert response.headers["X-RateLimit-Remaining"].isdigit()
    (mail,) = smtp.inbox.wait_for(1)
    assert smtp.inbox.envelopes == [("no-reply@localhost", [user["email"]])]
    assert (mail["To"], mail["Subject"]) == (user["email"], "Reset your Board API password")
    assert link_of(mail).startswith(f"{RESET_URL}?token={user['id']}.")
    assert "It works once, for 30 minutes" in mail.get_content()

    done = confirm(client, token_of(mail))

    assert (done.status_code, done.json) == (200, DONE)
    tokens = [user["access_token"], other_login["access_token"]]
    assert_revoked(client, access=tokens, refresh_tokens=[user["refresh_token"]])
    assert login_status(client, user["username"], PASSWORD) == 401
    assert login_status(client, user["username"], NEW_PASSWORD) == 200
    assert reset_columns(app, user["id"]) == (None, None)


def test_a_token_works_once(client, smtp, make_user):
    user = make_user()
    ask_reset(client, user["email"])
    token = token_of(smtp.inbox.wait_for(1)[0])
    assert confirm(client, token).status_code == 200

    again = confirm(client, token, password="yet another passphrase")

    assert (again.status_code, again.json) == (422, INVALID_TOKEN)
    assert login_status(client, user["username"], NEW_PASSWORD) == 200


@pytest.mark.parametrize(
    ("app_config", "lifetime"),
    [({"PASSWORD_RESET_EXPIRES": 1800}, 1800), ({"PASSWORD_RESET_EXPIRES": 120}, 120)],
)
def test_a_token_expires(app, client, make_user, monkeypatch, caplog, lifetime):
    """PASSWORD_RESET_EXPIRES: refused a second after, accepted a second before (log default)."""
    caplog.set_level(logging.INFO, "board_api.mail")
    user = make_user()
    issued = utcnow()
    ask_reset(client, user["email"])
    (mail,) = [record.getMessage() for record in caplog.records if record.name == "board_api.mail"]
    token = token_of(mail)

    monkeypatch.setattr(password_reset, "utcnow", lambda: issued + timedelta(seconds=lifetime + 1))
    late = confirm(client, token)
    monkeypatch.setattr(password_reset, "utcnow", lambda: issued + timedelta(seconds=lifetime - 1))
    in_time = confirm(client, token)

    assert (late.status_code, late.json) == (422, INVALID_TOKEN)
    assert (in_time.status_code, in_time.json) == (200, DONE)


def test_a_newer_request_supersedes_the_older_token(client, smtp, make_user):
    user = make_user()
    ask_reset(client, user["email"])
    ask_reset(client, user["email"])
    first, second = (token_of(mail) for mail in smtp.inbox.wait_for(2))

    assert (confirm(client, first).status_code, confirm(client, first).json) == (422, INVALID_TOKEN)
    assert confirm(client, second).status_code == 200


def test_a_password_change_in_between_voids_the_token(client, smtp, make_user):
    user = make_user()
    ask_reset(client, user["email"])
    token = token_of(smtp.inbox.wait_for(1)[0])
    body = {"password": "changed the usual way", "current_password": PASSWORD}
    assert client.patch(f"/users/{user['id']}", json=body, headers=user["headers"]).status_code == 200

    response = confirm(client, token)

    assert (response.status_code, response.json) == (422, INVALID_TOKEN)
    assert login_status(client, user["username"], "changed the usual way") == 200


def forgeries(real: str, other_user_id: int) -> list[str]:
    user_id, _, random_part = real.partition(".")
    flipped = random_part[:-1] + ("A" if random_part[-1] != "A" else "B")
    return [
        f"{user_id}.{flipped}",  # one character off
        f"{other_user_id}.{random_part}",  # another account
        f"{user_id}.{random_part.swapcase()}",
        f"{user_id}.{random_part[:-1]}",
        f"{user_id}.{random_part}=",
        f"0{user_id}.{random_part}",
        f"0.{random_part}",
        f"{2**63}.{random_part}",
        f"99999999999999999999.{random_part}",
        f"{user_id}.{random_part}\n",
        random_part,
        "x",
        ".",
        "1.\x00" + "A" * 42,
    ]


def test_forged_tokens_are_refused(client, smtp, make_user):
    user, other = make_user(), make_user()
    ask_reset(client, user["email"])
    ask_reset(client, other["email"])
    real = token_of(smtp.inbox.wait_for(2)[0])

    for forged in forgeries(real, other["id"]):
        response = confirm(client, forged)
        assert (response.status_code, response.json) == (422, INVALID_TOKEN), forged
    assert login_status(client, user["username"], PASSWORD) == 200
    assert confirm(client, real).status_code == 200  # forgeries do not spend the real one


def test_the_database_holds_a_keyed_digest_not_the_token(app, client, smtp, make_user):
    user = make_user()
    ask_reset(client, user["email"])
    token = token_of(smtp.inbox.wait_for(1)[0])

    with app.app_context():
        row = db.session.execute(select(User.__table__).where(User.id == user["id"])).one()
    stored = " ".join(str(value) for value in row)
    assert token.partition(".")[2] not in stored
    digest, expires_at = reset_columns(app, user["id"])
    assert len(digest) == 64 and digest != token
    assert timedelta(seconds=1790) < expires_at - utcnow() <= timedelta(seconds=1800)


def test_a_deleted_account_voids_its_token(client, smtp, make_user):
    user = make_user()
    ask_reset(client, user["email"])
    token = token_of(smtp.inbox.wait_for(1)[0])
    assert client.delete(f"/users/{user['id']}", headers=user["headers"]).status_code == 204
    assert (confirm(client, token).status_code, confirm(client, token).json) == (422, INVALID_TOKEN)


def test_unknown_email_gets_the_same_answer_and_no_mail(client, smtp, make_user):
    make_user()
    response = ask_reset(client, "nobody@example.com")
    assert (response.status_code, response.json) == (202, REQUESTED)
    assert smtp.inbox.messages == []


def test_policy_refusal_keeps_the_token_usable(client, smtp, make_user):
    user = make_user()
    ask_reset(client, user["email"])
    token = token_of(smtp.inbox.wait_for(1)[0])

    refused = confirm(client, token, password=f"my {user['username']} pass")

    problems = [
        "The password must not contain the username.",
        "The password must not contain the part of the email address before the @.",
    ]
    assert (refused.status_code, refused.json) == (422, validation_error("json", {"password": problems}))
    assert login_status(client, user["username"], PASSWORD) == 200
    assert confirm(client, token).status_code == 200


def test_of_concurrent_confirmations_one_wins(app, client, smtp, make_user):
    user = make_user()
    ask_reset(client, user["email"])
    token = token_of(smtp.inbox.wait_for(1)[0])
    passwords = [f"winning passphrase {n}" for n in range(8)]
    results: dict[str, tuple[int, object]] = {}
    start = threading.Barrier(len(passwords))

    def attempt(url: str, password: str) -> None:
        start.wait()
        results[password] = post_json(
            f"{url}/auth/password-reset/confirm", {"token": token, "password": password}
        )

    with live_server(app) as url:
        threads = [threading.Thread(target=attempt, args=(url, password)) for password in passwords]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)

    winners = [password for password, (status, _) in results.items() if status == 200]
    assert len(winners) == 1, results
    assert sorted(status for status, _ in results.values()) == [200] + [422] * 7
    assert all(body == INVALID_TOKEN for status, body in results.values() if status == 422)
    assert login_status(client, user["username"], winners[0]) == 200
    assert client.get("/auth/me", headers=bearer(user["access_token"])).status_code == 401
