"""ops/request_log.py: the access log line of `make serve`, in Apache's combined format."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator

import pytest
from werkzeug.test import Client

from ops.request_log import RequestLog
from tests.conftest import make_app

DATE = r"\[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\]"


@pytest.fixture
def pipe() -> Iterator[tuple[int, int]]:
    reading, writing = os.pipe()
    yield reading, writing
    for fd in (reading, writing):
        with contextlib.suppress(OSError):  # a test may have closed it
            os.close(fd)


def logged_line(app: object, pipe: tuple[int, int], path: str, **kwargs: object) -> tuple[int, str]:
    reading, writing = pipe
    client = Client(RequestLog(app, fd=writing))  # type: ignore[arg-type]
    response = client.get(path, environ_base={"REMOTE_ADDR": "127.0.0.1"}, **kwargs)
    response.close()
    return response.status_code, os.read(reading, 65536).decode()


def test_a_request_is_one_combined_format_line(database_url, pipe):
    app = make_app(database_url)
    status, line = logged_line(
        app, pipe, "/health?probe=1", headers={"User-Agent": "curl/8", "Referer": "http://a.example/"}
    )
    assert status == 200
    assert re.fullmatch(
        rf'127\.0\.0\.1 - - {DATE} "GET /health\?probe=1 HTTP/1\.1" 200 16 "http://a\.example/" "curl/8"\n',
        line,
    ), line


def test_the_target_is_rebuilt_escaped_when_the_server_gives_no_raw_uri(database_url, pipe):
    status, line = logged_line(make_app(database_url), pipe, "/no%20such%22page")
    assert status == 404
    assert '"GET /no%20such%22page HTTP/1.1" 404 ' in line


def test_quotes_and_control_characters_cannot_break_the_fields(database_url, pipe):
    _, line = logged_line(make_app(database_url), pipe, "/health", headers={"User-Agent": 'a" "b\x1bc'})
    assert line.endswith(' "-" "a\\" \\"b\\x1bc"\n'), line
    assert line.count("\n") == 1


def test_a_streamed_answer_logs_no_size(pipe):
    def streaming(environ: dict, start_response: object) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])  # type: ignore[operator]
        yield b"chunk"

    _, line = logged_line(streaming, pipe, "/")
    assert '"GET / HTTP/1.1" 200 - "-" "-"' in line


def test_a_line_that_cannot_be_written_never_fails_the_request(database_url, pipe):
    _, writing = pipe
    os.close(writing)  # a closed log
    response = Client(RequestLog(make_app(database_url), fd=writing)).get("/health")
    assert (response.status_code, response.json) == (200, {"status": "ok"})
