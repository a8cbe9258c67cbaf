"""One connection per app context (db.connection), shared by Core statements and db.session.

What a request's Core statements and its ORM work do is committed or rolled back together, by
`db.session.commit()` / `rollback()`, and whatever is left uncommitted when the context ends is
rolled back, its connection back in the pool. A request that needs no ORM builds no Session.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask, g
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from db import RequestSession, commit, connection, db, rollback
from models import RevokedToken
from ops.mailer import outbox
from services import password_reset
from tests.conftest import PASSWORD, make_app

LATER = datetime.now(UTC) + timedelta(days=1)


def insert_core(key: str) -> None:
    connection().execute(insert(RevokedToken).values(jti=key, expires_at=LATER))


def stored_elsewhere(app: Flask) -> set[str]:
    """The keys another connection sees: what was committed."""
    with app.app_context(), db.engine.connect() as other:
        return set(other.execute(select(RevokedToken.jti)).scalars())


def test_session_commit_commits_core_statements(app):
    with app.app_context():
        insert_core("core")
        db.session.commit()
    assert stored_elsewhere(app) == {"core"}


def test_session_rollback_rolls_core_statements_back(app):
    with app.app_context():
        insert_core("core")
        db.session.rollback()
        assert connection().execute(select(func.count()).select_from(RevokedToken)).scalar() == 0
    assert stored_elsewhere(app) == set()


def test_core_and_orm_work_share_one_transaction(app):
    with app.app_context():
        assert db.session.connection() is connection()
        db.session.add(RevokedToken(jti="orm", expires_at=LATER))
        db.session.flush()
        insert_core("core")
        # Each sees the other's uncommitted row: one connection, one transaction.
        seen = set(connection().execute(select(RevokedToken.jti)).scalars())
        assert seen == {"orm", "core"}
        db.session.rollback()
        assert stored_elsewhere(app) == set()
        db.session.add(RevokedToken(jti="orm", expires_at=LATER))
        insert_core("core")
        db.session.commit()
    assert stored_elsewhere(app) == {"orm", "core"}


def test_work_goes_on_after_a_commit(app):
    with app.app_context():
        insert_core("first")
        db.session.commit()
        insert_core("second")  # a new transaction on the same connection
        db.session.add(RevokedToken(jti="third", expires_at=LATER))
        db.session.commit()
        insert_core("never")
    assert stored_elsewhere(app) == {"first", "second", "third"}


def test_uncommitted_work_is_rolled_back_and_the_connection_returned(app):
    with app.app_context():
        insert_core("core")
        db.session.add(RevokedToken(jti="orm", expires_at=LATER))
        db.session.flush()
        pool = db.engine.pool
        assert pool.checkedout() == 1
    assert pool.checkedout() == 0
    assert stored_elsewhere(app) == set()


def test_requests_return_their_connection(client, make_user, app):
    user = make_user()
    assert client.get("/auth/me", headers=user["headers"]).status_code == 200
    assert (
        client.post("/boards", json={"title": "T", "content": "C"}, headers=user["headers"]).status_code
        == 201
    )
    assert client.get("/boards/999999").status_code == 404
    with app.app_context():
        assert db.engine.pool.checkedout() == 0


def test_a_request_without_orm_work_builds_no_session(client, make_user, app):
    user = make_user()
    board = client.post("/boards", json={"title": "T", "content": "C"}, headers=user["headers"]).json
    reads = [
        ("/auth/me", user["headers"]),
        ("/boards?page_size=20", user["headers"]),
        (f"/boards/{board['id']}", {}),
        (f"/boards/{board['id']}/comments", {}),
    ]
    for path, headers in reads:
        with app.app_context():  # the request runs in this context: its session would stay
            assert client.get(path, headers=headers).status_code == 200
            assert not db.session.registry.has(), path


def test_commit_and_rollback_without_a_session(app):
    with app.app_context():
        insert_core("kept")
        commit()
        insert_core("dropped")
        rollback()
        assert not db.session.registry.has()  # neither built one
        insert_core("after")
        commit()
    assert stored_elsewhere(app) == {"kept", "after"}


def test_commit_of_nothing_takes_no_connection(app):
    with app.app_context():
        commit()
        rollback()
        assert db.engine.pool.checkedout() == 0
        assert g.get("_board_api_connection") is None


def test_a_failed_flush_then_rollback_leaves_later_work_to_commit(app):
    with app.app_context():
        db.session.add(RevokedToken(jti="taken", expires_at=LATER))
        commit()
        insert_core("lost")
        db.session.add(RevokedToken(jti="taken", expires_at=LATER))
        with pytest.raises(IntegrityError):
            db.session.flush()
        rollback()
        insert_core("core")
        commit()
    assert stored_elsewhere(app) == {"taken", "core"}


def test_a_session_transaction_block_commits_core_statements(app):
    with app.app_context(), db.session.begin():
        insert_core("core")
    assert stored_elsewhere(app) == {"core"}


def test_a_savepoint_holds_the_core_statements_after_it(app):
    with app.app_context():
        insert_core("outer")
        savepoint = db.session.begin_nested()
        insert_core("inner")
        savepoint.rollback()
        assert set(connection().execute(select(RevokedToken.jti)).scalars()) == {"outer"}
        commit()
    assert stored_elsewhere(app) == {"outer"}


def test_a_failing_session_close_still_returns_the_connection(app, monkeypatch):
    with app.app_context():
        pool = db.engine.pool

    def failing_close(self) -> None:
        raise RuntimeError("close failed")

    with pytest.raises(RuntimeError, match="close failed"), app.app_context():
        db.session.add(RevokedToken(jti="orm", expires_at=LATER))
        db.session.flush()
        insert_core("core")
        monkeypatch.setattr(RequestSession, "close", failing_close)
    monkeypatch.undo()
    assert pool.checkedout() == 0
    assert stored_elsewhere(app) == set()
    with app.app_context():  # the next context starts afresh, and writes (no lock left behind)
        assert not db.session.registry.has()
        insert_core("next")
        commit()
    assert stored_elsewhere(app) == {"next"}


def test_a_failing_request_and_a_cli_command_return_their_connection(database_url):
    app = make_app(database_url, TESTING=False)

    @app.get("/boom")
    def boom():
        insert_core("never")
        raise RuntimeError("boom")

    with app.app_context():
        db.create_all()
        pool = db.engine.pool
    assert app.test_client().get("/boom").status_code == 500
    assert pool.checkedout() == 0
    assert stored_elsewhere(app) == set()

    account = {"username": "carl", "email": "carl@example.com", "password": PASSWORD}
    assert app.test_client().post("/auth/register", json=account).status_code == 201
    result = app.test_cli_runner().invoke(args=["users", "make-admin", "carl"])
    assert result.exit_code == 0, result.output
    assert pool.checkedout() == 0


def test_the_reset_mail_is_sent_with_the_connection_back_in_the_pool(app, client, make_user, monkeypatch):
    user = make_user()
    with app.app_context():
        pool = db.engine.pool
    checked_out_while_sending: list[int] = []
    monkeypatch.setattr(
        password_reset, "send_or_log", lambda message: checked_out_while_sending.append(pool.checkedout())
    )

    assert client.post("/auth/password-reset", json={"email": user["email"]}).status_code == 202
    outbox.wait_idle()

    assert checked_out_while_sending == [0]
