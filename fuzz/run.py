"""`make fuzz`: property-based fuzzing of the whole API from its own OpenAPI document.

Serves the app on a free 127.0.0.1 port (Werkzeug, threaded) with a fresh SQLite database made
by `flask db upgrade`, seeds users and boards so that generated ids hit real rows, and runs the
schemathesis CLI on /openapi.json: every operation, every phase, with a real token (fuzz/hooks.py).
It fails on any failed check, and when fewer than FUZZ_MIN_CASES cases were generated.

Environment: FUZZ_MAX_EXAMPLES (per operation and phase, default 100), FUZZ_SEED (default fixed,
so CI is reproducible; `random` for a new one), FUZZ_MIN_CASES (default 1000), FUZZ_CHECKS
(schemathesis check names, comma-separated; default: no server errors and response conformance),
FUZZ_DATABASE_URL (an empty database to use instead of a new SQLite file).
"""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CHECKS = [
    "not_a_server_error",
    # Every response as documented: status code, Content-Type, headers, body.
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    # Bad input gets a 4xx, a wrong method a 405 with Allow, a missing token a 401.
    "negative_data_rejection",
    "missing_required_header",
    "unsupported_method",
    "allow_header_conformance",
    "ignored_auth",
    # ensure_resource_availability, knowing of deleted authors and replayed creates (fuzz/hooks.py).
    "created_resource_availability",
]
# Left out: positive_data_acceptance (a schema-valid but stale If-Match is rightly 412, a random
# refresh_token in a logout body rightly 422) and use_after_free (SQLite hands the highest deleted
# id out again; tokens are bound to the user row, see User.token_stamp).
DEFAULT_SEED = "20261121"
SEED_PASSWORD = "seed password 123"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(workdir: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("FLASK_", "REDIS_"))}
    env.update(
        FLASK_APP="app",
        APP_ENV="development",
        # An empty database: FUZZ_DATABASE_URL (e.g. a MariaDB one) or a new SQLite file.
        DATABASE_URL=os.environ.get("FUZZ_DATABASE_URL") or f"sqlite:///{workdir / 'fuzz.db'}",
        JWT_SECRET_KEY=secrets.token_urlsafe(48),
        # The fuzzer logs in again whenever it revoked its own token, and registers thousands of
        # bodies from one address: the limits are not what is tested (tests/test_rate_limits.py).
        LOGIN_RATE_LIMIT="100000 per minute",
        LOGIN_ADDRESS_RATE_LIMIT="100000 per minute",
        REGISTER_RATE_LIMIT="100000 per minute",
        REFRESH_RATE_LIMIT="100000 per minute",
        # Likewise for sending messages: 429s would hide the sending code from the fuzzer.
        MESSAGE_RATE_LIMIT="100000 per minute",
        PASSWORD_RESET_RATE_LIMIT="100000 per minute",
        PASSWORD_RESET_CONFIRM_RATE_LIMIT="100000 per minute",
        # Reset mails go to the server's log only: a fuzz run must never send real mail.
        MAIL_SERVER="",
        PYTHONPATH=str(ROOT),
    )
    return env


def wait_until_healthy(base_url: str, server: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with {server.returncode}")
        try:
            if requests.get(f"{base_url}/health", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the server did not become healthy")


def seed(base_url: str) -> None:
    """Two users with boards and comments, so that small generated ids find rows (and other
    people's rows)."""
    for name in ("seed_alice", "seed_bob"):
        requests.post(
            f"{base_url}/auth/register",
            json={"username": name, "email": f"{name}@example.com", "password": SEED_PASSWORD},
            timeout=30,
        ).raise_for_status()
        login = requests.post(
            f"{base_url}/auth/login", json={"username": name, "password": SEED_PASSWORD}, timeout=30
        )
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        for i in range(10):
            requests.post(
                f"{base_url}/boards",
                json={"title": f"{name} #{i}", "content": "seed"},
                headers=headers,
                timeout=30,
            ).raise_for_status()
        # Comments and replies on the first boards: small generated ids find threads too.
        for board_id in range(1, 6):
            comments = f"{base_url}/boards/{board_id}/comments"
            thread = requests.post(comments, json={"content": f"{name} says hi"}, headers=headers, timeout=30)
            thread.raise_for_status()
            reply = {"content": "a reply", "parent_id": thread.json()["id"]}
            requests.post(comments, json=reply, headers=headers, timeout=30).raise_for_status()


ACCESS_LOG_LINE = re.compile(r'"(?:\x1b\[[\d;]*m)*(\w+) (/[^ ?]*)\S* HTTP/1\.[01](?:\x1b\[0m)?" (\d{3}) ')


def response_summary(server_log: str) -> tuple[dict[str, int], dict[str, int]]:
    """From Werkzeug's access log: responses by status class, and successes by operation (which
    shows that the fuzzing got past authentication and validation)."""
    classes: Counter[str] = Counter()
    successes: Counter[str] = Counter()
    for method, path, status in ACCESS_LOG_LINE.findall(server_log):
        classes[f"{status[0]}xx"] += 1
        if status.startswith("2"):
            template = re.sub(r"/\d+", "/{id}", path)
            successes[f"{method} {template}"] += 1
    return dict(sorted(classes.items())), dict(sorted(successes.items()))


def schemathesis_command(base_url: str) -> list[str]:
    seed_value = os.environ.get("FUZZ_SEED", DEFAULT_SEED)
    command = [
        str(BIN / "st"),
        "run",
        f"{base_url}/openapi.json",
        "--checks",
        os.environ.get("FUZZ_CHECKS") or ",".join(CHECKS),
        "--max-examples",
        os.environ.get("FUZZ_MAX_EXAMPLES", "100"),
        # One worker: hypothesis is not thread-safe everywhere (seen: SystemError in ast.parse).
        "--workers",
        "1",
        "--request-timeout",
        "30",
    ]
    if seed_value != "random":
        command += ["--seed", seed_value]
    return command


def run_streaming(command: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Runs a command, showing its output as it comes, and returns its status and output."""
    lines = []
    with subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True) as process:
        assert process.stdout is not None
        for line in process.stdout:
            print(line, end="", flush=True)
            lines.append(line)
    return process.returncode, "".join(lines)


def main() -> int:
    min_cases = int(os.environ.get("FUZZ_MIN_CASES", "1000"))
    with tempfile.TemporaryDirectory(prefix="board-fuzz-") as tmp:
        workdir = Path(tmp)
        env = server_env(workdir)
        migrations = str(ROOT / "migrations")
        subprocess.run([str(BIN / "flask"), "db", "upgrade", "--directory", migrations], env=env, check=True)
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        log_path = workdir / "server.log"
        with open(log_path, "w") as log:
            server = subprocess.Popen(
                [str(BIN / "flask"), "run", "--host", "127.0.0.1", "--port", str(port), "--with-threads"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_until_healthy(base_url, server)
            seed(base_url)
            fuzz_env = {**env, "FUZZ_BASE_URL": base_url, "SCHEMATHESIS_HOOKS": "fuzz.hooks"}
            returncode, output = run_streaming(schemathesis_command(base_url), env=fuzz_env)
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        if "Traceback" in log_path.read_text():
            print("The server logged a traceback:\n" + log_path.read_text()[-5000:])
            return 1
        classes, successes = response_summary(log_path.read_text())
        print(f"fuzz: responses by status class: {classes}")
        print(f"fuzz: 2xx responses by operation: {successes}")
    match = re.search(r"Test cases:\s*\n\s*(\d+) generated", output)
    generated = int(match.group(1)) if match else 0
    print(f"fuzz: {generated} cases generated (minimum {min_cases}), schemathesis exited {returncode}")
    if returncode != 0:
        return returncode
    if generated < min_cases:
        print(
            f"fuzz: too few cases: raise FUZZ_MAX_EXAMPLES (now {os.environ.get('FUZZ_MAX_EXAMPLES', '100')})"
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
