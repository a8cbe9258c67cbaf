"""Every error, from any route, is JSON in one shape; never HTML, never a trace."""

import pytest
from flask import Flask

from tests.conftest import error, make_app


def test_unknown_route(client):
    response = client.get("/no/such/thing")
    assert response.status_code == 404
    assert response.content_type == "application/json"
    assert response.json == error(404, "not_found", "The requested resource was not found.")


def test_method_not_allowed_keeps_allow(client):
    response = client.delete("/health")
    assert response.status_code == 405
    assert response.json == error(
        405, "method_not_allowed", "The method is not allowed for the requested URL."
    )
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}


def test_body_too_large(database_url):
    app = make_app(database_url, MAX_CONTENT_LENGTH=1024)
    response = app.test_client().post(
        "/auth/register", data=b'{"username": "' + b"x" * 2048 + b'"}', content_type="application/json"
    )
    assert response.status_code == 413
    assert response.json == error(
        413, "request_entity_too_large", "The request body is larger than 1024 bytes."
    )


def test_default_body_limit_is_one_mebibyte(app):
    assert app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024


@pytest.fixture
def failing_app(database_url) -> Flask:
    app = make_app(database_url, TESTING=False)

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    return app


def test_unhandled_exception_is_a_json_500_without_details(failing_app, caplog):
    response = failing_app.test_client().get("/boom")
    assert response.status_code == 500
    assert response.json == error(500, "internal_server_error", "The server hit an unexpected error.")
    assert b"secret internals" not in response.data
    assert "secret internals" in caplog.text  # logged for the operator, not shown to the client


@pytest.mark.parametrize(
    ("body", "content_type"),
    [(b"{not json", "application/json"), (b"[1, 2]", "application/json"), (b"null", "application/json")],
)
def test_unusable_json_is_422(client, body, content_type):
    response = client.post("/auth/login", data=body, content_type=content_type)
    assert response.status_code == 422
    assert response.json["error"] == "unprocessable_entity"
    assert "errors" in response.json


def test_the_root_redirects_to_swagger_ui(client):
    response = client.get("/")
    assert (response.status_code, response.headers["Location"], response.data) == (302, "/swagger-ui", b"")
    assert client.head("/").status_code == 302
    landed = client.get("/", follow_redirects=True)
    assert (landed.status_code, landed.content_type) == (200, "text/html; charset=utf-8")
    assert b"swagger-ui" in landed.data
    other = client.post("/")
    assert other.status_code == 405
    assert other.json["error"] == "method_not_allowed"
