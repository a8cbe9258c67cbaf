"""Bodies over MAX_CONTENT_LENGTH: 413 in the one error shape, through the test client and a real socket."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

from app import Config
from db import db
from tests.conftest import error, make_app

MIB = 1024 * 1024


def too_large(limit: int) -> dict:
    return error(413, "request_entity_too_large", f"The request body is larger than {limit} bytes.")


def json_body(size: int) -> bytes:
    """A valid JSON registration body of exactly `size` bytes."""
    body = {
        "username": "big_body",
        "email": "big@example.com",
        "password": "correct horse battery",
        "pad": "",
    }
    body["pad"] = "x" * (size - len(json.dumps(body)))
    data = json.dumps(body).encode()
    assert len(data) == size
    return data


def test_max_content_length_defaults_to_one_mib_and_reads_the_environment():
    assert Config.from_env({})["MAX_CONTENT_LENGTH"] == MIB
    assert Config.from_env({"MAX_CONTENT_LENGTH": "2048"})["MAX_CONTENT_LENGTH"] == 2048


def test_a_body_over_one_mib_is_413_json(client, make_user):
    user = make_user()
    board = {"title": "big", "content": "x" * MIB}
    response = client.post("/boards", json=board, headers=user["headers"])
    assert (response.status_code, response.json) == (413, too_large(MIB))
    assert client.get("/boards").json == []  # nothing was created


@pytest.mark.parametrize(
    "method, path", [("post", "/auth/register"), ("post", "/auth/login"), ("post", "/auth/logout-all")]
)
def test_every_route_refuses_an_oversize_body_even_one_it_would_not_read(client, method, path):
    response = getattr(client, method)(path, data=json_body(MIB + 1), content_type="application/json")
    assert (response.status_code, response.json) == (413, too_large(MIB))


def test_a_lowered_limit_is_honoured_to_the_byte(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'small.db'}", MAX_CONTENT_LENGTH=300)
    with app.app_context():
        db.create_all()
    client = app.test_client()
    over = client.post("/auth/register", data=json_body(301), content_type="application/json")
    assert (over.status_code, over.json) == (413, too_large(300))
    # At the limit the body is read, and validated: the pad field is unknown.
    at_limit = client.post("/auth/register", data=json_body(300), content_type="application/json")
    assert at_limit.status_code == 422
    assert at_limit.json["errors"] == {"json": {"pad": ["Unknown field."]}}


@pytest.fixture
def live_server(app) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def test_a_real_oversize_upload_over_http_gets_413_json(live_server):
    connection = http.client.HTTPConnection(live_server, timeout=30)
    try:
        connection.request(
            "POST", "/auth/register", body=json_body(MIB + 1), headers={"Content-Type": "application/json"}
        )
        response = connection.getresponse()
        assert response.status == 413
        assert response.getheader("Content-Type") == "application/json"
        assert json.loads(response.read()) == too_large(MIB)
    finally:
        connection.close()


# --- bodies that are missing or not JSON (found by schemathesis) -----------------------------------

BODY_REQUIRED = {
    **error(422, "unprocessable_entity", "A JSON request body is required."),
    "errors": {"json": {"_schema": ["A JSON request body is required."]}},
}
NOT_JSON = error(
    415, "unsupported_media_type", "Send the request body as JSON, with 'Content-Type: application/json'."
)


def test_a_patch_without_a_body_is_422_not_a_silent_no_op(client, make_user):
    user = make_user()
    board = client.post("/boards", json={"title": "kept"}, headers=user["headers"]).json
    before = client.get(f"/boards/{board['id']}")
    response = client.patch(f"/boards/{board['id']}", headers=user["headers"])
    assert (response.status_code, response.json) == (422, BODY_REQUIRED)
    assert client.get(f"/boards/{board['id']}").headers["ETag"] == before.headers["ETag"]
    no_user_body = client.patch(f"/users/{user['id']}", headers=user["headers"])
    assert (no_user_body.status_code, no_user_body.json) == (422, BODY_REQUIRED)


def test_an_empty_json_object_is_still_a_valid_patch(client, make_user):
    user = make_user()
    board = client.post("/boards", json={"title": "kept"}, headers=user["headers"]).json
    response = client.patch(f"/boards/{board['id']}", json={}, headers=user["headers"])
    assert (response.status_code, response.json["title"]) == (200, "kept")


def test_a_form_encoded_body_is_415(client, make_user):
    user = make_user()
    response = client.post("/boards", data={"title": "form"}, headers=user["headers"])
    assert (response.status_code, response.json) == (415, NOT_JSON)
    assert client.get("/boards").json == []


def test_logout_body_stays_optional(client, make_user):
    user = make_user()
    response = client.post("/auth/logout", headers=user["headers"])
    assert (response.status_code, response.json) == (200, {"message": "Logged out."})


def test_logout_with_a_body_that_is_not_json_is_415(client, make_user):
    user = make_user()
    response = client.post(
        "/auth/logout", data="refresh_token=x", content_type="text/plain", headers=user["headers"]
    )
    assert (response.status_code, response.json) == (415, NOT_JSON)
    assert client.get("/auth/me", headers=user["headers"]).status_code == 200  # not logged out
