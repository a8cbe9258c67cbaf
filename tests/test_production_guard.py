"""APP_ENV=production refuses to start without a strong JWT_SECRET_KEY, from every entry point."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app import create_app
from security.jwt_secret import PUBLISHED_DEV_SECRET as DEV_JWT_SECRET
from security.jwt_secret import InsecureConfigError
from tests.servers import free_port

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
STRONG_SECRET = "k" * 32
WEAK_SECRETS = {
    "missing": None,
    "development default": DEV_JWT_SECRET,
    "short": "x" * 31,
}


def run(command: list[str], tmp_path: Path, secret: str | None, timeout: float = 90) -> tuple[int, str]:
    """Runs an entry point from an empty folder (no .env to pick up) in production mode."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"JWT_SECRET_KEY", "APP_ENV", "DATABASE_URL", "FLASK_APP", "PORT", "MAKEFLAGS"}
    }
    env.update(
        APP_ENV="production",
        DATABASE_URL=f"sqlite:///{tmp_path / 'prod.db'}",
        FLASK_APP="app",
        PYTHONPATH=str(ROOT),
        PORT=str(free_port()),
    )
    if secret is not None:
        env["JWT_SECRET_KEY"] = secret
    process = subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        _, stderr = process.communicate(timeout=timeout)
    finally:
        if process.poll() is None:  # it started serving: the guard failed
            process.kill()
            process.communicate()
    return process.returncode, stderr


def assert_refused_in_one_line(returncode: int, stderr: str) -> None:
    """Non-zero, and the reason in one line (gunicorn prints it once per worker that booted)."""
    assert returncode != 0, stderr
    naming = {line for line in stderr.splitlines() if "JWT_SECRET_KEY" in line}
    assert len(naming) == 1, stderr
    assert "Traceback" not in stderr


@pytest.mark.parametrize("secret", WEAK_SECRETS.values(), ids=WEAK_SECRETS.keys())
def test_create_app_refuses_a_weak_secret_in_production(secret):
    with pytest.raises(InsecureConfigError, match=r"^JWT_SECRET_KEY (is missing|is shorter than 32 bytes)"):
        create_app({"APP_ENV": "production", "JWT_SECRET_KEY": secret})


def test_a_strong_secret_starts_in_production():
    app = create_app({"APP_ENV": "production", "JWT_SECRET_KEY": STRONG_SECRET})
    assert (app.config["APP_ENV"], app.config["JWT_SECRET_KEY"]) == ("production", STRONG_SECRET)


@pytest.mark.slow
@pytest.mark.parametrize("secret", WEAK_SECRETS.values(), ids=WEAK_SECRETS.keys())
def test_flask_db_upgrade_refuses_in_one_line(tmp_path, secret):
    returncode, stderr = run(
        [str(BIN / "flask"), "db", "upgrade", "--directory", str(ROOT / "migrations")], tmp_path, secret
    )
    assert_refused_in_one_line(returncode, stderr)
    assert returncode == 1
    assert stderr.strip().splitlines() == [stderr.strip()]  # nothing but that line
    assert not (tmp_path / "prod.db").exists()


@pytest.mark.slow
def test_flask_run_refuses(tmp_path):
    returncode, stderr = run(
        [str(BIN / "flask"), "run", "--port", str(free_port())], tmp_path, DEV_JWT_SECRET
    )
    assert_refused_in_one_line(returncode, stderr)


@pytest.mark.slow
@pytest.mark.parametrize(
    "options, exit_status",
    [
        # In the worker: the line, then the master halts ("App failed to load"), no reboot loop.
        (["--workers", "1"], 4),
        # In the master, once, before any worker is forked.
        (["--workers", "2", "--preload"], 1),
    ],
    ids=["in-worker", "preload"],
)
def test_gunicorn_refuses_in_one_line(tmp_path, options, exit_status):
    """(Several workers failing at once can race gunicorn 27's own halt into a HaltServer
    traceback after the line: hence one worker here, and --preload recommended for serving.)"""
    command = [str(BIN / "gunicorn"), "--no-control-socket", "--bind", f"127.0.0.1:{free_port()}"]
    returncode, stderr = run([*command, *options, "app:create_app()"], tmp_path, "too-short")
    assert_refused_in_one_line(returncode, stderr)
    assert returncode == exit_status


@pytest.mark.slow
def test_make_run_refuses(tmp_path):
    if not (ROOT / ".venv" / ".runtime").exists():
        pytest.skip("make run needs the project's .venv (made by make test)")
    returncode, stderr = run(["make", "--no-print-directory", "-C", str(ROOT), "run"], tmp_path, None)
    assert_refused_in_one_line(returncode, stderr)


@pytest.mark.slow
def test_a_strong_secret_passes_the_flask_cli(tmp_path):
    returncode, stderr = run(
        [str(BIN / "flask"), "db", "upgrade", "--directory", str(ROOT / "migrations")],
        tmp_path,
        STRONG_SECRET,
    )
    assert returncode == 0, stderr
    assert (tmp_path / "prod.db").exists()
