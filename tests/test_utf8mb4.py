"""Korean and emoji text round-trips, stored as real UTF-8 (on MySQL: utf8mb4, 4-byte characters)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from db import db

KOREAN_TITLE = "안녕하세요 게시판 👋🎉"
KOREAN_CONTENT = "한국어 본문입니다. 이모지 😀🚀👩‍💻, 결합 문자 é, 4바이트 한자 𠜎, 음표 𝄞.\n두 번째 줄."


def stored(app: Flask, board_id: int) -> dict[str, Any]:
    """What the database holds, read past the ORM: characters, UTF-8 bytes (hex) and the text."""
    length = "CHAR_LENGTH" if db.engine.dialect.name in ("mysql", "mariadb") else "LENGTH"
    row = db.session.execute(
        text(f"SELECT title, {length}(title) AS chars, HEX(title) AS hex FROM boards WHERE id = :id"),
        {"id": board_id},
    ).one()
    return {"title": row.title, "chars": row.chars, "hex": row.hex.upper()}


@pytest.mark.parametrize(
    ("title", "content"),
    [
        (KOREAN_TITLE, KOREAN_CONTENT),
        ("😀" * 200, "🚀" * 20000),  # the longest allowed: 800 and 80,000 bytes of 4-byte characters
        ("가" * 200, "힣" * 20000),
    ],
    ids=["korean-and-emoji", "longest-emoji", "longest-korean"],
)
def test_board_text_round_trips(app: Flask, client: FlaskClient, make_user, title: str, content: str) -> None:
    author = make_user()
    created = client.post("/boards", json={"title": title, "content": content}, headers=author["headers"])
    assert created.status_code == 201, created.json
    assert (created.json["title"], created.json["content"]) == (title, content)

    read = client.get(f"/boards/{created.json['id']}")
    assert read.status_code == 200
    assert (read.json["title"], read.json["content"]) == (title, content)

    # Not double-encoded: the column holds exactly the UTF-8 bytes of the title, one character each.
    with app.app_context():
        assert stored(app, created.json["id"]) == {
            "title": title,
            "chars": len(title),
            "hex": title.encode().hex().upper(),
        }


def test_korean_and_emoji_titles_are_searchable_and_editable(client: FlaskClient, make_user) -> None:
    author = make_user()
    headers = author["headers"]
    ids = [
        client.post("/boards", json={"title": title}, headers=headers).json["id"]
        for title in (KOREAN_TITLE, "자유 게시판", "plain ascii")
    ]

    def titles(q: str) -> list[str]:
        response = client.get("/boards", query_string={"q": q})
        assert response.status_code == 200
        return [board["title"] for board in response.json]

    assert titles("게시판") == ["자유 게시판", KOREAN_TITLE]
    assert titles("👋") == [KOREAN_TITLE]
    assert titles("🙂") == []

    patched = client.patch(f"/boards/{ids[2]}", json={"title": "수정됨 ✅", "content": "🦄"}, headers=headers)
    assert patched.status_code == 200
    assert client.get(f"/boards/{ids[2]}").json["title"] == "수정됨 ✅"
    assert titles("✅") == ["수정됨 ✅"]
