"""Nosniff on every response; no-store where tokens or private data travel; Vary: Origin."""

from __future__ import annotations

import pytest

from db import db
from tests.conftest import bearer, make_app
from tests.support import create_board

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def assert_security_headers(response) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get_all(name) == [value], (name, response.status_code)


RESPONSES = {
    "200 list": lambda c, u: c.get("/boards"),
    "200 token": lambda c, u: c.post(
        "/auth/login", json={"username": "alice", "password": "correct horse battery"}
    ),
    "201": lambda c, u: c.post("/boards", json={"title": "t"}, headers=u["headers"]),
    "204": lambda c, u: c.delete(f"/boards/{create_board(c, u)['id']}", headers=u["headers"]),
    "304": lambda c, u: c.get("/boards/1", headers={"If-None-Match": c.get("/boards/1").headers["ETag"]}),
    "401": lambda c, u: c.get("/auth/me"),
    "404 route": lambda c, u: c.get("/no/such/thing"),
    "404 row": lambda c, u: c.get("/boards/999"),
    "405": lambda c, u: c.delete("/health"),
    "413": lambda c, u: c.post("/auth/login", data=b"x" * (1024 * 1024 + 1), content_type="application/json"),
    "415": lambda c, u: c.post("/boards", data="title=x", content_type="text/plain", headers=u["headers"]),
    "422": lambda c, u: c.post("/boards", json={}, headers=u["headers"]),
    "swagger ui": lambda c, u: c.get("/swagger-ui"),
    "swagger asset": lambda c, u: c.get("/swagger-ui/assets/swagger-ui.css"),
    "openapi": lambda c, u: c.get("/openapi.json"),
    "redirect": lambda c, u: c.get("/"),
}


@pytest.mark.parametrize("send", RESPONSES.values(), ids=RESPONSES.keys())
def test_every_response_has_the_security_headers(client, alice, send):
    create_board(client, alice)
    response = send(client, alice)
    response.close()  # a static file answer holds the file open until then
    assert_security_headers(response)


def test_an_unhandled_error_has_them_too(database_url):
    app = make_app(database_url, TESTING=False)

    @app.get("/boom")
    def boom():
        raise RuntimeError("boom")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert_security_headers(response)


def no_store(response) -> bool:
    return response.headers.get("Cache-Control") == "no-store"


def test_tokens_and_private_data_are_never_stored(client, alice, make_user):
    login = client.post("/auth/login", json={"username": "alice", "password": "correct horse battery"})
    assert login.status_code == 200 and no_store(login)
    refresh = client.post("/auth/refresh", headers=bearer(alice["refresh_token"]))
    assert refresh.status_code == 200 and no_store(refresh)
    me = client.get("/auth/me", headers=alice["headers"])
    assert me.status_code == 200 and no_store(me)
    own = client.get(f"/users/{alice['id']}", headers=alice["headers"])
    assert (own.status_code, own.json["email"]) == (200, "alice@example.com") and no_store(own)
    changed = client.patch(f"/users/{alice['id']}", json={"username": "alice2"}, headers=alice["headers"])
    assert changed.status_code == 200 and no_store(changed)
    body = {"username": "bob", "email": "bob@example.com", "password": "correct horse battery"}
    registered = client.post("/auth/register", json=body)
    assert registered.status_code == 201 and no_store(registered)


def test_no_store_covers_the_errors_of_those_operations(client):
    failed = client.post("/auth/login", json={"username": "nobody", "password": "wrong password"})
    assert failed.status_code == 401 and no_store(failed)
    assert no_store(client.get("/auth/me"))


def test_public_data_stays_cacheable(client, alice, make_user):
    bob = make_user("bob")
    create_board(client, alice)
    for response in (
        client.get("/boards"),
        client.get("/boards/1"),
        client.get(f"/users/{alice['id']}"),
        client.get("/users"),
    ):
        assert response.status_code == 200
        assert "Cache-Control" not in response.headers
    # Someone else's profile, with a token: it says whether the caller follows them.
    followed = client.get(f"/users/{alice['id']}", headers=bob["headers"])
    assert (followed.json["followed"], followed.headers["Cache-Control"]) == (False, "private")


FRONT_END = "https://board.example"


@pytest.fixture
def cors_app(tmp_path):
    def build(origins):
        app = make_app(f"sqlite:///{tmp_path / 'cors.db'}", CORS_ORIGINS=origins)
        with app.app_context():
            db.create_all()
        return app.test_client()

    return build


@pytest.mark.parametrize(
    "origins", [[FRONT_END], [FRONT_END, "http://localhost:3000"], ["*"]], ids=["one", "two", "any"]
)
@pytest.mark.parametrize(
    "origin", [FRONT_END, "https://evil.example", None], ids=["allowed", "other", "none"]
)
def test_answers_vary_on_origin_when_origins_are_configured(cors_app, origins, origin):
    client = cors_app(origins)
    headers = {"Origin": origin} if origin else {}
    for response in (client.get("/boards", headers=headers), client.get("/nothing", headers=headers)):
        assert "origin" in {v.strip().lower() for v in response.headers.get("Vary", "").split(",")}


def test_no_vary_on_origin_without_cors(client):
    # (boards vary by Authorization: the reader's own marks are in the body)
    assert "Origin" not in client.get("/boards", headers={"Origin": FRONT_END}).headers.get("Vary", "")
