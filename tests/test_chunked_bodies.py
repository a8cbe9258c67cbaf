"""A chunked body over MAX_CONTENT_LENGTH is refused whole with the JSON 413, on the
Werkzeug server of `flask run`, under gunicorn and under `make serve`, over a raw socket (clients cannot be trusted
to send what they declare, and only a raw socket sends exactly these bytes)."""

from __future__ import annotations

import contextlib
import json
import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from db import db
from tests.conftest import PASSWORD, error, make_app
from tests.servers import gunicorn, live_server, make_serve

LIMIT = 1000


def registration(username: str, size: int) -> bytes:
    """A valid registration body of exactly `size` bytes."""
    body = {"username": username, "email": f"{username}@example.com", "password": PASSWORD}
    text = json.dumps(body)
    return (text[:-1] + " " * (size - len(text)) + "}").encode()


def chunked_post(
    base_url: str, path: str, body: bytes, chunk_size: int = 300, keep_alive: bool = False, extra: str = ""
) -> tuple[int, dict, dict]:
    """POST `body` with Transfer-Encoding: chunked, in chunks of `chunk_size`."""
    chunks = [body[i : i + chunk_size] for i in range(0, len(body), chunk_size)]
    framed = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks) + b"0\r\n\r\n"
    return raw_post(base_url, path, framed, keep_alive, extra)


def raw_post(
    base_url: str, path: str, framed: bytes, keep_alive: bool = False, extra: str = ""
) -> tuple[int, dict, dict]:
    """POST the chunk-framed bytes `framed` as they are; (status, headers, JSON body). Reads until
    the server closes the connection: with `keep_alive`, only a server that closes it returns."""
    host, port = base_url.removeprefix("http://").split(":")
    connection = "keep-alive" if keep_alive else "close"
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
        f"Transfer-Encoding: chunked\r\nConnection: {connection}\r\n{extra}\r\n"
    ).encode()
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        # The server may answer before it has read it all: the answer is what counts.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(head + framed)
        response = b""
        while data := sock.recv(65536):
            response += data
    head_bytes, _, content = response.partition(b"\r\n\r\n")
    status_line, *header_lines = head_bytes.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in header_lines)}
    return int(status_line.split()[1]), headers, json.loads(content)


BROKEN_FRAMING = error(400, "bad_request", "The chunked request body is malformed or was cut off.")
TOO_LARGE = error(413, "request_entity_too_large", f"The request body is larger than {LIMIT} bytes.")


# granian's HTTP layer (make serve) drops a body whose chunk framing is broken: the app gets none.
NO_BODY = {
    "code": 422,
    "status": "Unprocessable Entity",
    "message": "A JSON request body is required.",
    "error": "unprocessable_entity",
    "errors": {"json": {"_schema": ["A JSON request body is required."]}},
}


def check_server(
    base_url: str, registered: Callable[[str], bool], broken_framing: tuple[int, dict] = (400, BROKEN_FRAMING)
) -> None:
    # The first LIMIT bytes alone are a valid registration: cut there, it would be processed.
    over = registration("cut_here", LIMIT) + b" " * 4000
    status, headers, body = chunked_post(base_url, "/auth/register", over)
    assert (status, body) == (413, TOO_LARGE)
    assert headers["content-type"] == "application/json"
    assert headers["x-content-type-options"] == "nosniff"
    assert not registered("cut_here")
    # Asked to keep the connection, the server still closes it: the unread rest of the body must
    # not be read as the next request.
    status, headers, body = chunked_post(base_url, "/auth/register", over, keep_alive=True)
    assert (status, body, headers.get("connection")) == (413, TOO_LARGE, "close")
    # One byte over is over too; at the limit and below, a chunked body works like any other.
    assert chunked_post(base_url, "/auth/register", registration("one_over", LIMIT + 1))[0] == 413
    assert not registered("one_over")
    status, _, body = chunked_post(base_url, "/auth/register", registration("at_limit", LIMIT))
    assert (status, body["username"]) == (201, "at_limit")
    status, _, body = chunked_post(base_url, "/auth/register", registration("small", 120), chunk_size=7)
    assert (status, body["username"]) == (201, "small")
    # Broken chunk framing is the client's error, in the one error shape.
    for framing in (b"zz\r\nabc\r\n0\r\n\r\n", b"-5\r\nabcde\r\n0\r\n\r\n"):
        status, headers, body = raw_post(base_url, "/auth/register", framing)
        assert (status, body) == broken_framing
        assert headers["content-type"] == "application/json"


@pytest.fixture
def small_limit_app(database_url):
    app = make_app(database_url, MAX_CONTENT_LENGTH=LIMIT)
    with app.app_context():
        db.create_all()
    return app


def test_werkzeug_dev_server_refuses_a_chunked_body_over_the_limit_whole(small_limit_app):
    def registered(username: str) -> bool:
        return any(user["username"] == username for user in small_limit_app.test_client().get("/users").json)

    with live_server(small_limit_app) as url:
        check_server(url, registered)
        # A small Content-Length beside `chunked` changes nothing (gunicorn refuses such a
        # request outright, before the app).
        over = registration("both_headers", LIMIT) + b" " * 4000
        status, _, body = chunked_post(url, "/auth/register", over, extra="Content-Length: 10\r\n")
        assert (status, body) == (413, TOO_LARGE)
        assert not registered("both_headers")


@pytest.fixture
def gunicorn_url(tmp_path: Path) -> Iterator[str]:
    database = tmp_path / "chunked.db"
    app = make_app(f"sqlite:///{database}")
    with app.app_context():
        db.create_all()
    env = {
        "DATABASE_URL": f"sqlite:///{database}",
        "JWT_SECRET_KEY": "c" * 40,
        "MAX_CONTENT_LENGTH": str(LIMIT),
        "APP_ENV": os.environ.get("APP_ENV", "development"),
    }
    with gunicorn(env, tmp_path / "gunicorn.log") as url:
        yield url


@pytest.mark.slow
def test_gunicorn_refuses_a_chunked_body_over_the_limit_whole(gunicorn_url, tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'chunked.db'}")

    def registered(username: str) -> bool:
        return any(user["username"] == username for user in app.test_client().get("/users").json)

    check_server(gunicorn_url, registered)


@pytest.mark.slow
def test_make_serve_refuses_a_chunked_body_over_the_limit_whole(tmp_path):
    """The same under `make serve` (granian), except broken chunk framing: granian drops the body
    before the app sees it, and the app answers that it got none."""
    database = tmp_path / "chunked.db"
    app = make_app(f"sqlite:///{database}")
    env = {
        "DATABASE_URL": f"sqlite:///{database}",
        "JWT_SECRET_KEY": "c" * 40,
        "MAX_CONTENT_LENGTH": str(LIMIT),
    }

    def registered(username: str) -> bool:
        return any(user["username"] == username for user in app.test_client().get("/users").json)

    with make_serve(env, tmp_path / "serve.log") as url:
        check_server(url, registered, broken_framing=(422, NO_BODY))
