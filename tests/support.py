"""Helpers shared by the boards, users and query-count tests (plain functions, not fixtures)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, insert

from db import db
from models import Board

VALIDATION_MESSAGE = "The request failed validation; see 'errors' for details."


def create_board(
    client: FlaskClient, user: dict[str, Any], title: str = "A title", content: str = "Text"
) -> dict:
    """POST a board; the new board as a reader without a token sees it (the 201 less its
    `is_mine`: the tests of the 201 itself read the response)."""
    response = client.post("/boards", json={"title": title, "content": content}, headers=user["headers"])
    assert response.status_code == 201, response.json
    return public(response.json)


def public(board: dict[str, Any]) -> dict[str, Any]:
    """A board body as a reader without a token sees it: a write's answer less its `is_mine`
    (which only a reader with a token gets)."""
    return {name: value for name, value in board.items() if name != "is_mine"}


def validation_error(location: str, errors: dict[str, list[str]]) -> dict[str, Any]:
    """The whole 422 body."""
    return {
        "code": 422,
        "status": "Unprocessable Entity",
        "message": VALIDATION_MESSAGE,
        "error": "unprocessable_entity",
        "errors": {location: errors},
    }


def not_found(message: str = "The requested resource was not found.") -> dict[str, Any]:
    return {"code": 404, "status": "Not Found", "message": message, "error": "not_found"}


def pagination(response: Any) -> dict[str, int]:
    return json.loads(response.headers["X-Pagination"])


def seed_boards(app: Flask, author_ids: list[int], count: int, title: str = "Seeded board {n}") -> None:
    """Bulk-insert `count` boards, spread round-robin over the authors, one INSERT in all."""
    start = datetime.now(UTC) - timedelta(days=1)
    rows = [
        {
            "title": title.format(n=n),
            "content": f"Content {n}",
            "author_id": author_ids[n % len(author_ids)],
            "created_at": start + timedelta(seconds=n),
            "updated_at": start + timedelta(seconds=n),
        }
        for n in range(count)
    ]
    with app.app_context():
        db.session.execute(insert(Board), rows)
        db.session.commit()


def board_row(app: Flask, board_id: int) -> tuple[str, str, int, int] | None:
    """(title, content, author_id, version) straight from the database, or None when it is gone."""
    with app.app_context():
        row = db.session.execute(
            db.select(Board.title, Board.content, Board.author_id, Board.version).where(Board.id == board_id)
        ).one_or_none()
        return None if row is None else tuple(row)


@contextmanager
def count_statements(app: Flask) -> Iterator[list[str]]:
    """Every SQL statement the app's engine sends while the block runs."""
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)
