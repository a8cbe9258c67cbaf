"""Fixtures of the password reset tests: a real SMTP server (aiosmtpd) on a free port of 127.0.0.1,
started per test and stopped after it, and an app that sends through it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.password_reset.support import RESET_URL
from tests.smtp_server import SmtpServer, mail_config


@pytest.fixture
def app_config(smtp: SmtpServer) -> dict[str, Any]:
    """The app sends through the test's SMTP server (a test may override this fixture)."""
    return {**mail_config(smtp), "PASSWORD_RESET_URL": RESET_URL}
