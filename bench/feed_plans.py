"""The feed's query shapes, timed in-process on SQLite and on MariaDB (docs/follows-and-feed.md).

A follower of FOLLOWED users among USERS authors of N boards (round-robin, as `flask seed`
writes them). For each size and database: the page query as an IN over the followees (what
services/boards.py runs) and as a join to follows, on the first page and keyset pages,
and the total (the sum of the followees' board_count against a COUNT(*)). Median of repeated runs.

    python bench/feed_plans.py [--sizes 1000,1000000] [--sqlite-only]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import bindparam, func, insert, select, text

from app import create_app
from db import connection, db, transaction, utcnow
from models import Board, Follow, User
from ops.seed import seed
from services.boards import BOARD_ROWS, FEED_TOTAL, FOLLOWEES, _statements

USERS = 2000
FOLLOWED = 1000  # every other seeded user: half of the boards are in the feed

JOINED = (
    BOARD_ROWS.join(
        Follow, (Follow.followee_id == Board.author_id) & (Follow.follower_id == bindparam("follower_id"))
    )
    .order_by(Board.id.desc())
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
)
COUNT = select(func.count()).select_from(Board).where(Board.author_id.in_(FOLLOWEES))


def timed(run: Any, repeat: int = 15) -> float:
    run()  # warm the cache
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def prepare(url: str, boards: int) -> int:
    """Schema, seed and follows; returns the follower's id."""
    db.drop_all()
    db.create_all()
    with transaction():
        seed(USERS, boards, "seed password 123")
    follower = User(username="follower", email="follower@example.com", password_hash="x")
    db.session.add(follower)
    db.session.commit()
    ids = db.session.scalars(db.select(User.id).where(User.id != follower.id).order_by(User.id)).all()
    rows = [{"follower_id": follower.id, "followee_id": i, "created_at": utcnow()} for i in ids[::2]]
    db.session.execute(insert(Follow), rows[:FOLLOWED])
    db.session.commit()
    if db.engine.dialect.name == "sqlite":
        db.session.execute(text("ANALYZE"))
    else:
        db.session.execute(text("ANALYZE TABLE boards, follows, users"))
    db.session.commit()
    return follower.id


def measure(url: str, boards: int) -> dict[str, float]:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "JWT_SECRET_KEY": "x" * 40})
    results: dict[str, float] = {}
    with app.app_context():
        follower = prepare(url, boards)
        conn = connection()
        # What services/boards.py runs for a large feed ("dense") and a small one.
        dense, _ = _statements(frozenset({"followed_by", "dense"}))
        dense_keyset, _ = _statements(frozenset({"followed_by", "dense", "before"}))
        plain, _ = _statements(frozenset({"followed_by"}))
        plain_keyset, _ = _statements(frozenset({"followed_by", "before"}))
        joined_keyset = JOINED.where(Board.id < bindparam("before"))
        base = {"follower_id": follower, "limit": 20, "offset": 0}
        deep = {**base, "before": 100}
        middle = {**base, "before": boards // 2}
        cases = {
            "walk by id, first page": (dense, base),
            "plain IN, first page": (plain, base),
            "join, first page": (JOINED, base),
            "walk by id, before=N/2": (dense_keyset, middle),
            "plain IN, before=N/2": (plain_keyset, middle),
            "join, before=N/2": (joined_keyset, middle),
            "walk by id, before=100": (dense_keyset, deep),
            "total: SUM(board_count)": (FEED_TOTAL, base),
            "total: COUNT(*)": (COUNT, base),
        }
        for label, (stmt, params) in cases.items():
            started = time.perf_counter()
            first = conn.execute(stmt, params).all()
            # A plan that takes seconds is clear after three runs.
            repeat = 3 if time.perf_counter() - started > 0.2 else 15
            results[label] = timed(lambda stmt=stmt, params=params: conn.execute(stmt, params).all(), repeat)
            print(f"  {label:28} {results[label]:9.3f} ms  ({len(first)} rows)", flush=True)
        for label in ("walk by id, first page", "plain IN, first page", "join, first page"):
            stmt, params = cases[label]
            compiled = stmt.compile(db.engine)
            explain = "EXPLAIN QUERY PLAN " if db.engine.dialect.name == "sqlite" else "EXPLAIN "
            rows = conn.exec_driver_sql(explain + str(compiled), _positional(compiled, params)).all()
            print(f"  plan of {label}:", *[f"    {tuple(row)}" for row in rows], sep="\n")
        db.session.remove()
    with app.app_context():
        db.engine.dispose()
    return results


def _positional(compiled: Any, params: dict[str, Any]) -> Any:
    values = {**compiled.params, **params}
    if compiled.positiontup is not None:
        return tuple(values[name] for name in compiled.positiontup)
    return values


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000,1000000")
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--mariadb-only", action="store_true")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="feed-plans-") as folder:
        for size in [] if args.mariadb_only else sizes:
            print(f"SQLite, {size:,} boards", flush=True)
            measure(f"sqlite:///{Path(folder) / f'feed-{size}.db'}", size)
        if args.sqlite_only:
            return
        from tests.mariadb import MariaDB

        # Its own folder and temporary files (tests.mariadb hands them to the mysql user), and a
        # buffer pool that holds the 1M boards.
        base = Path(tempfile.mkdtemp(prefix="feed-plans-mariadb-"))
        (base / "tmp").mkdir()
        if os.geteuid() == 0:
            shutil.chown(base / "tmp", "mysql", "mysql")
        options = ("--innodb-buffer-pool-size=1G", f"--tmpdir={base / 'tmp'}")
        with MariaDB(base, options=options) as server:
            url = server.create_database("feed", "feed")
            for size in sizes:
                print(f"MariaDB {server.version()}, {size:,} boards", flush=True)
                measure(url, size)


if __name__ == "__main__":
    main()
