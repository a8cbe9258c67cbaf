"""The real server in a subprocess and a real headless Chromium, for end-to-end tests.

Run with `make test-e2e`; plain `make test` deselects the `e2e` marker.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.support import ARTIFACTS, ROOT, RecordedPage, is_local
from tests.servers import free_port, stop

# Debian's chromium: Playwright's own browser download does not work offline.
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Without the background-networking flags Chromium phones home at start, and a closed network
# answers with a burst of refused connections; none of that is part of what we test.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
E2E_SECRET = "e2e-secret-that-is-long-enough-for-hs256-0123456789"
STARTUP_TIMEOUT = 30.0


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    # Remember the outcome on the item, so that the page fixture can keep a screenshot of a failure.
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def wait_until_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)  # not up yet: poll again, bounded by the deadline
    pytest.fail(f"the server did not answer /health within {STARTUP_TIMEOUT}s:\n{log.read_text()}")


@pytest.fixture(scope="session")
def server_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The server's environment: also what a test's `flask` command (make-admin) needs."""
    workdir = tmp_path_factory.mktemp("e2e-server")
    env = {
        **os.environ,
        "FLASK_APP": "app",
        "APP_ENV": "development",
        "DATABASE_URL": f"sqlite:///{workdir / 'e2e.db'}",
        "JWT_SECRET_KEY": E2E_SECRET,
        "PORT": str(free_port()),
        "E2E_WORKDIR": str(workdir),
        # Counters of this run alone: the default file under instance/ outlives it, and a second
        # run within the hour found the registrations' budget spent.
        "RATE_LIMIT_FILE": str(workdir / "rate-limits.sqlite3"),
    }
    for inherited in ("FLASK_DEBUG", "REDIS_URL", "TEST_DATABASE_URL"):
        env.pop(inherited, None)
    return env


def flask_command(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "flask", *args], cwd=ROOT, env=env, check=True, capture_output=True, timeout=60
    )


@pytest.fixture(scope="session")
def server(server_env: dict[str, str]) -> Iterator[str]:
    """`flask db upgrade` on a fresh SQLite file, then `flask run` on a free port: the real thing."""
    env, workdir, port = server_env, Path(server_env["E2E_WORKDIR"]), server_env["PORT"]
    flask = [sys.executable, "-m", "flask"]
    flask_command(env, "db", "upgrade")

    log = workdir / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*flask, "run", "--host", "127.0.0.1", "--port", port, "--no-reload"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_healthy(url, process, log)
            yield url
        finally:
            stop(process)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    # Imported here, not at the top: plain `make test` loads this file without playwright installed.
    sync_api = pytest.importorskip("playwright.sync_api", reason="`make test-e2e` installs playwright")

    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: `apt-get install -y chromium` (or set CHROMIUM)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def recorded_page(browser: Any, server: str, request: pytest.FixtureRequest) -> Iterator[RecordedPage]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    requested: list[str] = []
    # On the context, not the page: requests of workers and popups count too.
    context.on("request", lambda req: requested.append(req.url))
    # A request for another host is recorded (and fails the test), but never leaves the machine.
    context.route(lambda url: not is_local(url, server), lambda route: route.abort("blockedbyclient"))
    page = context.new_page()
    try:
        yield RecordedPage(page, server, requested)
    finally:
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=ARTIFACTS / f"{request.node.name}-failure.png", full_page=True)
        context.close()
