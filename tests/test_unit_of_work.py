"""One unit of work per request: db.transaction() commits what a view did when it returns and
rolls all of it back when it raises; savepoints undo one step alone; after_commit runs only
once the work is durable; a service's refusal becomes the one error shape."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from http import HTTPStatus

import pytest
from flask import Flask
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from db import after_commit, connection, db, keep_on_refusal, savepoint, transaction
from models import RevokedToken
from resources.blueprint import Blueprint
from services.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized

LATER = datetime.now(UTC) + timedelta(days=1)


def insert_key(key: str) -> None:
    connection().execute(insert(RevokedToken).values(jti=key, expires_at=LATER))


def stored(app: Flask) -> set[str]:
    with app.app_context(), db.engine.connect() as other:
        return set(other.execute(select(RevokedToken.jti)).scalars())


def test_a_transaction_commits_core_and_orm_work_together(app):
    with app.app_context(), transaction():
        insert_key("core")
        db.session.add(RevokedToken(jti="orm", expires_at=LATER))
    assert stored(app) == {"core", "orm"}


def test_a_transaction_that_raises_keeps_nothing(app):
    with app.app_context(), pytest.raises(RuntimeError), transaction():
        insert_key("core")
        db.session.add(RevokedToken(jti="orm", expires_at=LATER))
        db.session.flush()
        raise RuntimeError("a bug in the view")
    assert stored(app) == set()


def test_a_savepoint_undoes_its_step_alone(app):
    with app.app_context(), transaction():
        insert_key("kept")
        with pytest.raises(IntegrityError), savepoint():
            insert_key("twice")
            insert_key("twice")
        insert_key("after")
    assert stored(app) == {"kept", "after"}


def test_after_commit_runs_only_once_the_work_is_durable(app):
    seen: list[set[str]] = []
    with app.app_context(), transaction():
        insert_key("job")
        after_commit(lambda: seen.append(stored(app)))
        assert seen == []
    assert seen == [{"job"}]

    with app.app_context(), pytest.raises(RuntimeError), transaction():
        after_commit(lambda: seen.append({"never"}))
        raise RuntimeError
    assert seen == [{"job"}]


@pytest.mark.parametrize(
    ("error", "status", "body"),
    [
        (NotFound("Board 7 not found."), 404, {"error": "not_found", "message": "Board 7 not found."}),
        (Forbidden("Only the owner may."), 403, {"error": "forbidden", "message": "Only the owner may."}),
        (Conflict("Taken.", error="username_taken"), 409, {"error": "username_taken", "message": "Taken."}),
        (
            Invalid("No such comment on this board.", field="parent_id"),
            422,
            {
                "error": "unprocessable_entity",
                "message": "No such comment on this board.",
                "errors": {"json": {"parent_id": ["No such comment on this board."]}},
            },
        ),
    ],
)
def test_a_service_refusal_is_the_one_error_shape_and_rolls_the_request_back(app, error, status, body):
    blp = Blueprint("uow_test", __name__, url_prefix="/uow-test")

    @blp.route("", methods=["POST"])
    def refuse():  # type: ignore[no-untyped-def]
        insert_key("written before the refusal")
        raise error

    app.register_blueprint(blp)
    response = app.test_client().post("/uow-test")
    assert response.status_code == status
    assert response.json == {"code": status, "status": HTTPStatus(status).phrase, **body}
    assert stored(app) == set()


def test_a_view_that_returns_is_committed(app):
    blp = Blueprint("uow_ok", __name__, url_prefix="/uow-ok")

    @blp.route("", methods=["POST"])
    def write():  # type: ignore[no-untyped-def]
        insert_key("written")
        return {"ok": True}

    app.register_blueprint(blp)
    assert app.test_client().post("/uow-ok").status_code == 200
    assert stored(app) == {"written"}


def test_keep_on_refusal_commits_what_a_refusal_leaves_behind(app):
    """A replayed refresh token is refused, and the revocation of its login must stay."""
    seen: list[str] = []
    with app.app_context():
        with pytest.raises(Unauthorized), transaction():
            insert_key("revoked by the refusal")
            keep_on_refusal()
            after_commit(lambda: seen.append("a callback of a request that failed"))
            raise Unauthorized("The token has been revoked.", error="token_revoked")
        assert stored(app) == {"revoked by the refusal"}
        assert seen == []
        # Asked for one unit of work: the next one of the same context rolls back as usual.
        with pytest.raises(RuntimeError), transaction():
            insert_key("never")
            raise RuntimeError
    assert stored(app) == {"revoked by the refusal"}


def test_keep_on_refusal_keeps_nothing_after_a_database_error(app):
    with app.app_context(), pytest.raises(IntegrityError), transaction():
        insert_key("before")
        keep_on_refusal()
        insert_key("before")
    assert stored(app) == set()
