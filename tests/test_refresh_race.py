"""Two requests racing to use one refresh token: only one may rotate it.

Both are let past the revocation check together (a barrier inside it), as two workers would be
when a client retries a refresh, or when a thief and the victim refresh at the same moment. The
rotation itself then decides: one gets new tokens; the other is treated as a replay, so the
whole login is revoked, the winner's new tokens included (reuse detection).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import jwt as pyjwt
import pytest

import blocklist
from tests.conftest import TEST_SECRET, bearer, error
from tests.servers import live_server, post_json

REVOKED = error(401, "token_revoked", "The token has been revoked.")


@pytest.fixture
def both_pass_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    barrier = threading.Barrier(2)
    check = blocklist.revoked_among_for_user
    first_two = iter(range(2))
    lock = threading.Lock()

    def revoked_among_together(payload: dict, keys: list[str]) -> set[str]:
        found = check(payload, keys)
        with lock:
            racing = next(first_two, None) is not None
        if racing:  # the two racing requests; later checks run as usual
            barrier.wait(timeout=10)
        return found

    monkeypatch.setattr(blocklist, "revoked_among_for_user", revoked_among_together)


def test_one_refresh_token_used_twice_at_once(app, client, make_user, both_pass_the_check):
    user = make_user()
    with live_server(app) as base_url, ThreadPoolExecutor(2) as pool:
        results = list(
            pool.map(lambda _: post_json(f"{base_url}/auth/refresh", token=user["refresh_token"]), range(2))
        )

    assert sorted(status for status, _ in results) == [200, 401], results
    assert next(body for status, body in results if status == 401) == REVOKED
    winner = next(body for status, body in results if status == 200)
    # The loser looked like a replay: the whole login is gone, the winner's new pair included.
    assert client.get("/auth/me", headers=bearer(winner["access_token"])).json == REVOKED
    assert client.post("/auth/refresh", headers=bearer(winner["refresh_token"])).json == REVOKED


def test_rotation_succeeds_once(app, make_user):
    payload = pyjwt.decode(make_user()["refresh_token"], TEST_SECRET, algorithms=["HS256"])
    with app.test_request_context():
        assert blocklist.rotate(payload) is True
        assert blocklist.rotate(payload) is False
        assert blocklist.revoked_among([payload["jti"], payload["fam"]]) == {payload["jti"], payload["fam"]}
