"""security.rate_limit_store.py: the SQLite file that the workers of one instance count in, and giving an
entry back in each storage the limiter may use (the file, Redis, the in-memory fallback)."""

from __future__ import annotations

import multiprocessing
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from limits import parse
from limits.storage import MemoryStorage, RedisStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from security.rate_limit_store import SCHEME, SQLiteStorage, release_entry
from tests.servers import REDIS_SERVER, RedisServer

FIVE_A_MINUTE = parse("5 per minute")


def sqlite_storage(tmp_path: Path) -> SQLiteStorage:
    storage = storage_from_string(f"{SCHEME}://{tmp_path / 'counters' / 'limits.sqlite3'}")
    assert isinstance(storage, SQLiteStorage)
    return storage


@pytest.fixture(params=["sqlite", "memory", "redis"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    if request.param == "sqlite":
        yield sqlite_storage(tmp_path)
    elif request.param == "memory":
        yield MemoryStorage()
    else:
        if REDIS_SERVER is None:
            pytest.skip("redis-server is not installed (.ci/run installs it)")
        server = RedisServer(tmp_path)
        server.start()
        try:
            yield RedisStorage(server.url)
        finally:
            server.stop()


def test_the_moving_window_counts_up_to_the_limit(storage: Storage):
    limiter = MovingWindowRateLimiter(storage)
    assert [limiter.hit(FIVE_A_MINUTE, "k") for _ in range(6)] == [True] * 5 + [False]
    assert limiter.get_window_stats(FIVE_A_MINUTE, "k").remaining == 0
    assert limiter.hit(FIVE_A_MINUTE, "other")  # another key has its own budget


def test_an_entry_given_back_frees_one_place_and_only_one(storage: Storage):
    limiter = MovingWindowRateLimiter(storage)
    for _ in range(5):
        assert limiter.hit(FIVE_A_MINUTE, "k")
    release_entry(storage, FIVE_A_MINUTE.key_for("k"))
    assert limiter.get_window_stats(FIVE_A_MINUTE, "k").remaining == 1
    assert [limiter.hit(FIVE_A_MINUTE, "k") for _ in range(2)] == [True, False]


def test_giving_back_what_is_not_there_changes_nothing(storage: Storage):
    limiter = MovingWindowRateLimiter(storage)
    release_entry(storage, FIVE_A_MINUTE.key_for("k"))
    assert limiter.get_window_stats(FIVE_A_MINUTE, "k").remaining == 5
    assert [limiter.hit(FIVE_A_MINUTE, "k") for _ in range(6)] == [True] * 5 + [False]


def test_entries_leave_the_window_as_it_moves(tmp_path: Path):
    storage = sqlite_storage(tmp_path)
    limiter = MovingWindowRateLimiter(storage)
    two_a_second = parse("2 per second")
    assert [limiter.hit(two_a_second, "k") for _ in range(3)] == [True, True, False]
    time.sleep(1.1)
    assert limiter.hit(two_a_second, "k")
    reset_at, remaining = limiter.get_window_stats(two_a_second, "k")  # when the newest one leaves
    assert remaining == 1 and time.time() < reset_at <= time.time() + 1


def test_old_rows_are_pruned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr("security.rate_limit_store.PRUNE_EVERY_SECONDS", 0.0)
    storage = sqlite_storage(tmp_path)
    limiter = MovingWindowRateLimiter(storage)
    one_a_second = parse("1 per second")
    limiter.hit(one_a_second, "a")
    time.sleep(1.1)
    limiter.hit(one_a_second, "b")  # a write: the expired row of "a" goes
    with sqlite3.connect(storage.path) as db:
        assert [key for (key,) in db.execute("SELECT key FROM hits")] == [one_a_second.key_for("b")]


def test_plain_counters_work_too(tmp_path: Path):
    storage = sqlite_storage(tmp_path)
    assert [storage.incr("c", 60) for _ in range(3)] == [1, 2, 3]
    assert storage.get("c") == 3 and storage.get_expiry("c") > time.time() + 55
    storage.clear("c")
    assert storage.get("c") == 0 and storage.check()
    storage.incr("c", 60)
    assert storage.reset() == 1 and storage.get("c") == 0


def test_a_relative_path_is_refused():
    with pytest.raises(ValueError, match="absolute"):
        SQLiteStorage(f"{SCHEME}://relative/limits.sqlite3")


def _hit_many(path: str, hits: int, results: multiprocessing.Queue) -> None:
    limiter = MovingWindowRateLimiter(SQLiteStorage(f"{SCHEME}://{path}"))
    results.put(sum(limiter.hit(parse("50 per minute"), "shared") for _ in range(hits)))


def test_processes_share_one_budget_exactly(tmp_path: Path):
    """Four processes hitting one key 30 times each, all at once: exactly 50 pass."""
    path = str(tmp_path / "limits.sqlite3")
    context = multiprocessing.get_context("spawn")  # nothing inherited: four separate openers
    results: multiprocessing.Queue = context.Queue()
    processes = [context.Process(target=_hit_many, args=(path, 30, results)) for _ in range(4)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(60)
    assert sum(results.get(timeout=5) for _ in processes) == 50


def test_a_forked_process_opens_its_own_connection(tmp_path: Path):
    storage = sqlite_storage(tmp_path)
    assert MovingWindowRateLimiter(storage).hit(FIVE_A_MINUTE, "k")  # the parent's connection is open
    context = multiprocessing.get_context("fork")
    results: multiprocessing.Queue = context.Queue()

    def child() -> None:
        limiter = MovingWindowRateLimiter(storage)
        results.put([limiter.hit(FIVE_A_MINUTE, "k") for _ in range(5)])

    process = context.Process(target=child)
    process.start()
    process.join(30)
    assert results.get(timeout=5) == [True] * 4 + [False]
