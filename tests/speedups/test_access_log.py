"""speedups.access_log.AccessLogger writes gunicorn's access log line, byte for byte, for less CPU."""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import Any

import pytest
from gunicorn import glogging
from gunicorn.config import Config

from speedups import access_log
from speedups.access_log import AccessLogger

STAMP = re.compile(r"\[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\]")


class Response:
    def __init__(self, status: Any, sent: int | None) -> None:
        self.status, self.sent = status, sent
        self.headers = [("Content-Type", "application/json"), ("ETag", '"abc"')]


class Request:
    headers = (("HOST", "127.0.0.1"), ("USER-AGENT", "wrk"))


def environ(**extra: str) -> dict[str, str]:
    base = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/boards?page_size=20",
        "PATH_INFO": "/boards",
        "QUERY_STRING": "page_size=20",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
    }
    return {**base, **extra}


CASES = [
    (Response("200 OK", 512), environ()),
    (Response(201, 0), environ(REQUEST_METHOD="POST", RAW_URI="/boards")),
    (
        Response("304 Not Modified", None),
        environ(HTTP_REFERER="https://example.com/", HTTP_USER_AGENT="curl/8"),
    ),
    (Response("404 NOT FOUND", 90), environ(RAW_URI='/x"y', HTTP_USER_AGENT='a "quoted" agent')),
    (Response("200 OK", 12), environ(HTTP_AUTHORIZATION="Basic YWxpY2U6c2VjcmV0")),  # alice:secret
    (Response("200 OK", 12), environ(HTTP_AUTHORIZATION="Bearer eyJ.x.y")),
]


def lines(logger_class: type[glogging.Logger], path: Path, **settings: str) -> list[str]:
    config = Config()
    config.set("accesslog", str(path))
    for name, value in settings.items():
        config.set(name, value)
    logger = logger_class(config)
    # pytest attaches its capture handler to every logger that does not propagate (gunicorn's):
    # with a second handler, AccessLogger would rightly leave the line to gunicorn's code.
    logger.access_log.handlers = [h for h in logger.access_log.handlers if getattr(h, "_gunicorn", False)]
    for response, env in CASES:
        logger.access(response, Request, env, datetime.timedelta(microseconds=1500))
    for handler in logger.access_log.handlers:
        handler.close()
    return path.read_text().splitlines()


@pytest.mark.parametrize("settings", [{}, {"access_log_format": '%(h)s "%(r)s" %(s)s %(L)s %({etag}o)s'}])
def test_same_lines_as_gunicorn(tmp_path: Path, settings: dict[str, str], monkeypatch):
    by_gunicorn: list[Any] = []
    original = glogging.Logger.access
    monkeypatch.setattr(
        glogging.Logger, "access", lambda self, *args: by_gunicorn.append(original(self, *args))
    )
    ours = lines(AccessLogger, tmp_path / "ours.log", **settings)
    assert len(by_gunicorn) == (len(CASES) if settings else 0)  # its own format: gunicorn's code
    theirs = lines(glogging.Logger, tmp_path / "gunicorn.log", **settings)
    assert len(ours) == len(CASES)
    assert [STAMP.sub("[T]", line) for line in ours] == [STAMP.sub("[T]", line) for line in theirs]
    if not settings:
        assert all(STAMP.search(line) for line in ours)
        assert ours[4].startswith("127.0.0.1 - alice [")
        assert ours[3].endswith('"GET /x\\"y HTTP/1.1" 404 90 "-" "a \\"quoted\\" agent"')


def test_no_access_log_writes_nothing(tmp_path: Path):
    config = Config()  # gunicorn's default: no access log
    AccessLogger(config).access(*CASES[0][:1], Request, CASES[0][1], datetime.timedelta(0))
    assert list(tmp_path.iterdir()) == []


@pytest.fixture(autouse=True)
def speedups_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPEEDUPS", "on")


def is_fast(path: Path) -> bool:
    config = Config()
    config.set("accesslog", str(path))
    logger = AccessLogger(config)
    for handler in logger.access_log.handlers:
        handler.close()
    return logger.fast


def test_it_writes_the_lines_itself_with_the_pinned_gunicorn(tmp_path) -> None:
    assert access_log.applicable()
    assert is_fast(tmp_path / "a.log")


@pytest.mark.parametrize(
    ("setting", "fast"),
    [(None, True), ("on", True), ("json,access_log", True), ("off", False), ("json", False)],
)
def test_speedups_off_leaves_every_line_to_gunicorn(monkeypatch, tmp_path, setting, fast):
    if setting is None:
        monkeypatch.delenv("SPEEDUPS", raising=False)
    else:
        monkeypatch.setenv("SPEEDUPS", setting)
    monkeypatch.setattr(access_log, "dotenv_values", lambda path: {})
    assert is_fast(tmp_path / "a.log") is fast
    written: list[Any] = []
    monkeypatch.setattr(glogging.Logger, "access", lambda self, *args: written.append(args))
    ours = lines(AccessLogger, tmp_path / "b.log")
    assert (len(ours), len(written)) == ((len(CASES), 0) if fast else (0, len(CASES)))


def test_a_setting_in_dotenv_counts_too(monkeypatch):
    monkeypatch.delenv("SPEEDUPS", raising=False)
    monkeypatch.setattr(access_log, "dotenv_values", lambda path: {"SPEEDUPS": "off"})
    assert access_log.enabled() is False


def test_gunicorn_writes_them_when_gunicorn_changed(monkeypatch, tmp_path):
    monkeypatch.setattr(access_log.gunicorn, "version_info", (28, 0, 0))
    assert is_fast(tmp_path / "a.log") is False
