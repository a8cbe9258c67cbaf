"""Helpers for the moderation tests (plain functions, not fixtures)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from db import db
from models import Board, Comment, Forum, ModerationCase, Report, TableCount, User


def report(
    client: FlaskClient, user: dict[str, Any], kind: str, item_id: int, reason: str = "spam", detail: str = ""
) -> Any:
    """POST /boards/<id>/reports or /comments/<id>/reports (kind: "board" or "comment")."""
    body = {"reason": reason, "detail": detail}
    return client.post(f"/{kind}s/{item_id}/reports", json=body, headers=user["headers"])


def act(client: FlaskClient, admin: dict[str, Any], case_id: int, action: str) -> Any:
    return client.patch(f"/moderation/cases/{case_id}", json={"action": action}, headers=admin["headers"])


def hidden(app: Flask, kind: str, item_id: int) -> bool | None:
    """The item's stored `hidden` flag; None when it is gone."""
    model = Board if kind == "board" else Comment
    with app.app_context():
        return db.session.scalar(select(model.hidden).where(model.id == item_id))


def stored_cases(app: Flask) -> list[tuple[str, int, str, int, int]]:
    """(target_type, target_id, status, report_count, pending_count) of every case, by id."""
    with app.app_context():
        rows = db.session.execute(
            select(
                ModerationCase.target_type,
                ModerationCase.target_id,
                ModerationCase.status,
                ModerationCase.report_count,
                ModerationCase.pending_count,
            ).order_by(ModerationCase.id)
        ).all()
        return [tuple(row) for row in rows]


def case_id_of(app: Flask, kind: str, item_id: int) -> int:
    """The id of the item's case (ids are not dense on MariaDB: a refused insert burns one)."""
    with app.app_context():
        return db.session.scalar(
            select(ModerationCase.id).where(
                ModerationCase.target_type == kind, ModerationCase.target_id == item_id
            )
        )


def report_rows(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Report))


def visible_counts(app: Flask) -> dict[str, Any]:
    """Every counter that leaves hidden items out, beside a COUNT(*) of what it should count:
    the two are equal when the counts are exact.

    - table_counts' boards, forums.board_count: visible boards; users.board_count: visible boards
      that are not anonymous;
    - boards.comment_count: comments that are not placeholders, not hidden, and not under a
      hidden parent;
    - comments.reply_count: replies that are not hidden.
    """
    parent = aliased(Comment)
    reply = aliased(Comment)
    counted_comments = (
        select(func.count())
        .select_from(Comment)
        .outerjoin(parent, parent.id == Comment.parent_id)
        .where(
            Comment.board_id == Board.id,
            Comment.deleted.is_(False),
            Comment.hidden.is_(False),
            (parent.id.is_(None)) | (parent.hidden.is_(False)),
        )
        .scalar_subquery()
    )
    visible_replies = (
        select(func.count())
        .select_from(reply)
        .where(reply.parent_id == Comment.id, reply.hidden.is_(False))
        .scalar_subquery()
    )
    own_boards = (
        select(func.count())
        .select_from(Board)
        .where(Board.author_id == User.id, Board.hidden.is_(False), Board.anonymous.is_(False))
        .scalar_subquery()
    )
    forum_boards = (
        select(func.count())
        .select_from(Board)
        .where(Board.forum_id == Forum.id, Board.hidden.is_(False))
        .scalar_subquery()
    )
    with app.app_context():
        session = db.session
        return {
            "boards": (
                session.scalar(select(TableCount.row_count).where(TableCount.table_name == "boards")),
                session.scalar(select(func.count()).select_from(Board).where(Board.hidden.is_(False))),
            ),
            "authors": {
                row[0]: (row[1], row[2])
                for row in session.execute(select(User.id, User.board_count, own_boards))
            },
            "forums": {
                row[0]: (row[1], row[2])
                for row in session.execute(select(Forum.id, Forum.board_count, forum_boards))
            },
            "comment_counts": {
                row[0]: (row[1], row[2])
                for row in session.execute(select(Board.id, Board.comment_count, counted_comments))
            },
            "reply_counts": {
                row[0]: (row[1], row[2])
                for row in session.execute(
                    select(Comment.id, Comment.reply_count, visible_replies).where(
                        Comment.parent_id.is_(None)
                    )
                )
            },
        }


def assert_visible_counts_exact(app: Flask) -> None:
    counts = visible_counts(app)
    stored, actual = counts.pop("boards")
    assert stored == actual, ("boards", stored, actual)
    for kind, pairs in counts.items():
        for row_id, (stored, actual) in pairs.items():
            assert stored == actual, (kind, row_id, stored, actual)


def board_counters(app: Flask, board_id: int, author_id: int) -> dict[str, int]:
    """What the board's hiding moves: the visible boards, its author's, its comment count."""
    with app.app_context():
        session = db.session
        return {
            "boards": session.scalar(select(TableCount.row_count).where(TableCount.table_name == "boards")),
            "author_boards": session.scalar(select(User.board_count).where(User.id == author_id)),
            "comment_count": session.scalar(select(Board.comment_count).where(Board.id == board_id)),
        }
