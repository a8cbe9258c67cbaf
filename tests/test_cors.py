"""CORS for browser front-ends: only the configured origins, with the headers they need."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from app import Config
from db import db
from tests.conftest import make_app

FRONT_END = "https://board.example"


@pytest.fixture
def cors_client(tmp_path) -> FlaskClient:
    app = make_app(f"sqlite:///{tmp_path / 'cors.db'}", CORS_ORIGINS=[FRONT_END, "http://localhost:3000"])
    with app.app_context():
        db.create_all()
    return app.test_client()


def header_set(value: str | None) -> set[str]:
    return {item.strip().lower() for item in (value or "").split(",") if item.strip()}


def test_cors_origins_come_from_a_comma_separated_variable():
    assert Config.from_env({})["CORS_ORIGINS"] == []
    assert Config.from_env({"CORS_ORIGINS": " https://a.example, https://b.example/ ,"})["CORS_ORIGINS"] == [
        "https://a.example",
        "https://b.example",
    ]


def test_preflight_allows_the_api_headers(cors_client):
    response = cors_client.options(
        "/boards/1",
        headers={
            "Origin": FRONT_END,
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "Authorization, Content-Type, If-Match",
        },
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == FRONT_END
    assert "patch" in header_set(response.headers["Access-Control-Allow-Methods"])
    assert header_set(response.headers["Access-Control-Allow-Headers"]) == {
        "authorization",
        "content-type",
        "if-match",
    }
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_preflight_allows_if_none_match(cors_client):
    response = cors_client.options(
        "/boards/1",
        headers={
            "Origin": FRONT_END,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "if-none-match",
        },
    )
    assert header_set(response.headers["Access-Control-Allow-Headers"]) == {"if-none-match"}


def test_preflight_does_not_allow_other_headers(cors_client):
    response = cors_client.options(
        "/boards",
        headers={
            "Origin": FRONT_END,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "X-Custom-Thing",
        },
    )
    assert "Access-Control-Allow-Headers" not in response.headers


def test_actual_request_exposes_pagination_etag_location_and_rate_limits(cors_client):
    response = cors_client.get("/boards", headers={"Origin": FRONT_END})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == FRONT_END
    assert header_set(response.headers["Access-Control-Expose-Headers"]) == {
        "x-pagination",
        "etag",
        "location",
        "retry-after",
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
    }
    assert "X-Pagination" in response.headers


def test_errors_carry_cors_headers_too(cors_client):
    """A browser can only read a 401's body when the error response has the CORS headers."""
    response = cors_client.get("/auth/me", headers={"Origin": FRONT_END})
    assert response.status_code == 401
    assert response.headers["Access-Control-Allow-Origin"] == FRONT_END


def test_other_origins_get_no_cors_headers(cors_client):
    response = cors_client.get("/boards", headers={"Origin": "https://evil.example"})
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers


def test_no_cors_origins_means_no_cross_origin_access(client):
    response = client.get("/boards", headers={"Origin": FRONT_END})
    preflight = client.options(
        "/boards", headers={"Origin": FRONT_END, "Access-Control-Request-Method": "POST"}
    )
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Access-Control-Allow-Origin" not in preflight.headers
