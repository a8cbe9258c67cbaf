"""Real servers for tests: redis-server, `make serve` and gunicorn, on free 127.0.0.1 ports, stopped
by PID."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
REDIS_SERVER = shutil.which("redis-server")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {timeout} s")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class RedisServer:
    """A private redis-server without persistence; `stop()` and `start()` simulate an outage."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = [REDIS_SERVER or "redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", str(self.folder)]
        with (self.folder / "redis.log").open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        wait_for_port(self.port, self.process)

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
            self.process = None


@contextmanager
def gunicorn(env: dict[str, str], log: Path, workers: int = 1) -> Iterator[str]:
    """The app under `make serve`'s gunicorn settings on a free port; yields its base URL."""
    port = free_port()
    command = [
        str(BIN / "gunicorn"),
        "--config",
        "gunicorn.conf.py",
        "--no-control-socket",
        "app:create_app()",
    ]
    full_env = {**os.environ, **env, "PORT": str(port), "WEB_CONCURRENCY": str(workers)}
    with log.open("ab") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(process)


@contextmanager
def make_serve(
    env: dict[str, str], log: Path, workers: int = 2, make_args: tuple[str, ...] = (), timeout: float = 180
) -> Iterator[str]:
    """`make serve` (migrations, then the production server) on a free port, in a process group of
    its own (make, the server and its workers), stopped as one by make's PID; yields the base URL."""
    port = free_port()
    full_env = {**os.environ, **env, "PORT": str(port), "WEB_CONCURRENCY": str(workers)}
    with log.open("ab") as out:
        process = subprocess.Popen(
            ["make", "--no-print-directory", "serve", *make_args],
            cwd=ROOT,
            env=full_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for_port(port, process, timeout=timeout)
        yield f"http://127.0.0.1:{port}"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def http(
    method: str,
    url: str,
    json_body: str | None = None,
    token: str | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, str]:
    """A real HTTP request; returns status and body text, errors included."""
    status, _, text = http_exchange(method, url, json_body, token, headers)
    return status, text


def http_exchange(
    method: str,
    url: str,
    json_body: str | None = None,
    token: str | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], str]:
    """A real HTTP request with extra headers; returns status, response headers and body text."""
    request = urllib.request.Request(url, data=json_body.encode() if json_body else None, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers), error.read().decode()


@contextmanager
def live_server(app: Flask) -> Iterator[str]:
    """The app on a free port of 127.0.0.1, one thread per request."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(10)
        server.server_close()


def post_json(url: str, body: dict[str, Any] | None = None, token: str | None = None) -> tuple[int, Any]:
    """POST (a JSON body, a bearer token) with the standard library; (status, decoded JSON)."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(
        url, data=json.dumps(body or {}).encode(), headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as failure:
        with failure:
            return failure.code, json.load(failure)
