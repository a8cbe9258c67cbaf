"""16 simultaneous registrations of one username (or of one email): exactly one 201, fifteen 409
naming the field, never a 500.

Real concurrency: the app is served over HTTP by a threaded server, 16 client threads released at
once by a barrier, each request in its own server thread with its own database connection. On
MariaDB (make test-mysql) and on SQLite alike.
"""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from flask import Flask
from sqlalchemy import event

from db import db
from models import User
from tests.conftest import PASSWORD, error
from tests.servers import live_server, post_json

CLIENTS = 16
TAKEN = error(409, "username_taken", "That username is already taken.")
EMAIL_TAKEN = error(409, "email_taken", "That email is already taken.")


ROUNDS = 3  # how often the race may be run for one to reach the unique index


def race(app: Flask, name: str, *, same_email: bool = False) -> list[tuple[int, Any]]:
    """CLIENTS registrations of `name` (in two spellings), released at once over real HTTP; or,
    `same_email`, of one email (in two spellings) under CLIENTS usernames."""
    barrier = threading.Barrier(CLIENTS)

    def register(i: int) -> tuple[int, Any]:
        if same_email:  # each with its own username: only the email can clash
            email = f"{name.upper() if i % 2 else name}@example.com"
            body = {"username": f"{name}{i}", "email": email, "password": PASSWORD}
        else:  # one name in different cases, each with its own email: only the username can clash
            username = name.upper() if i % 2 else name.capitalize()
            body = {"username": username, "email": f"{name}{i}@example.com", "password": PASSWORD}
        barrier.wait(timeout=30)
        return post_json(f"{base_url}/auth/register", body)

    with live_server(app) as base_url, ThreadPoolExecutor(CLIENTS) as pool:
        return list(pool.map(register, range(CLIENTS)))


def test_sixteen_simultaneous_registrations_of_one_username(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
    unique_violations = []
    count_violation = lambda context: unique_violations.append(context.original_exception)  # noqa: E731
    event.listen(engine, "handle_error", count_violation)
    winners = []
    try:
        # Every round must be right. The rounds repeat (rarely) only until one of them has shown
        # that requests got past the pre-check and were stopped by the unique index (measured:
        # 14 of 15 on MariaDB and on SQLite), not only by the friendly pre-check.
        for round_ in range(ROUNDS):
            results = race(app, f"racer{round_}")
            statuses = Counter(status for status, _ in results)
            assert statuses == {201: 1, 409: CLIENTS - 1}, results
            # Whether the pre-check or the unique index stopped it, a loser hears the same answer.
            assert all(body == TAKEN for status, body in results if status == 409), results
            winners.append(next(body for status, body in results if status == 201))
            assert winners[-1]["username"] in (f"Racer{round_}", f"RACER{round_}")
            if unique_violations:
                break
    finally:
        event.remove(engine, "handle_error", count_violation)
    assert unique_violations, f"in {ROUNDS} rounds, no request reached the unique index"

    with app.app_context():
        users = db.session.execute(db.select(User.username_lower, User.email).order_by(User.id)).all()
        assert [tuple(u) for u in users] == [(w["username"].lower(), w["email"]) for w in winners]


def test_sixteen_simultaneous_registrations_of_one_email(app: Flask) -> None:
    """The losers that got past the pre-check hear which field clashed: the winner's row is read
    again after the clash, where MariaDB's plain reads would still see the request's snapshot."""
    with app.app_context():
        engine = db.engine
    unique_violations = []
    count_violation = lambda context: unique_violations.append(context.original_exception)  # noqa: E731
    event.listen(engine, "handle_error", count_violation)
    try:
        for round_ in range(ROUNDS):
            results = race(app, f"mailer{round_}", same_email=True)
            assert Counter(status for status, _ in results) == {201: 1, 409: CLIENTS - 1}, results
            assert all(body == EMAIL_TAKEN for status, body in results if status == 409), results
            winner = next(body for status, body in results if status == 201)
            assert winner["email"] == f"mailer{round_}@example.com"
            if unique_violations:
                break
    finally:
        event.remove(engine, "handle_error", count_violation)
    assert unique_violations, f"in {ROUNDS} rounds, no request reached the unique index"
