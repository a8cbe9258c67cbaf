"""`make` alone (or `make help`) lists every target, one line each."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tests.servers import ROOT


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_alone_lists_every_target_in_one_line_each():
    makefile = (ROOT / "Makefile").read_text()
    phony = {name for line in re.findall(r"^\.PHONY: (.*)$", makefile, re.M) for name in line.split()}
    shown = subprocess.run(["make", "-s"], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    listed = [line.split()[0] for line in lines]
    assert sorted(listed) == sorted(phony)
    assert all(len(line.split(maxsplit=1)) == 2 for line in lines), lines  # a name and what it does
