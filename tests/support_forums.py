"""Helpers for the forum and anonymity tests (plain functions, not fixtures)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import insert, select

from db import db
from models import Board, Forum
from tests.servers import http, live_server

GENERAL = 1


def create_forum(
    client: FlaskClient, admin: dict[str, Any], name: str, category: str = "clubs", **fields: Any
) -> dict[str, Any]:
    response = client.post(
        "/forums", json={"name": name, "category": category, **fields}, headers=admin["headers"]
    )
    assert response.status_code == 201, response.json
    return response.json


def pin(client: FlaskClient, user: dict[str, Any], forum_id: int, on: bool = True) -> Any:
    return client.open(f"/forums/{forum_id}/pin", method="PUT" if on else "DELETE", headers=user["headers"])


def pinned_names(client: FlaskClient, user: dict[str, Any]) -> list[str]:
    response = client.get("/users/me/forums?page_size=100", headers=user["headers"])
    assert response.status_code == 200, response.json
    return [forum["name"] for forum in response.json]


def board_count(client: FlaskClient, forum_id: int) -> int:
    response = client.get(f"/forums/{forum_id}")
    assert response.status_code == 200, response.json
    return response.json["board_count"]


def stored_board_counts(app: Flask) -> dict[int, tuple[int, int]]:
    """(forums.board_count, COUNT(*) of its boards) of every forum: equal when the counter is exact."""
    with app.app_context():
        boards = select(db.func.count()).where(Board.forum_id == Forum.id).scalar_subquery()
        rows = db.session.execute(select(Forum.id, Forum.board_count, boards)).all()
        return {row[0]: (row[1], row[2]) for row in rows}


def insert_board(
    app: Flask, author_id: int, forum_id: int = GENERAL, *, anonymous: bool = False, title: str = "Inserted"
) -> int:
    """A board written straight to the database (as an operator's SQL or `flask seed` would);
    its id. Until POST /boards takes `forum_id`, the only way to fill another forum."""
    now = datetime.now(UTC)
    values = {"title": title, "content": "", "author_id": author_id, "forum_id": forum_id}
    values |= {"anonymous": anonymous, "created_at": now, "updated_at": now, "version": 1}
    with app.app_context():
        board_id = db.session.execute(insert(Board).values(values)).inserted_primary_key[0]
        db.session.commit()
    return board_id


def race(app: Flask, requests: list[Callable[[str], tuple[int, str]]]) -> list[tuple[int, Any]]:
    """Each request (given the server's base URL) sent at once over real HTTP, from its own
    thread, to a threaded server; (status, decoded body) each."""
    barrier = threading.Barrier(len(requests))

    def send(request: Callable[[str], tuple[int, str]]) -> tuple[int, Any]:
        barrier.wait(timeout=30)
        status, text = request(base_url)
        return status, json.loads(text) if text else None

    with live_server(app) as base_url, ThreadPoolExecutor(len(requests)) as pool:
        return list(pool.map(send, requests))


def request(
    method: str, path: str, body: dict[str, Any] | None = None, token: str | None = None
) -> Callable[[str], tuple[int, str]]:
    """A request for `race`."""
    return lambda base_url: http(
        method, base_url + path, json.dumps(body) if body is not None else None, token
    )
