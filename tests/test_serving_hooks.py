"""ops/serving.py's plumbing, under `make serve` (granian) and gunicorn.conf.py alike: libraries
preloaded in the master, no orphaned workers."""

from __future__ import annotations

import ast
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import TEST_SECRET
from tests.servers import ROOT, free_port, wait_for_port

pytestmark = pytest.mark.slow


def test_the_preloaded_libraries_are_all_that_the_app_imports():
    """After serving.preload_libraries(), importing the app loads no further third-party module:
    a worker forked from the master only imports this project's code (and a dependency added
    without adding it to serving.LIBRARIES fails here)."""
    script = (
        "import sys; from ops import serving; serving.preload_libraries(); before = set(sys.modules); import app; "
        "print(sorted(m for m in set(sys.modules) - before "
        "if 'site-packages' in (getattr(sys.modules[m], '__file__', None) or '')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    loaded = ast.literal_eval(result.stdout.strip())
    # Only gunicorn's own modules, which the master has loaded anyway.
    assert loaded and all(name.split(".")[0] == "gunicorn" for name in loaded), loaded


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if (
                entry.name.isdigit()
                and int((entry / "stat").read_text().rpartition(")")[2].split()[1]) == pid
            ):
                found.append(int(entry.name))
        except (OSError, ValueError):
            continue
    return found


def alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


def serve(tmp_path: Path, port: int) -> subprocess.Popen:
    """`make serve` in a session of its own: make, then the server's master (its child), 2 workers."""
    env = {
        **os.environ,
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'orphans.db'}",
        "JWT_SECRET_KEY": TEST_SECRET,
    }
    with (tmp_path / "server.log").open("ab") as log:
        return subprocess.Popen(
            ["make", "--no-print-directory", "serve"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def processes_of(make: subprocess.Popen, port: int) -> tuple[int, list[int]]:
    """The master and its workers, once both workers are up."""
    wait_for_port(port, make, timeout=180)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        masters = children(make.pid)
        workers = children(masters[0]) if masters else []
        if len(workers) == 2:
            return masters[0], workers
        time.sleep(0.1)
    raise AssertionError("no master with 2 workers")


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:  # what the next gunicorn does
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.mark.parametrize("killed", ["master", "make"])
def test_nothing_outlives_a_sigkill(tmp_path: Path, killed: str):
    """SIGKILL (an OOM kill, `kill -9`) to the server's master, or to the `make serve` that started
    it: within seconds no process of the server is left and the port is free for the next
    `make serve`, instead of orphans holding it ("Connection in use")."""
    port = free_port()
    make = serve(tmp_path, port)
    master, workers = -1, []
    try:
        master, workers = processes_of(make, port)
        os.kill(master if killed == "master" else make.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while any(alive(pid) for pid in [master, *workers]) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(alive(pid) for pid in [master, *workers]), (tmp_path / "server.log").read_text()[
            -3000:
        ]
        assert port_is_free(port)
    finally:
        for pid in [make.pid, master, *workers]:
            if pid > 0 and alive(pid):
                os.kill(pid, signal.SIGKILL)
        make.wait(timeout=30)
