"""TRUSTED_PROXY_COUNT: which address is the client's (rate limits, the access log) behind proxies."""

from __future__ import annotations

import os
from typing import Any

import pytest
from flask import Flask, request
from werkzeug.test import Client

from db import db
from ops.request_log import RequestLog
from security.jwt_secret import InsecureConfigError
from tests.conftest import PASSWORD, error, make_app

FAILED_LOGINS = error(
    429,
    "rate_limited",
    "Too many failed logins for this account from this address: wait before trying again.",
)


def proxied_app(database_url: str, proxies: int | str) -> Flask:
    app = make_app(database_url, TRUSTED_PROXY_COUNT=proxies, LOGIN_RATE_LIMIT="2 per minute")
    with app.app_context():
        db.create_all()
    return app


def register(app: Flask) -> None:
    account = {"username": "target", "email": "target@example.com", "password": PASSWORD}
    assert app.test_client().post("/auth/register", json=account).status_code == 201


def wrong_login(app: Flask, forwarded_for: str | None, peer: str = "10.0.0.1") -> Any:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for is not None else {}
    return app.test_client().post(
        "/auth/login",
        json={"username": "target", "password": "not the password"},
        headers=headers,
        environ_base={"REMOTE_ADDR": peer},
    )


def test_the_default_is_no_proxy(database_url):
    assert make_app(database_url).config["TRUSTED_PROXY_COUNT"] == 0


def test_without_trusted_proxies_forwarded_headers_are_ignored(database_url):
    """A client naming a new address in each X-Forwarded-For gets no new budget."""
    app = proxied_app(database_url, 0)
    register(app)
    statuses = [wrong_login(app, f"198.51.100.{n}").status_code for n in range(3)]
    refused = wrong_login(app, "203.0.113.99")
    assert statuses == [401, 401, 429]
    assert (refused.status_code, refused.json) == (429, FAILED_LOGINS)


def test_behind_one_proxy_each_forwarded_client_has_its_own_budget(database_url):
    app = proxied_app(database_url, 1)
    register(app)
    first = [wrong_login(app, "203.0.113.7").status_code for _ in range(3)]
    second = [wrong_login(app, "198.51.100.2").status_code for _ in range(3)]
    assert (first, second) == ([401, 401, 429], [401, 401, 429])


def test_behind_one_proxy_values_a_client_prepends_are_never_read(database_url):
    """The proxy appends the address it saw: whatever the client sent before it changes nothing."""
    app = proxied_app(database_url, 1)
    register(app)
    statuses = [wrong_login(app, f"192.0.2.{n}, 203.0.113.7").status_code for n in range(3)]
    assert statuses == [401, 401, 429]


def test_behind_two_proxies_the_address_is_the_second_from_the_right(database_url):
    app = proxied_app(database_url, 2)
    register(app)
    statuses = [wrong_login(app, f"192.0.2.{n}, 203.0.113.7, 10.1.1.1").status_code for n in range(3)]
    other = wrong_login(app, "192.0.2.1, 198.51.100.2, 10.1.1.1")
    assert (statuses, other.status_code) == ([401, 401, 429], 401)


def test_a_request_with_fewer_forwarded_addresses_than_proxies_keeps_its_peer(database_url):
    """Fewer values than trusted proxies: the request did not come through them all, and its
    address stays the connection's peer."""
    app = proxied_app(database_url, 2)
    register(app)
    statuses = [wrong_login(app, f"192.0.2.{n}").status_code for n in range(3)]
    assert statuses == [401, 401, 429]


def scheme_seen(app: Flask, headers: dict[str, str]) -> str:
    app.add_url_rule("/scheme-probe", "scheme_probe", lambda: request.scheme)
    return app.test_client().get("/scheme-probe", headers=headers).get_data(as_text=True)


@pytest.mark.parametrize(
    "proxies, forwarded_proto, scheme",
    [(0, "https", "http"), (1, "https", "https"), (1, "http, https", "https"), (2, "https", "http")],
)
def test_the_scheme_follows_x_forwarded_proto_of_trusted_proxies_alone(
    database_url, proxies, forwarded_proto, scheme
):
    app = proxied_app(database_url, proxies)
    assert scheme_seen(app, {"X-Forwarded-Proto": forwarded_proto}) == scheme


def test_the_access_log_names_the_forwarded_client(database_url):
    reading, writing = os.pipe()
    try:
        logged = RequestLog(proxied_app(database_url, 1), fd=writing)
        response = Client(logged).get(
            "/health", headers={"X-Forwarded-For": "192.0.2.1, 203.0.113.7", "User-Agent": "probe"}
        )
        assert response.status_code == 200
        line = os.read(reading, 4096).decode()
    finally:
        os.close(reading)
        os.close(writing)
    assert line.startswith("203.0.113.7 - - [") and line.endswith(
        '"GET /health HTTP/1.1" 200 16 "-" "probe"\n'
    )


@pytest.mark.parametrize("value", ["-1", "one", "1.5", "²"])
def test_a_count_that_is_not_a_whole_number_is_refused_in_one_line(database_url, value):
    with pytest.raises(InsecureConfigError, match=r"^TRUSTED_PROXY_COUNT must be a whole number"):
        make_app(database_url, TRUSTED_PROXY_COUNT=value)


def test_the_count_is_read_from_the_environment(database_url, monkeypatch):
    monkeypatch.setenv("TRUSTED_PROXY_COUNT", "2")
    assert make_app(database_url).config["TRUSTED_PROXY_COUNT"] == 2
