"""Outside production, an unset JWT_SECRET_KEY is a random secret kept in a private file."""

from __future__ import annotations

import functools
import json
import multiprocessing
import os
import stat
import subprocess
import sys
from pathlib import Path

import flask
import jwt
import pytest

import app as app_module
from db import db
from security import jwt_secret
from security.jwt_secret import InsecureConfigError
from tests.conftest import PASSWORD
from tests.servers import ROOT, gunicorn, http

BIN = Path(sys.executable).parent


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_first_start_makes_a_private_random_secret_and_later_starts_reuse_it(tmp_path):
    path = tmp_path / "instance" / "jwt-secret"
    first = jwt_secret.load_or_create(path)
    assert len(first) >= 64
    assert mode(path) == 0o600
    assert path.read_text().strip() == first
    assert jwt_secret.load_or_create(path) == first
    assert sorted(p.name for p in path.parent.iterdir()) == ["jwt-secret"]  # no temporary file left
    assert jwt_secret.load_or_create(tmp_path / "other" / "jwt-secret") != first  # never a constant


def test_a_secret_file_readable_by_others_is_made_private_again(tmp_path):
    path = tmp_path / "jwt-secret"
    secret = jwt_secret.load_or_create(path)
    path.chmod(0o644)
    assert jwt_secret.load_or_create(path) == secret
    assert mode(path) == 0o600


def test_a_truncated_secret_file_refuses_to_start_in_one_line(tmp_path):
    path = tmp_path / "jwt-secret"
    path.write_text("short\n")
    with pytest.raises(InsecureConfigError, match=r"holds fewer than 32 bytes: delete it") as refused:
        jwt_secret.load_or_create(path)
    assert "\n" not in str(refused.value)


def test_a_place_where_no_file_can_be_made_refuses_to_start_in_one_line(tmp_path):
    (tmp_path / "a-file").write_text("")
    with pytest.raises(
        InsecureConfigError, match=r"^Cannot use the development JWT secret file .*JWT_SECRET_KEY"
    ):
        jwt_secret.load_or_create(tmp_path / "a-file" / "jwt-secret")


def _start(path: str, barrier: multiprocessing.synchronize.Barrier, results: multiprocessing.Queue) -> None:
    barrier.wait()
    results.put(jwt_secret.load_or_create(Path(path)))


@pytest.mark.slow
@pytest.mark.parametrize("round_", range(3))
def test_processes_starting_at_once_all_get_the_same_secret(tmp_path, round_):
    context = multiprocessing.get_context("fork")
    path = tmp_path / "instance" / "jwt-secret"
    barrier, results = context.Barrier(12), context.Queue()
    processes = [context.Process(target=_start, args=(str(path), barrier, results)) for _ in range(12)]
    for process in processes:
        process.start()
    secrets = [results.get(timeout=30) for _ in processes]
    for process in processes:
        process.join(timeout=30)
        assert process.exitcode == 0
    assert len(set(secrets)) == 1
    assert secrets[0] == path.read_text().strip()
    assert sorted(p.name for p in path.parent.iterdir()) == ["jwt-secret"]


@pytest.fixture
def dev_app_factory(tmp_path, monkeypatch):
    """create_app as `make run` calls it (no JWT_SECRET_KEY), with its instance folder in tmp_path."""
    monkeypatch.delenv("JWT_SECRET_KEY", raising=False)
    monkeypatch.delenv("JWT_SECRET_FILE", raising=False)
    instance = tmp_path / "instance"
    monkeypatch.setattr(app_module, "Flask", functools.partial(flask.Flask, instance_path=str(instance)))

    def make(**config):
        return app_module.create_app(
            {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'dev.db'}", **config}
        )

    return make


def test_without_a_secret_the_app_uses_the_file_under_instance(dev_app_factory, tmp_path):
    app = dev_app_factory()
    secret_file = tmp_path / "instance" / "jwt-secret"
    assert app.config["JWT_SECRET_KEY"] == secret_file.read_text().strip()
    assert mode(secret_file) == 0o600


def test_tokens_survive_a_restart(dev_app_factory):
    first = dev_app_factory()
    with first.app_context():
        db.create_all()
    client = first.test_client()
    body = {"username": "alice", "email": "alice@example.com", "password": PASSWORD}
    assert client.post("/auth/register", json=body).status_code == 201
    token = client.post("/auth/login", json={"username": "alice", "password": PASSWORD}).json["access_token"]
    restarted = dev_app_factory().test_client()
    me = restarted.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert (me.status_code, me.json["username"]) == (200, "alice")


def test_an_explicit_secret_makes_no_file(dev_app_factory, tmp_path):
    app = dev_app_factory(JWT_SECRET_KEY="s" * 40)
    assert app.config["JWT_SECRET_KEY"] == "s" * 40
    assert not (tmp_path / "instance" / "jwt-secret").exists()


def test_production_never_falls_back_to_a_file(dev_app_factory, tmp_path):
    with pytest.raises(InsecureConfigError, match=r"^JWT_SECRET_KEY is missing"):
        dev_app_factory(APP_ENV="production")
    assert not (tmp_path / "instance").exists()


@pytest.mark.slow
def test_gunicorn_workers_and_flask_commands_share_one_generated_secret(tmp_path):
    """Two gunicorn workers start at once with no secret file: they race to make it, and every
    token one of them issues is good on the other; a `flask` command reads the same secret."""
    secret_file = tmp_path / "instance" / "jwt-secret"
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"JWT_SECRET_KEY", "APP_ENV"}},
        "DATABASE_URL": f"sqlite:///{tmp_path / 'served.db'}",
        "JWT_SECRET_FILE": str(secret_file),
        "FLASK_APP": "app",
    }
    # Migrate with an explicit secret, so that the workers are the first to need the file.
    migrate = subprocess.run(
        [str(BIN / "flask"), "db", "upgrade"],
        cwd=ROOT,
        env={**env, "JWT_SECRET_KEY": "m" * 40},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert migrate.returncode == 0, migrate.stderr
    assert not secret_file.exists()
    with gunicorn(env, tmp_path / "gunicorn.log", workers=2) as url:
        user = {"username": "alice", "email": "alice@example.com", "password": PASSWORD}
        assert http("POST", f"{url}/auth/register", json.dumps(user))[0] == 201
        status, body = http(
            "POST", f"{url}/auth/login", json.dumps({"username": "alice", "password": PASSWORD})
        )
        assert status == 200
        token = json.loads(body)["access_token"]
        # Sync workers take connections in turn: twenty requests reach both.
        assert {http("GET", f"{url}/auth/me", token=token)[0] for _ in range(20)} == {200}
    secret = secret_file.read_text().strip()
    assert jwt.decode(token, secret, algorithms=["HS256"])["sub"]
    shell = subprocess.run(
        [str(BIN / "flask"), "shell"],
        cwd=ROOT,
        env=env,
        input="print('secret=' + app.config['JWT_SECRET_KEY'])\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert f"secret={secret}" in shell.stdout, shell.stderr
