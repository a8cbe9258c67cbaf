"""One connection per app context (db.connection), shared by Core statements and db.session.

What a request's Core statements and its ORM work do is committed or rolled back together, by
`db.session.commit()` / `rollback()`, and whatever is left uncommitted when the context ends is
rolled back, its connection back in the pool. A request that needs no ORM builds no Session.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy import func, insert, select

from db import connection, db
from models import RevokedToken

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
