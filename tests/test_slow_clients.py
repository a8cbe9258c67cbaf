"""`make serve` stays available while slow clients trickle their requests in (bench/slow_clients.py,
real sockets against the real server)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.conftest import TEST_SECRET
from tests.servers import ROOT, make_serve

sys.path.insert(0, str(ROOT / "bench"))
import slow_clients

pytestmark = pytest.mark.slow


@pytest.fixture
def served(tmp_path: Path):  # type: ignore[no-untyped-def]
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'slow.db'}", "JWT_SECRET_KEY": TEST_SECRET}
    with make_serve(env, tmp_path / "serve.log", workers=2) as url:
        yield url


def test_fifty_clients_trickling_headers_keep_no_one_waiting(served: str):
    """50 connections sending a header byte a second; 5 ordinary requests meanwhile are each
    answered within a second (2 sync gunicorn workers answered none)."""
    report = slow_clients.run(served, slow=50, requests=5, limit=1.0)
    assert report.statuses == [200] * 5 and report.ok(1.0), report
    assert report.slow_open == 50  # still held open, not refused: they are simply not waited on


def test_fifty_clients_trickling_bodies_keep_no_one_waiting(served: str):
    """Slow bodies do hold a Python thread each (serving.BLOCKING_THREADS per worker): 50 of them
    still leave threads to answer others."""
    report = slow_clients.run(served, slow=50, requests=5, limit=1.0, body=True)
    assert report.statuses == [200] * 5 and report.ok(1.0), report
