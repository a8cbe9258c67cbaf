"""Spectral's `spectral:oas` ruleset finds no error in /openapi.json.

Spectral is a Node tool: the test runs it through `npx` (from npm's cache when it is there) and
is skipped where Node is not installed or the package cannot be had, so that `make test` does
not depend on npm. Warnings are allowed (see docs/development.md, Spectral).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

SPECTRAL = "@stoplight/spectral-cli@6.16.3"
NPX = shutil.which("npx")


@pytest.mark.skipif(NPX is None, reason="Spectral needs Node's npx")
def test_spectral_oas_ruleset_reports_no_errors(client, tmp_path: Path) -> None:
    (tmp_path / "openapi.json").write_text(json.dumps(client.get("/openapi.json").json))
    (tmp_path / ".spectral.yaml").write_text('extends: ["spectral:oas"]\n')
    command = [NPX or "npx", "--yes", "--prefer-offline", SPECTRAL, "lint", "openapi.json"]
    command += ["--ruleset", ".spectral.yaml", "--format", "json", "--quiet"]
    try:
        run = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        pytest.skip("npx could not fetch Spectral in time")
    start = run.stdout.find("[")
    if start < 0:
        pytest.skip(f"Spectral did not run: {run.stderr.strip()[-300:]}")
    findings = json.loads(run.stdout[start:])
    errors = [
        f"{f['code']} at {'.'.join(map(str, f['path']))}: {f['message']}"
        for f in findings
        if f["severity"] == 0
    ]
    assert errors == []
