"""Start and stop what the benchmarks measure: gunicorn with the production settings, on free
ports of 127.0.0.1, with seeded SQLite databases in a temporary folder; and wrk."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
WRK_SCRIPT = Path(__file__).resolve().parent / "wrk.lua"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def app_env(database: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "PORT")}
    env.update(
        FLASK_APP="app",
        DATABASE_URL=f"sqlite:///{database}",
        # Login is measured for its hashing, not for the limiter turning it away.
        LOGIN_RATE_LIMIT="1000000 per second",
        LOGIN_ADDRESS_RATE_LIMIT="1000000 per second",
        REGISTER_RATE_LIMIT="1000000 per second",
        REFRESH_RATE_LIMIT="1000000 per second",
        JWT_SECRET_KEY="bench-secret-" + "x" * 40,
        **extra,
    )
    return env


def flask(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [str(BIN / "flask"), *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return result.stdout.strip()


def seeded_database(folder: Path, users: int, boards: int) -> tuple[Path, str]:
    """A migrated SQLite database with seeded users and boards; returns it and flask seed's report."""
    database = folder / f"bench-{boards}.db"
    env = app_env(database)
    flask(env, "db", "upgrade")
    return database, flask(env, "seed", "--users", str(users), "--boards", str(boards))


@contextmanager
def gunicorn(app: str, env: dict[str, str], log: Path, chdir: Path = ROOT) -> Iterator[str]:
    """`make serve`'s gunicorn command on a free port; yields the base URL, stops it by its PID."""
    port = free_port()
    command = [str(BIN / "gunicorn"), "--config", str(ROOT / "gunicorn.conf.py"), "--no-control-socket"]
    command += ["--chdir", str(chdir), app]
    with log.open("ab") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env={**env, "PORT": str(port)}, stdout=out, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, process)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode} before serving {url}")
        try:
            urllib.request.urlopen(url + "/", timeout=1).close()
            return
        except urllib.error.HTTPError:
            return  # it answers, if only with 404
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def request_json(url: str, body: dict[str, Any] | None = None, token: str | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method="POST" if data else "GET")
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def wrk(
    url: str,
    seconds: int,
    connections: int,
    method: str = "GET",
    body: dict[str, Any] | None = None,
    token: str | None = None,
    alternate: str | None = None,
) -> dict[str, float]:
    """Drive `url` with wrk; returns requests/s, p50/p99 latency (ms) and the error counts.
    With `alternate`, every other request uses that method instead."""
    env = {**os.environ, "WRK_METHOD": method, "WRK_BODY": json.dumps(body) if body else ""}
    env["WRK_ALTERNATE"] = alternate or ""
    if token:
        env["WRK_TOKEN"] = token
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", str(WRK_SCRIPT), url]
    output = subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
    report = output.strip().splitlines()[-1]
    return json.loads(report)
