"""speedups.install: the SPEEDUPS setting, every speed-up in place with the pinned libraries, and
a service that answers the same, byte for byte, with them and without them."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

import speedups
from app import Config
from db import db
from resources.json_bodies import JSONProvider
from speedups import smorest, sqlite_text
from speedups.json_provider import OrjsonProvider
from tests.conftest import PASSWORD, bearer, make_app

APP_SPEEDUPS = frozenset(speedups.APP)


def test_the_setting() -> None:
    assert (
        speedups.chosen(None) == speedups.chosen("on") == speedups.chosen(" ON ") == frozenset(speedups.ALL)
    )
    assert speedups.chosen("off") == frozenset()
    assert speedups.chosen("json, access_log") == {"json", "access_log"}
    for wrong in ("yes", "json,fast", ",", "0"):
        with pytest.raises(ValueError, match="SPEEDUPS"):
            speedups.chosen(wrong)
    assert Config.from_env({})["SPEEDUPS"] == "on"
    with pytest.raises(ValueError, match="SPEEDUPS"):
        Config.from_env({"SPEEDUPS": "of"})  # a typo fails at start-up


def test_every_speedup_applies_with_the_pinned_libraries(tmp_path) -> None:
    """Each speed-up that relies on a library's private interface checks it first and stays out
    when it changed: after such an upgrade this fails, instead of the speed-up vanishing."""
    app = make_app(f"sqlite:///{tmp_path / 'on.db'}", SPEEDUPS="on")
    assert app.extensions["speedups"] == APP_SPEEDUPS
    assert isinstance(app.json, OrjsonProvider)


def test_off_installs_none(tmp_path) -> None:
    app = make_app(f"sqlite:///{tmp_path / 'off.db'}", SPEEDUPS="off")
    assert app.extensions["speedups"] == frozenset()
    assert type(app.json) is JSONProvider  # the app's own reader: it refuses duplicated keys
    assert smorest.PARSED_QUERIES not in app.extensions
    with app.app_context():
        assert not speedups.installed("pagination_dict")
        assert sqlite_text.text_processor(db.engine.dialect, str) is None
    (limiter,) = app.extensions["limiter"]
    assert any(getattr(hook, "__self__", None) is limiter for hook in app.before_request_funcs[None])


def test_off_leaves_pyjwt_alone() -> None:
    """The one speed-up of the whole process: a fresh one with SPEEDUPS=off keeps PyJWT's parse."""
    script = (
        "from jwt import api_jws\n"
        "from tests.conftest import make_app\n"
        "make_app('sqlite://', SPEEDUPS='off')\n"
        "assert 'parses_once' not in vars(api_jws._jws_global_obj), 'wrapped'\n"
        "make_app('sqlite://', SPEEDUPS='jwt_parse')\n"
        "assert api_jws._jws_global_obj._load.parses_once\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_the_test_apps_follow_the_environment(tmp_path, monkeypatch) -> None:
    """`SPEEDUPS=off make test` runs the whole suite without them (.ci/run does)."""
    monkeypatch.setenv("SPEEDUPS", "off")
    assert make_app(f"sqlite:///{tmp_path / 'a.db'}").extensions["speedups"] == frozenset()
    monkeypatch.setenv("SPEEDUPS", "json")
    assert make_app(f"sqlite:///{tmp_path / 'b.db'}").extensions["speedups"] == {"json"}


# Both apps answer from one database; each counts in its own rate-limit file, so both see the same
# counts when sent the same requests.
LIMITS = {"LOGIN_RATE_LIMIT": "2 per hour"}


@pytest.fixture
def apps(tmp_path) -> Iterator[tuple[Flask, Flask]]:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    on, off = (
        make_app(url, SPEEDUPS=setting, RATE_LIMIT_FILE=str(tmp_path / f"limits-{setting}.sqlite3"), **LIMITS)
        for setting in ("on", "off")
    )
    with on.app_context():
        db.create_all()
    yield on, off
    for app in (on, off):
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def user(client: FlaskClient, name: str) -> dict[str, Any]:
    body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
    registered = client.post("/auth/register", json=body)
    assert registered.status_code == 201, registered.json
    tokens = client.post("/auth/login", json={"username": name, "password": PASSWORD}).json
    return {**registered.json, "headers": bearer(tokens["access_token"])}


def answer(response: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    return response.status_code, list(response.headers.items()), response.get_data()


def write(client: FlaskClient, method: str, path: str, headers: dict, **kwargs: Any) -> Any:
    response = client.open(path, method=method, headers=headers, **kwargs)
    assert response.status_code < 300, response.json
    return response.json


def test_the_same_answers_with_and_without_speedups(apps) -> None:
    """Every hot path and its errors: the same status, headers (in order) and bytes."""
    on, off = (app.test_client() for app in apps)
    alice, bob = user(on, "alice"), user(on, "bob")
    boards = [write(on, "POST", "/boards", alice["headers"], json={"title": f"Board {n}"}) for n in range(5)]
    board = write(on, "POST", "/boards", bob["headers"], json={"title": "Ünïcode \u2028 🙂", "content": "é"})
    first = write(on, "POST", f"/boards/{board['id']}/comments", alice["headers"], json={"content": "Hi"})
    reply = {"content": "Hello", "parent_id": first["id"]}
    write(on, "POST", f"/boards/{board['id']}/comments", bob["headers"], json=reply)
    write(on, "PUT", f"/boards/{boards[0]['id']}/like", bob["headers"])
    write(on, "PUT", f"/users/{alice['id']}/follow", bob["headers"])
    anonymous: dict[str, str] = {}
    reads = [
        ("GET", "/boards?page_size=2", anonymous),
        ("GET", "/boards?page_size=2", bob["headers"]),
        ("GET", "/boards?page_size=2&page=2", anonymous),
        ("GET", "/boards?page_size=2&page=2", anonymous),  # remembered by the query cache now
        ("GET", f"/boards?page_size=2&before={boards[3]['id']}", anonymous),
        ("GET", "/boards?sort=top", anonymous),
        ("GET", "/boards?page=99", anonymous),
        ("GET", "/boards?page_size=abc", anonymous),
        ("GET", "/boards?page_size=abc", anonymous),  # a 422 each time
        ("GET", f"/boards/{board['id']}", anonymous),
        ("GET", f"/boards/{boards[0]['id']}", bob["headers"]),
        ("GET", f"/boards/{board['id']}/comments", anonymous),
        ("GET", "/boards/feed?page_size=2", bob["headers"]),
        ("GET", "/auth/me", alice["headers"]),
        ("GET", "/auth/me", bearer("not.a.token")),
        ("GET", "/auth/me", anonymous),
        ("GET", f"/users/{alice['id']}", bob["headers"]),
        ("GET", "/users?page_size=1", anonymous),
        ("GET", "/boards/999999", anonymous),
        ("GET", "/nowhere", anonymous),
        ("DELETE", "/boards", alice["headers"]),
        ("POST", "/boards", alice["headers"]),
        ("POST", "/boards", {**alice["headers"], "Content-Type": "text/plain"}),
    ]
    for method, path, headers in reads:
        assert answer(on.open(path, method=method, headers=headers)) == answer(
            off.open(path, method=method, headers=headers)
        ), (method, path)
    bad_bodies = [{"title": ""}, {"title": "x", "author_id": 1}, {"title": 2**70}]
    for body in bad_bodies:
        sent = {"method": "POST", "headers": alice["headers"], "json": body}
        assert answer(on.open("/boards", **sent)) == answer(off.open("/boards", **sent)), body
    # Writes that leave the data as they found it: a like and its undoing, through each app.
    like = f"/boards/{board['id']}/like"
    liked, unliked = [], []
    for client in (on, off):
        liked.append(answer(client.put(like, headers=alice["headers"])))
        unliked.append(answer(client.delete(like, headers=alice["headers"])))
    assert liked[0] == liked[1]
    assert unliked[0] == unliked[1]
    assert (liked[0][0], unliked[0][0]) == (200, 200)


def test_the_same_rate_limit_answers_with_and_without_speedups(apps) -> None:
    """A limited endpoint (failed logins count; the third is a 429) and an unlimited one."""
    on, off = (app.test_client() for app in apps)
    body = {"username": "dave", "email": "dave@example.com", "password": PASSWORD}
    assert on.post("/auth/register", json=body).status_code == 201  # no login yet: none counted
    failed = {"username": "dave", "password": "wrong password"}
    for attempt in range(3):
        got = [client.post("/auth/login", json=failed) for client in (on, off)]
        statuses, headers, bodies = zip(*(answer(response) for response in got), strict=True)
        assert statuses == ((401, 401) if attempt < 2 else (429, 429))
        assert bodies[0] == bodies[1]
        assert [name for name, _ in headers[0]] == [name for name, _ in headers[1]]
        for (name, one), (_, other) in zip(headers[0], headers[1], strict=True):
            if name in ("X-RateLimit-Reset", "Retry-After"):  # seconds: the clock may tick between
                assert abs(int(one) - int(other)) <= 1, name
            else:
                assert one == other, name
        assert ("Retry-After" in dict(headers[0])) == (attempt == 2)
    assert json.loads(bodies[0])["error"] == "rate_limited"
    got = [answer(client.get("/health")) for client in (on, off)]
    assert got[0] == got[1]
    assert "X-RateLimit-Limit" not in dict(got[0][1])
