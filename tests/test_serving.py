"""Production serving: `make serve`, and several app instances sharing one revocation store."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from flask import Flask

from db import db
from models import RevokedToken
from tests.conftest import PASSWORD, TEST_SECRET, error
from tests.servers import REDIS_SERVER, ROOT, RedisServer, free_port, gunicorn, http, wait_for_port

pytestmark = pytest.mark.slow


def session_processes(session_id: int) -> list[str]:
    """Command lines of the processes in a session (make, its shell, gunicorn and its workers)."""
    commands = []
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError):
            continue  # not a process, or it just ended
        # Fields after the parenthesised command name: state ppid pgrp session ...
        if int(stat.rpartition(")")[2].split()[3]) == session_id:
            commands.append(cmdline)
    return commands


def test_make_serve_migrates_then_serves_with_granian(tmp_path: Path):
    port = free_port()
    database = tmp_path / "serve.db"
    env = {
        **os.environ,
        "PORT": str(port),
        "DATABASE_URL": f"sqlite:///{database}",
        "WEB_CONCURRENCY": "2",
        "JWT_SECRET_KEY": TEST_SECRET,
    }
    env.pop("REDIS_URL", None)
    process = subprocess.Popen(
        ["make", "--no-print-directory", "serve"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: stopped as one below
    )
    try:
        wait_for_port(port, process, timeout=180)
        status, body = http("GET", f"http://127.0.0.1:{port}/health")
        servers = [c for c in session_processes(process.pid) if "-m ops.serving" in c]
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        output = process.communicate(timeout=60)[0].decode()

    assert (status, json.loads(body)) == (200, {"status": "ok"})
    with sqlite3.connect(database) as connection:
        version = connection.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    assert version == ScriptDirectory(str(ROOT / "migrations")).get_current_head()
    assert len(servers) == 3, servers  # granian's main process and WEB_CONCURRENCY=2 workers
    assert "Starting granian" in output
    assert '"GET /health HTTP/1.1" 200 16 "-" "Python-urllib/' in output  # the access log, on stdout


@pytest.fixture(params=["database", "redis"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """REDIS_URL for the instances: empty (revocations in the database) or a real redis-server."""
    if request.param == "database":
        yield ""
        return
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed (.ci/run installs it)")
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


def test_logout_on_one_instance_is_refused_by_another_at_once(
    app: Flask, database_url: str, store_url: str, tmp_path: Path
):
    env = {"DATABASE_URL": database_url, "REDIS_URL": store_url, "JWT_SECRET_KEY": TEST_SECRET}
    with gunicorn(env, tmp_path / "a.log") as a, gunicorn(env, tmp_path / "b.log") as b:
        account = {"username": "shared", "email": "shared@example.com", "password": PASSWORD}
        assert http("POST", a + "/auth/register", json.dumps(account))[0] == 201
        status, body = http(
            "POST", a + "/auth/login", json.dumps({"username": "shared", "password": PASSWORD})
        )
        assert status == 200
        tokens = json.loads(body)
        assert http("GET", b + "/auth/me", token=tokens["access_token"])[0] == 200

        logout = json.dumps({"refresh_token": tokens["refresh_token"]})
        assert http("POST", a + "/auth/logout", logout, token=tokens["access_token"])[0] == 200

        revoked = error(401, "token_revoked", "The token has been revoked.")
        status, body = http("GET", b + "/auth/me", token=tokens["access_token"])
        assert (status, json.loads(body)) == (401, revoked)
        status, body = http("POST", b + "/auth/refresh", token=tokens["refresh_token"])
        assert (status, json.loads(body)) == (401, revoked)

    with app.app_context():  # and the store in use was the one configured
        rows = db.session.scalar(db.select(db.func.count()).select_from(RevokedToken))
    assert (rows > 0) == (store_url == "")
