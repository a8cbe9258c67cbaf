"""Bulk demo data for demos and benchmarks: `flask seed --users N --boards M`.

Rows go in through SQLAlchemy Core `INSERT ... executemany` in batches (no ORM objects, no
request per row), and every seeded user shares one argon2 hash computed once: hashing is
deliberately slow, so a hash per user would dominate the run. The caller owns the transaction
(`flask seed` runs in one unit of work).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import timedelta
from itertools import islice
from typing import Any

from sqlalchemy import insert, select

from db import connection, utcnow
from models import Board, User
from models.user import hash_password

PREFIX = "seed_"
EMAIL_DOMAIN = "example.com"
BATCH_SIZE = 10_000
WORDS = ("apple", "banana", "cherry", "delta", "echo", "forest", "garden", "harbor", "island", "jungle")
_SEED_NUMBER = re.compile(rf"^{PREFIX}(\d+)(?:@{re.escape(EMAIL_DOMAIN)})?$")


@dataclass
class SeedReport:
    users: int
    boards: int
    first_user: str | None
    last_user: str | None
    seconds: float


def next_seed_number() -> int:
    """1 + the highest number among earlier seeded users, so that a second run adds new names
    (seed_201, …) instead of colliding with seed_1, … (or with a person who took such a name)."""
    like = PREFIX.replace("_", "\\_") + "%"  # `_` is a LIKE wildcard
    names = connection().execute(
        select(User.username_lower, User.email).where(
            User.username_lower.like(like, escape="\\") | User.email.like(like, escape="\\")
        )
    )
    highest = 0
    for name, email in names:
        for value in (name, email):
            if match := _SEED_NUMBER.match(value):
                highest = max(highest, int(match.group(1)))
    return highest + 1


def _batched(rows: Any, size: int) -> Any:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def _insert_in_batches(table: Any, rows: Any) -> int:
    count = 0
    for batch in _batched(rows, BATCH_SIZE):
        connection().execute(insert(table), batch)
        count += len(batch)
    return count


def seed_users(count: int, password: str) -> list[int]:
    """Insert `count` users sharing one password; returns their ids."""
    start = next_seed_number()
    password_hash = hash_password(password)
    now = utcnow()
    names = [f"{PREFIX}{n}" for n in range(start, start + count)]
    rows = (
        {
            "username": name,
            "username_lower": name,
            "email": f"{name}@{EMAIL_DOMAIN}",
            "password_hash": password_hash,
            "is_admin": False,
            "created_at": now,
        }
        for name in names
    )
    _insert_in_batches(User.__table__, rows)
    ids: list[int] = []
    for chunk in _batched(names, 500):
        ids += connection().scalars(select(User.id).where(User.username_lower.in_(chunk))).all()
    return sorted(ids)


def seed_boards(count: int, author_ids: list[int]) -> int:
    """Insert `count` boards spread round-robin over the authors, one second apart and oldest
    first, so that newest-first by id and by creation time agree."""
    start = utcnow() - timedelta(seconds=count)
    rows = (
        {
            "title": f"Seed board {i}: {WORDS[i % len(WORDS)]}",
            "content": f"Demo content of seed board {i}.",
            "author_id": author_ids[i % len(author_ids)],
            "created_at": (stamp := start + timedelta(seconds=i)),
            "updated_at": stamp,
            "version": 1,
        }
        for i in range(count)
    )
    return _insert_in_batches(Board.__table__, rows)


def seed(users: int, boards: int, password: str) -> SeedReport:
    started = time.perf_counter()
    user_ids = seed_users(users, password) if users else []
    author_ids = user_ids or list(connection().scalars(select(User.id).order_by(User.id)))
    if boards and not author_ids:
        raise ValueError("There are no users to write the boards: pass --users too.")
    made_boards = seed_boards(boards, author_ids) if boards else 0
    first, last = (None, None)
    if user_ids:
        ends = select(User.id, User.username).where(User.id.in_((user_ids[0], user_ids[-1])))
        names = dict(connection().execute(ends).all())
        first, last = names[user_ids[0]], names[user_ids[-1]]
    return SeedReport(len(user_ids), made_boards, first, last, time.perf_counter() - started)
