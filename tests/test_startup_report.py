"""In production, one start-up line when password reset mails cannot work; the service starts."""

from __future__ import annotations

import pytest

from tests.conftest import make_app

STRONG_SECRET = "a-production-secret-of-more-than-thirty-two-bytes-0123456789"
MAIL_OK = {"MAIL_SERVER": "smtp.example.org", "PASSWORD_RESET_URL": "https://board.example/reset"}
LINE = "Password reset mails will not work: "


def report_lines(capsys: pytest.CaptureFixture[str], database_url: str, **config: object) -> list[str]:
    app = make_app(database_url, APP_ENV="production", JWT_SECRET_KEY=STRONG_SECRET, **config)
    assert app.test_client().get("/health").status_code == 200  # it starts, and serves
    return [line for line in capsys.readouterr().err.splitlines() if LINE in line]


def test_both_missing_is_one_line_naming_both(capsys, database_url):
    (line,) = report_lines(capsys, database_url, MAIL_SERVER=None)
    assert line.endswith(
        "WARNING in board_api.mail: Password reset mails will not work: MAIL_SERVER is not set (no "
        "mail is sent) and PASSWORD_RESET_URL is not set (links would point at "
        "http://127.0.0.1:5000/reset-password); see docs/production.md."
    )


@pytest.mark.parametrize(
    "config, named, not_named",
    [
        ({**MAIL_OK, "MAIL_SERVER": None}, "MAIL_SERVER is not set", "PASSWORD_RESET_URL"),
        (
            {**MAIL_OK, "PASSWORD_RESET_URL": "http://localhost:8000/reset"},
            "PASSWORD_RESET_URL",
            "MAIL_SERVER",
        ),
    ],
    ids=["no-mail-server", "reset-url-on-this-machine"],
)
def test_one_missing_is_one_line_naming_it(capsys, database_url, config, named, not_named):
    (line,) = report_lines(capsys, database_url, **config)
    assert named in line and not_named not in line


def test_nothing_is_reported_when_both_are_set(capsys, database_url):
    assert report_lines(capsys, database_url, **MAIL_OK) == []


def test_nothing_is_reported_outside_production(capsys, database_url):
    make_app(database_url, MAIL_SERVER=None)
    assert LINE not in capsys.readouterr().err
