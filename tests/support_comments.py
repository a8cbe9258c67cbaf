"""Helpers for the comment tests (plain functions, not fixtures)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from db import db
from models import Board, Comment


def post_comment(
    client: FlaskClient,
    user: dict[str, Any],
    board_id: int,
    content: str = "A comment",
    parent_id: int | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"content": content}
    if parent_id is not None:
        body["parent_id"] = parent_id
    response = client.post(f"/boards/{board_id}/comments", json=body, headers=user["headers"])
    assert response.status_code == 201, response.json
    return response.json


def delete_comment(client: FlaskClient, user: dict[str, Any], comment_id: int) -> None:
    response = client.delete(f"/comments/{comment_id}", headers=user["headers"])
    assert response.status_code == 204, response.json


def comment_count(client: FlaskClient, board_id: int) -> int:
    response = client.get(f"/boards/{board_id}")
    assert response.status_code == 200, response.json
    return response.json["comment_count"]


def counts_in_database(app: Flask) -> dict[str, dict[int, tuple[int, int]]]:
    """Every stored counter beside a COUNT(*) of what it counts: the two are equal when exact."""
    reply = aliased(Comment)
    visible = (
        select(func.count())
        .select_from(Comment)
        .where(Comment.board_id == Board.id, Comment.deleted.is_(False))
        .scalar_subquery()
    )
    replies = select(func.count()).select_from(reply).where(reply.parent_id == Comment.id).scalar_subquery()
    with app.app_context():
        boards = db.session.execute(select(Board.id, Board.comment_count, visible)).all()
        threads = db.session.execute(
            select(Comment.id, Comment.reply_count, replies).where(Comment.parent_id.is_(None))
        ).all()
    return {
        "boards": {row[0]: (row[1], row[2]) for row in boards},
        "replies": {row[0]: (row[1], row[2]) for row in threads},
    }


def assert_counts_exact(app: Flask) -> None:
    counts = counts_in_database(app)
    for kind, pairs in counts.items():
        for row_id, (stored, actual) in pairs.items():
            assert stored == actual, (kind, row_id, stored, actual)


def stored_comments(app: Flask) -> list[tuple[int, int | None, int | None, str, bool]]:
    """(id, parent_id, author_id, content, deleted) of every stored comment, by id."""
    with app.app_context():
        rows = db.session.execute(
            select(
                Comment.id, Comment.parent_id, Comment.author_id, Comment.content, Comment.deleted
            ).order_by(Comment.id)
        ).all()
        return [tuple(row) for row in rows]
