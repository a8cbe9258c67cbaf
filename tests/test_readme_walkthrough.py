"""README.md's walkthrough is what the service answers today: its `sh` blocks run, in order, in one
bash against a fresh `make run` (flask db upgrade, then flask run, on a free port and a new SQLite
file), and each block's output must equal the output block shown under it, once the parts that
change from run to run are masked: timestamps, ETags (hashes of them), tokens, the Date header
and the Python version in the Server header.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import ROOT, free_port, stop, wait_for_port

pytestmark = pytest.mark.slow

README = ROOT / "README.md"
DOCUMENTED_HOST = "127.0.0.1:5000"
END = "@@ end of block @@"
MASKS = [
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?\+00:00"), "<timestamp>"),
    (re.compile(r'"[0-9a-f]{40}"'), '"<etag>"'),
    (re.compile(r'"[0-9a-f]{20}\.[0-9a-f]{20}"'), '"<etag>"'),
    (re.compile(r"eyJ[\w-]*\.[\w-]+\.[\w-]+"), "<token>"),
    (re.compile(r"(?m)^Date: .*$"), "Date: <date>"),
    (re.compile(r"Python/\d+\.\d+\.\d+"), "Python/<version>"),
]


def walkthrough_blocks(text: str) -> list[tuple[str, str]]:
    """(commands, expected output) of each `sh` block of the Walkthrough section, in order. The
    output is the unlabelled block right below the commands; a block without one prints nothing."""
    section = text.split("\n## Walkthrough\n", 1)[1].split("\n## ", 1)[0]
    fences = re.findall(r"```(\w*)\n(.*?)```(?=\n)", section, flags=re.S)
    blocks: list[tuple[str, str]] = []
    for (language, body), following in zip(fences, [*fences[1:], ("sh", "")], strict=True):
        if language == "sh":
            blocks.append((body, following[1] if following[0] == "" else ""))
    return blocks


def masked(text: str, base: str) -> str:
    text = text.replace(base, f"http://{DOCUMENTED_HOST}").replace("\r\n", "\n")
    for pattern, replacement in MASKS:
        text = pattern.sub(replacement, text)
    return text.strip()


@pytest.fixture
def fresh_make_run(tmp_path: Path) -> Iterator[str]:
    """What `make run` does on a fresh machine, on a free port with its own database file."""
    port = free_port()
    env = {
        **os.environ,
        "FLASK_APP": "app",
        "APP_ENV": "development",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'board.db'}",
        "JWT_SECRET_KEY": "walkthrough-secret-that-is-long-enough-0123456789",
        "PORT": str(port),
    }
    for inherited in ("FLASK_DEBUG", "REDIS_URL", "TEST_DATABASE_URL", "LOGIN_RATE_LIMIT"):
        env.pop(inherited, None)
    flask = [sys.executable, "-m", "flask"]
    upgrade = subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, capture_output=True, timeout=60)
    assert upgrade.returncode == 0, upgrade.stderr
    # `make run` is quiet about migrations (migrations/alembic.ini): no INFO lines from Alembic.
    assert b"INFO" not in upgrade.stderr, upgrade.stderr
    with (tmp_path / "server.log").open("wb") as log:
        command = [*flask, "run", "--host", "127.0.0.1", "--port", str(port), "--no-reload"]
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(process)


def test_the_walkthrough_has_commands_and_outputs():
    blocks = walkthrough_blocks(README.read_text())
    assert len(blocks) >= 8
    assert sum(1 for _, output in blocks if output) >= 7
    assert blocks[0][0].startswith(f"BASE=http://{DOCUMENTED_HOST}\n")


@pytest.mark.skipif(shutil.which("curl") is None, reason="the walkthrough uses curl")
def test_the_readme_walkthrough_answers_what_the_readme_shows(fresh_make_run: str, tmp_path: Path):
    blocks = walkthrough_blocks(README.read_text())
    script = "set -u\n" + "".join(
        commands.replace(f"http://{DOCUMENTED_HOST}", fresh_make_run) + f"printf '\\n%s\\n' '{END}'\n"
        for commands, _ in blocks
    )
    run = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert run.returncode == 0 and run.stderr == "", run.stderr
    outputs = run.stdout.split(f"\n{END}\n")[: len(blocks)]
    assert len(outputs) == len(blocks), run.stdout
    for (commands, expected), actual in zip(blocks, outputs, strict=True):
        assert masked(actual, fresh_make_run) == masked(expected, fresh_make_run), commands


def test_swagger_uis_register_example_is_free_after_the_walkthrough(client):
    """A reader who ran the walkthrough, then presses Execute on POST /auth/register in Swagger UI,
    gets a 201, not a 409: the example's username and email are not the walkthrough's."""
    walkthrough = "".join(commands for commands, _ in walkthrough_blocks(README.read_text()))
    taken = re.findall(r'"(?:username|email)": "([^"]+)"', walkthrough)
    assert "alice" in taken
    spec = client.get("/openapi.json").json
    example = spec["components"]["schemas"]["UserCreate"]["properties"]
    for field in ("username", "email"):
        assert example[field]["example"] not in taken, field
    login = spec["components"]["schemas"]["Login"]["properties"]["username"]["example"]
    assert login == example["username"]["example"]
