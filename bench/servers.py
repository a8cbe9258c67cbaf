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


def request_json(
    url: str, body: dict[str, Any] | None = None, token: str | None = None, method: str | None = None
) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method or ("POST" if data else "GET"))
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
    threads: int = 1,
) -> dict[str, float]:
    """Drive `url` with wrk; returns requests/s, p50/p99 latency (ms) and the error counts.
    With `alternate`, every other request uses that method instead."""
    env = {**os.environ, "WRK_METHOD": method, "WRK_BODY": json.dumps(body) if body else ""}
    env["WRK_ALTERNATE"] = alternate or ""
    if token:
        env["WRK_TOKEN"] = token
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "-s", str(WRK_SCRIPT), url]
    output = subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
    report = output.strip().splitlines()[-1]
    return json.loads(report)


def _start(command: list[str], cwd: Path, env: dict[str, str], log: Path, port: int) -> subprocess.Popen:
    with log.open("ab") as out:
        # Its own session: make, its shell and gunicorn's workers are stopped as one group.
        return subprocess.Popen(
            command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


@contextmanager
def _serving(process: subprocess.Popen, port: int, timeout: float = 120) -> Iterator[tuple[str, int]]:
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, process, timeout)
        yield url, process.pid
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)  # our own process group, by its id
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def make_serve_command() -> list[str]:
    return ["make", "--no-print-directory", "serve"]


@contextmanager
def make_serve(env: dict[str, str], log: Path) -> Iterator[tuple[str, int]]:
    """The API exactly as `make serve` runs it (migrations, then the production server), on a free
    port; its output (the access log included) goes to `log`. Yields the URL and make's PID."""
    port = free_port()
    process = _start(make_serve_command(), ROOT, {**env, "PORT": str(port)}, log, port)
    with _serving(process, port) as served:
        yield served


def floor_command(workers: int, port: int) -> list[str]:
    return [str(BIN / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}", "bench.hello:app"]


@contextmanager
def floor(workers: int, folder: Path, log: Path) -> Iterator[tuple[str, int]]:
    """The true floor: bench/hello.py under plain gunicorn, nothing but the worker count and the
    address. It runs from an empty folder, where gunicorn finds no gunicorn.conf.py to read, with
    gunicorn's own defaults (no access log); only its control socket is moved into that folder, so
    that it cannot meet another gunicorn's."""
    port = free_port()
    drop = ("GUNICORN_CMD_ARGS", "WEB_CONCURRENCY", "PORT")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(PYTHONPATH=str(ROOT), XDG_RUNTIME_DIR=str(folder))
    process = _start(floor_command(workers, port), folder, env, log, port)
    with _serving(process, port) as served:
        yield served


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (make → gunicorn master → workers), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rpartition(")")[2].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def rss_mib(pid: int) -> float | None:
    """Resident memory of a process in MiB (None when it is gone)."""
    try:
        for line in (Path("/proc") / str(pid) / "status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def command_line(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return ""


def machine() -> str:
    """Cores, CPU model, memory and Python: what a reader needs to compare two tables."""
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.partition(":")[2].strip()
            break
    memory = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory = int(line.split()[1]) // (1024 * 1024)
    cores = len(os.sched_getaffinity(0))
    load = " / ".join(f"{value:.2f}" for value in os.getloadavg())
    python = sys.version.split()[0]
    return f"{cores} cores ({model}), {memory} GiB, Python {python}, load average {load}"
