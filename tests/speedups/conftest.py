"""The tests of the speed-ups run them, whatever SPEEDUPS says (each compares with the code
they replace)."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"SPEEDUPS": "on"}
