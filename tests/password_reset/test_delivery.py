"""How the reset mail leaves: after the answer, in the same time for a known and an unknown
address; to the log without MAIL_SERVER; an SMTP outage logged, the answer still 202; under
gunicorn's sync workers."""

from __future__ import annotations

import functools
import json
import logging
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import event, update
from sqlalchemy.exc import OperationalError

from app import Config
from db import db
from models import User
from ops.mailer import Outbox, outbox
from services import password_reset
from tests.conftest import PASSWORD, TEST_SECRET, make_app
from tests.password_reset.support import DONE, REQUESTED, ask_reset, confirm, link_of, token_of
from tests.servers import ROOT, free_port, gunicorn, http
from tests.smtp_server import mail_config

MAIL_LOGGER = "board_api.mail"
SUBJECT = "Reset your Board API password"


def test_the_defaults_and_settings_are_read_from_the_environment():
    default = Config.from_env({})
    assert (default["PASSWORD_RESET_EXPIRES"], default["PASSWORD_RESET_URL"]) == (
        1800,
        "http://127.0.0.1:5000/reset-password",
    )
    assert (default["MAIL_SERVER"], default["MAIL_PORT"], default["MAIL_USE_TLS"]) == (None, 25, False)
    assert Config.from_env({"PORT": "8080"})["PASSWORD_RESET_URL"] == "http://127.0.0.1:8080/reset-password"
    env = {
        "PASSWORD_RESET_EXPIRES": "600",
        "PASSWORD_RESET_URL": "https://board.example/reset",
        "MAIL_SERVER": "smtp.example",
        "MAIL_PORT": "465",
        "MAIL_USE_TLS": "false",
        "MAIL_USE_SSL": "true",
        "MAIL_USERNAME": "board",
        "MAIL_PASSWORD": "secret",
        "MAIL_DEFAULT_SENDER": "Board <board@example.com>",
    }
    config = Config.from_env(env)
    assert {key: config[key] for key in env} == {
        **env,
        "PASSWORD_RESET_EXPIRES": 600,
        "MAIL_PORT": 465,
        "MAIL_USE_TLS": False,
        "MAIL_USE_SSL": True,
    }


@pytest.mark.parametrize("app_config", [{}])
def test_without_mail_server_the_whole_message_goes_to_the_log(client, make_user, caplog, capsys):
    caplog.set_level(logging.INFO, MAIL_LOGGER)
    user = make_user()

    assert ask_reset(client, user["email"]).json == REQUESTED

    (record,) = [r for r in caplog.records if r.name == MAIL_LOGGER]
    text = record.getMessage()
    assert record.levelname == "INFO"
    assert text.startswith("MAIL_SERVER is not set: this mail is logged, not sent.\n")
    assert f"Subject: {SUBJECT}\n" in text and f"To: {user['email']}\n" in text
    default_url = Config.from_env({})["PASSWORD_RESET_URL"]
    assert link_of(text).startswith(f"{default_url}?token={user['id']}.")
    # What `make run` shows: the service's stderr.
    assert link_of(text) in capsys.readouterr().err
    assert confirm(client, token_of(text)).json == DONE


@pytest.mark.parametrize("app_config", [{"APP_ENV": "production"}])
def test_in_production_the_log_never_holds_a_working_link(client, make_user, caplog):
    caplog.set_level(logging.INFO, MAIL_LOGGER)
    user = make_user()

    assert ask_reset(client, user["email"]).status_code == 202

    messages = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == MAIL_LOGGER]
    assert messages == [
        ("ERROR", f"MAIL_SERVER is not set: mail '{SUBJECT}' to ['{user['email']}'] not sent")
    ]


@pytest.fixture
def dead_port() -> int:
    return free_port()  # nothing listens there


@pytest.fixture
def app_config(request, smtp, dead_port):
    if getattr(request, "param", None) == "down":
        return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": dead_port}
    return mail_config(smtp)


@pytest.mark.parametrize("app_config", ["down"], indirect=True)
def test_an_smtp_outage_is_logged_and_the_answer_is_still_202(client, make_user, caplog):
    caplog.set_level(logging.INFO, MAIL_LOGGER)
    first, second = make_user(), make_user()

    responses = [ask_reset(client, first["email"]), ask_reset(client, second["email"])]

    assert [(r.status_code, r.json) for r in responses] == [(202, REQUESTED)] * 2
    failures = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == MAIL_LOGGER]
    # Both logged: the outbox thread goes on after a failure.
    assert [level for level, _ in failures] == ["ERROR", "ERROR"]
    for (_, message), user in zip(failures, (first, second), strict=True):
        assert message.startswith(f"mail '{SUBJECT}' to ['{user['email']}'] not sent: ")
        assert "Connection refused" in message


def test_known_and_unknown_addresses_answer_in_the_same_time(client, smtp, make_user):
    """The known address costs a lookup, a token and an SMTP exchange; none of it in the answer."""
    user = make_user()
    timings: dict[str, list[float]] = {"known": [], "unknown": []}
    emails = {"known": user["email"], "unknown": "nobody@example.com"}
    for attempt in range(12):
        for kind in ("known", "unknown") if attempt % 2 else ("unknown", "known"):
            started = time.perf_counter()
            response = client.post("/auth/password-reset", json={"email": emails[kind]})
            elapsed = time.perf_counter() - started
            outbox.wait_idle()
            assert response.status_code == 202
            if attempt >= 2:  # the first two warm the caches up
                timings[kind].append(elapsed)

    known, unknown = (statistics.median(timings[kind]) for kind in ("known", "unknown"))
    assert max(known, unknown) / min(known, unknown) < 2, timings
    assert len(smtp.inbox.wait_for(12)) == 12  # the known address did get every mail


@pytest.mark.slow
def test_under_gunicorn_sync_workers_the_mail_goes_after_the_answer(app, database_url, smtp, tmp_path: Path):
    env = {
        "DATABASE_URL": database_url,
        "JWT_SECRET_KEY": TEST_SECRET,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp.port),
        "PASSWORD_RESET_RATE_LIMIT": "1000 per hour",
    }
    with gunicorn(env, tmp_path / "gunicorn.log", workers=2) as url:
        account = {"username": "gunny", "email": "gunny@example.com", "password": PASSWORD}
        assert http("POST", url + "/auth/register", json.dumps(account))[0] == 201
        for sent in range(1, 7):  # spread over both workers
            status, body = http(
                "POST", url + "/auth/password-reset", json.dumps({"email": "GUNNY@example.com"})
            )
            assert (status, json.loads(body)) == (202, REQUESTED)
            mails = smtp.inbox.wait_for(sent, timeout=30)
        # The newest token wins, whichever worker made it.
        status, body = http(
            "POST",
            url + "/auth/password-reset/confirm",
            json.dumps({"token": token_of(mails[-1]), "password": "reset under gunicorn"}),
        )
        assert (status, json.loads(body)) == (200, DONE)
    assert "outbox job" not in (tmp_path / "gunicorn.log").read_text()


def test_a_database_outage_is_logged_and_the_answer_is_still_202(tmp_path, smtp, caplog):
    unreachable = make_app(f"sqlite:///{tmp_path / 'no-such-folder' / 'board.db'}", MAIL_SERVER="127.0.0.1")
    response = unreachable.test_client().post("/auth/password-reset", json={"email": "alice@example.com"})
    outbox.wait_idle()

    assert (response.status_code, response.json) == (202, REQUESTED)
    (failure,) = [r for r in caplog.records if r.name == MAIL_LOGGER]
    assert (failure.levelname, failure.getMessage()) == (
        "ERROR",
        "outbox job send_reset_link failed: OperationalError: (sqlite3.OperationalError) unable to"
        " open database file",
    )
    assert isinstance(failure.exc_info[1], OperationalError)  # the traceback is in the log too
    assert smtp.inbox.messages == []


def test_a_failed_job_is_logged_with_its_cause_and_the_next_job_runs(app, smtp, make_user, caplog):
    def broken() -> None:
        raise RuntimeError("the template is missing\nsecond line")

    def leaving() -> None:
        raise SystemExit(3)  # would end the thread without a word if it were not caught

    user = make_user()
    # An outbox of this test's own: were its thread to die, this test would fail on the mail's
    # timeout instead of the whole run hanging in wait_idle().
    box = Outbox()
    box.submit(app, broken)
    box.submit(app, leaving)
    box.submit(app, functools.partial(password_reset.send_reset_link, user["email"]))

    (mail,) = smtp.inbox.wait_for(1)
    assert mail["To"] == user["email"]
    box.wait_idle()
    failures = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == MAIL_LOGGER]
    assert failures == [
        ("ERROR", f"outbox job {broken.__qualname__} failed: RuntimeError: the template is missing"),
        ("ERROR", f"outbox job {leaving.__qualname__} failed: SystemExit: 3"),
    ]


NON_ASCII = "\uff42\uff4f\uff42@example.com"  # "bob" in full-width letters


def test_a_stored_non_ascii_address_is_logged_and_the_next_job_runs(app, client, smtp, make_user, caplog):
    """A row stored before such addresses were refused: its mail cannot go (Flask-Mail fails on
    it), which is logged with the reason; the outbox goes on."""
    user = make_user()
    with app.app_context():
        db.session.execute(update(User).where(User.id == user["id"]).values(email=NON_ASCII))
        db.session.commit()

    outbox.submit(app, functools.partial(password_reset.send_reset_link, NON_ASCII))
    assert ask_reset(client, "nobody@example.com").status_code == 202
    other = make_user()
    assert ask_reset(client, other["email"]).status_code == 202

    (mail,) = smtp.inbox.wait_for(1)
    assert mail["To"] == other["email"]
    failures = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == MAIL_LOGGER]
    assert failures == [
        (
            "ERROR",
            f"mail '{SUBJECT}' to ['{NON_ASCII}'] not sent: {NON_ASCII} has non-ASCII characters,"
            " which this service does not send to (the account needs a new email address)",
        )
    ]
    # Nobody asks for it by that address any more: the address itself is refused.
    refused = client.post("/auth/password-reset", json={"email": NON_ASCII})
    assert refused.status_code == 422


def test_the_request_itself_sends_no_sql(app, client, smtp, make_user):
    """The proof that known and unknown addresses cost the request the same: it does no database
    work at all; the outbox thread does the lookup and writes the token (two statements)."""
    user = make_user()
    by_thread: list[tuple[int, str]] = []

    def record(conn, cursor, statement, *args):
        by_thread.append((threading.get_ident(), statement.split()[0]))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        for email in (user["email"], "nobody@example.com"):
            assert client.post("/auth/password-reset", json={"email": email}).status_code == 202
            outbox.wait_idle()
    finally:
        event.remove(engine, "before_cursor_execute", record)

    request_thread = threading.get_ident()
    assert [verb for thread, verb in by_thread if thread == request_thread] == []
    # Known: the lookup and the new digest; unknown: the lookup alone.
    assert [verb for thread, verb in by_thread if thread != request_thread] == ["SELECT", "UPDATE", "SELECT"]
    assert len(smtp.inbox.wait_for(1)) == 1


def test_queued_mail_is_sent_before_the_process_exits(tmp_path):
    """A worker recycled or stopped gives its queued jobs a few seconds (mailer's atexit drain)."""
    done = tmp_path / "done"
    script = f"""
import time
from flask import Flask
from ops.mailer import Outbox, outbox
from models import User

def job():
    time.sleep(0.5)
    open({str(done)!r}, "w").write("sent")

outbox.submit(Flask("drain"), job)
"""
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert done.read_text() == "sent"
