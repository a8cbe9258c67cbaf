"""Rate limits of a whole `make serve` instance, whatever its number of worker processes, without
Redis: the workers share their counters (security/rate_limit_store.py). Real processes, real HTTP."""

from __future__ import annotations

import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import PASSWORD, TEST_SECRET
from tests.servers import http, make_serve

pytestmark = pytest.mark.slow


def serve_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'limits.db'}",
        "JWT_SECRET_KEY": TEST_SECRET,
        "REDIS_URL": "",
        # Counters of this test's own: the default file under instance/ outlives the test.
        "RATE_LIMIT_FILE": str(tmp_path / "rate-limits.sqlite3"),
        **extra,
    }


def failed_logins_two_at_a_time(url: str, attempts: int) -> list[list[int]]:
    """`attempts` wrong passwords for one account, sent in pairs; the statuses of each pair."""
    account = {"username": "target", "email": "target@example.com", "password": PASSWORD}
    assert http("POST", url + "/auth/register", json.dumps(account))[0] == 201
    wrong = json.dumps({"username": "target", "password": "not the password"})
    pairs = []
    with ThreadPoolExecutor(2) as pool:
        for _ in range(attempts // 2):
            pairs.append(sorted(pool.map(lambda _: http("POST", url + "/auth/login", wrong)[0], range(2))))
    return pairs


@pytest.mark.parametrize("workers", [2, 4])
def test_failed_logins_are_counted_once_for_all_workers(tmp_path: Path, workers: int):
    """12 failed logins two at a time against one account: exactly the 5 of LOGIN_RATE_LIMIT get
    401, every later one 429, with 2 or 4 workers (each worker counting alone gave 5 per worker;
    checking before the view and counting after it gave 6, both of a pair passing the check)."""
    with make_serve(serve_env(tmp_path), tmp_path / "serve.log", workers=workers) as url:
        pairs = failed_logins_two_at_a_time(url, 12)
    statuses = [status for pair in pairs for status in pair]
    assert Counter(statuses) == {401: 5, 429: 7}, pairs
    assert pairs[:3] == [[401, 401], [401, 401], [401, 429]], pairs


def test_a_correct_password_gives_its_place_back_across_workers(tmp_path: Path):
    """The place a login takes while its password is checked is given back when it succeeds: after
    4 failures and 10 successes, one more failure is still allowed, and the next is refused. (Two
    logins at once with one place left: the second gets 429 while the first holds the place.)"""
    with make_serve(serve_env(tmp_path), tmp_path / "serve.log", workers=2) as url:
        pairs = failed_logins_two_at_a_time(url, 4)
        right = json.dumps({"username": "target", "password": PASSWORD})
        successes = [http("POST", url + "/auth/login", right)[0] for _ in range(10)]
        wrong = json.dumps({"username": "target", "password": "not the password"})
        last = [http("POST", url + "/auth/login", wrong)[0] for _ in range(2)]
    assert (pairs, successes, last) == ([[401, 401], [401, 401]], [200] * 10, [401, 429])


def test_behind_one_proxy_each_forwarded_client_has_its_own_budget(tmp_path: Path):
    """TRUSTED_PROXY_COUNT=1 under `make serve`: the limit is per forwarded client, and the access
    log names that client, not the proxy."""
    env = serve_env(tmp_path, TRUSTED_PROXY_COUNT="1", LOGIN_RATE_LIMIT="2 per minute")
    log = tmp_path / "serve.log"
    with make_serve(env, log, workers=2) as url:
        account = {"username": "target", "email": "target@example.com", "password": PASSWORD}
        assert http("POST", url + "/auth/register", json.dumps(account))[0] == 201
        wrong = json.dumps({"username": "target", "password": "not the password"})

        def login(client: str) -> int:
            return http("POST", url + "/auth/login", wrong, headers={"X-Forwarded-For": client})[0]

        first = [login("203.0.113.7") for _ in range(3)]
        other = [login("198.51.100.2") for _ in range(3)]
    assert (first, other) == ([401, 401, 429], [401, 401, 429])
    lines = [line for line in log.read_text().splitlines() if '"POST /auth/login' in line]
    assert [line.split()[0] for line in lines] == ["203.0.113.7"] * 3 + ["198.51.100.2"] * 3
