"""`make serve` right after `make install`: the runtime requirements alone, no test tools.

The virtual environment is made by `make serve VENV=…` itself, as on a fresh machine, in
build/runtime-venv-<hash of requirements.txt> (kept between runs: a second run only serves).
"""

from __future__ import annotations

import ast
import hashlib
import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import TEST_SECRET
from tests.servers import ROOT, http, make_serve

pytestmark = pytest.mark.slow

REQUIREMENTS = (ROOT / "requirements.txt").read_bytes()
RUNTIME_VENV = ROOT / "build" / f"runtime-venv-{hashlib.sha256(REQUIREMENTS).hexdigest()[:12]}"


@pytest.fixture(scope="module")
def runtime_served(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, str, str]:
    folder = tmp_path_factory.mktemp("runtime")
    env = {
        "DATABASE_URL": f"sqlite:///{folder / 'serve.db'}",
        "JWT_SECRET_KEY": TEST_SECRET,
        "APP_ENV": "production",
        "REDIS_URL": "",
    }
    log = folder / "serve.log"
    with make_serve(env, log, make_args=(f"VENV={RUNTIME_VENV}",), timeout=900) as url:
        status, body = http("GET", url + "/health")
    return status, body, log.read_text()


def test_make_serve_answers_from_a_runtime_only_environment(runtime_served: tuple[int, str, str]):
    status, body, log = runtime_served
    assert (status, json.loads(body)) == (200, {"status": "ok"}), log[-3000:]
    assert "Starting granian" in log
    # Production mode without mail settings: said at start-up, and the service serves anyway.
    assert "Password reset mails will not work: MAIL_SERVER is not set" in log


def test_the_environment_has_no_test_tools(runtime_served: tuple[int, str, str]):
    python = RUNTIME_VENV / "bin" / "python"
    for module in ("pytest", "yaml", "ruff"):
        found = subprocess.run([python, "-c", f"import {module}"], capture_output=True)
        assert found.returncode != 0, f"{module} is installed by requirements.txt"


def test_the_preloaded_libraries_are_all_that_the_app_imports_there(runtime_served: tuple[int, str, str]):
    """ops.serving.LIBRARIES, checked where PyYAML is absent: every one imports, and the app imports
    nothing else from site-packages (the same check as tests/test_serving_hooks.py, with the test
    tools installed)."""
    script = (
        "import sys; from ops import serving; serving.preload_libraries(); before = set(sys.modules); import app; "
        "print(sorted(m for m in set(sys.modules) - before "
        "if 'site-packages' in (getattr(sys.modules[m], '__file__', None) or '')))"
    )
    python = Path(RUNTIME_VENV / "bin" / "python")
    result = subprocess.run([python, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    loaded = ast.literal_eval(result.stdout.strip())
    assert all(name.split(".")[0] == "gunicorn" for name in loaded), loaded
