"""`flask seed`: bulk demo data."""

from __future__ import annotations

import re

from db import db
from models import Board, User
from tests.conftest import bearer

SEEDED = re.compile(
    r"Seeded (\d+) users(?: \((\S+) \.\. (\S+), password '([^']*)'\))? and (\d+) boards in [\d.]+ s\.\n"
)


def seed(app, *args: str):
    return app.test_cli_runner().invoke(args=["seed", *args])


def test_seed_makes_users_and_boards_spread_over_them(app, client):
    result = seed(app, "--users", "3", "--boards", "10")

    assert result.exit_code == 0, result.output
    assert SEEDED.fullmatch(result.output).groups() == ("3", "seed_1", "seed_3", "seed-password", "10")
    with app.app_context():
        users = db.session.scalars(db.select(User).order_by(User.id)).all()
        boards = db.session.scalars(db.select(Board).order_by(Board.id)).all()
    assert [(u.username, u.email) for u in users] == [
        (f"seed_{n}", f"seed_{n}@example.com") for n in (1, 2, 3)
    ]
    assert [b.author_id for b in boards] == [users[i % 3].id for i in range(10)]
    assert [b.title for b in boards][:2] == ["Seed board 0: apple", "Seed board 1: banana"]
    # Oldest first: newest-first by id and by creation time agree.
    assert [b.created_at for b in boards] == sorted(b.created_at for b in boards)
    assert client.get("/boards").headers["X-Pagination"].startswith('{"total": 10,')

    # Every seeded user logs in with the shared password, and may post.
    login = client.post("/auth/login", json={"username": "seed_2", "password": "seed-password"})
    assert login.status_code == 200
    post = client.post("/boards", json={"title": "mine"}, headers=bearer(login.json["access_token"]))
    assert post.status_code == 201


def test_seeding_again_continues_the_names_and_skips_taken_ones(app, register):
    assert seed(app, "--users", "2").exit_code == 0
    register("Seed_7")  # a person took a name in the seed range

    result = seed(app, "--users", "2", "--boards", "1")

    assert SEEDED.fullmatch(result.output).groups()[:3] == ("2", "seed_8", "seed_9")
    with app.app_context():
        names = db.session.scalars(db.select(User.username).order_by(User.id)).all()
    assert names == ["seed_1", "seed_2", "Seed_7", "seed_8", "seed_9"]


def test_boards_alone_go_to_the_existing_users(app, register):
    alice = register("alice")

    result = seed(app, "--boards", "4")

    assert SEEDED.fullmatch(result.output).groups() == ("0", None, None, None, "4")
    with app.app_context():
        authors = db.session.scalars(db.select(Board.author_id)).all()
    assert authors == [alice["id"]] * 4


def test_boards_need_someone_to_write_them(app):
    result = seed(app, "--boards", "4")

    assert result.exit_code == 1
    assert result.output == "Error: There are no users to write the boards: pass --users too.\n"
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Board)) == 0


def test_seed_refuses_negative_counts(app):
    result = seed(app, "--users", "-1")
    assert result.exit_code == 2
    assert "Invalid value for '--users'" in result.output
