"""Helpers shared by the message tests (plain functions, not fixtures)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from db import db
from models import Message, User


def send(
    client: FlaskClient, sender: dict[str, Any], recipient: dict[str, Any], content: str = "Hello"
) -> dict:
    response = client.post(
        "/messages", json={"recipient_id": recipient["id"], "content": content}, headers=sender["headers"]
    )
    assert response.status_code == 201, response.json
    return response.json


def unread_of(app: Flask, user_id: int) -> int:
    """users.unread_messages straight from the database."""
    with app.app_context():
        return db.session.scalar(db.select(User.unread_messages).where(User.id == user_id))


def unread_counted(app: Flask, user_id: int) -> int:
    """What the counter must equal: the user's unread received messages that they still keep."""
    with app.app_context():
        return db.session.scalar(
            db.select(db.func.count())
            .select_from(Message)
            .where(Message.recipient_id == user_id, Message.read_at.is_(None), ~Message.recipient_deleted)
        )


def message_row(app: Flask, message_id: int) -> dict[str, Any] | None:
    """The stored row as a dict, or None once it is gone."""
    with app.app_context():
        row = db.session.execute(
            db.select(
                Message.sender_id,
                Message.recipient_id,
                Message.sender_deleted,
                Message.recipient_deleted,
                Message.read_at,
            ).where(Message.id == message_id)
        ).one_or_none()
    return None if row is None else row._asdict()
