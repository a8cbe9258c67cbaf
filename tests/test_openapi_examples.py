"""The request bodies Swagger UI proposes under "Try it out" are valid, and chain into a session.

Swagger UI fills the body editor from the operation's `example`, else from each property's
`example` (a placeholder such as "string" where there is none). A person who just presses Execute
down the page must get a success, not a 422.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import PASSWORD, bearer

PLACEHOLDERS = {"string": "string", "integer": 0, "number": 0, "boolean": True}


def resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = spec["components"]["schemas"][name]
    return node


def proposed_body(spec: dict[str, Any], operation: dict[str, Any]) -> Any:
    """What Swagger UI puts in the body editor for this operation."""
    media = operation["requestBody"]["content"]["application/json"]
    if "example" in media:
        return media["example"]
    if "examples" in media:
        return next(iter(media["examples"].values()))["value"]
    schema = resolve(spec, media["schema"])
    return {
        name: prop.get("example", PLACEHOLDERS.get(prop.get("type", "string")))
        for name, prop in schema["properties"].items()
        if not prop.get("readOnly")
    }


def test_every_proposed_request_body_succeeds_pressed_in_order(app: Flask, client: FlaskClient) -> None:
    spec = client.get("/openapi.json").json
    with_body = {
        (method.upper(), path): operation
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        if isinstance(operation, dict) and "requestBody" in operation
    }

    def press(method: str, path: str, headers: dict[str, str] | None = None, **ids: int) -> Any:
        body = proposed_body(spec, with_body.pop((method, path)))
        response = client.open(path.format(**ids), method=method, json=body, headers=headers)
        return response, body

    registered, account = press("POST", "/auth/register")
    assert registered.status_code == 201, registered.json
    logged_in, credentials = press("POST", "/auth/login")
    assert logged_in.status_code == 200, logged_in.json
    assert credentials["username"] == account["username"]
    auth = bearer(logged_in.json["access_token"])

    created, _ = press("POST", "/boards", auth)
    assert created.status_code == 201, created.json
    board_id = created.json["id"]
    for method in ("PUT", "PATCH"):
        changed, body = press(method, "/boards/{board_id}", auth, board_id=board_id)
        assert changed.status_code == 200, changed.json
        assert {key: changed.json[key] for key in body} == body
    commented, body = press("POST", "/boards/{board_id}/comments", auth, board_id=board_id)
    assert commented.status_code == 201, commented.json
    assert {key: commented.json[key] for key in body} == body
    edited, body = press("PATCH", "/comments/{comment_id}", auth, comment_id=commented.json["id"])
    assert edited.status_code == 200, edited.json
    assert {key: edited.json[key] for key in body} == body
    renamed, body = press("PATCH", "/users/{user_id}", auth, user_id=registered.json["id"])
    assert renamed.status_code == 200, renamed.json
    assert {key: renamed.json[key] for key in body} == body
    # The message example writes to user 2: registered here, it reads the message (PATCH).
    recipient = {"username": "recipient", "email": "recipient@example.com", "password": PASSWORD}
    assert client.post("/auth/register", json=recipient).json["id"] == 2
    sent, _ = press("POST", "/messages", auth)
    assert sent.status_code == 201, sent.json
    recipient_tokens = client.post("/auth/login", json={"username": "recipient", "password": PASSWORD}).json
    read, body = press(
        "PATCH",
        "/messages/{message_id}",
        bearer(recipient_tokens["access_token"]),
        message_id=sent.json["id"],
    )
    assert read.status_code == 200, read.json
    assert read.json["read_at"] is not None
    # The recipient reports the board and the comment; the author, made an admin, dismisses the
    # board's case and bans the recipient.
    recipient_auth = bearer(recipient_tokens["access_token"])
    for path, ids in (
        ("/boards/{board_id}/reports", {"board_id": board_id}),
        ("/comments/{comment_id}/reports", {"comment_id": commented.json["id"]}),
    ):
        reported, body = press("POST", path, recipient_auth, **ids)
        assert reported.status_code == 201, reported.json
        assert {key: reported.json[key] for key in body} == body
    made_admin = app.test_cli_runner().invoke(args=["users", "make-admin", renamed.json["username"]])
    assert made_admin.exit_code == 0, made_admin.output
    acted, body = press("PATCH", "/moderation/cases/{case_id}", auth, case_id=1)
    assert acted.status_code == 200, acted.json
    assert acted.json["status"] == "dismissed"
    banned, body = press("PUT", "/users/{user_id}/ban", auth, user_id=2)
    assert banned.status_code == 200, banned.json
    assert banned.json["banned"] is True
    # Forums are an admin's to create and change.
    name = renamed.json["username"]
    admin_tokens = client.post("/auth/login", json={"username": name, "password": PASSWORD})
    admin = bearer(admin_tokens.json["access_token"])
    forum, body = press("POST", "/forums", admin)
    assert forum.status_code == 201, forum.json
    assert {key: forum.json[key] for key in body} == body
    renamed_forum, body = press("PATCH", "/forums/{forum_id}", admin, forum_id=forum.json["id"])
    assert renamed_forum.status_code == 200, renamed_forum.json
    assert {key: renamed_forum.json[key] for key in body} == body
    logged_out, _ = press("POST", "/auth/logout", auth)
    assert logged_out.status_code == 200, logged_out.json
    reset, _ = press("POST", "/auth/password-reset")
    assert reset.status_code == 202, reset.json
    # The token of the proposed body is a placeholder (the schema says so): the real one comes by
    # mail. The placeholder is refused as a token, which shows the rest of the body is valid.
    confirmed, _ = press("POST", "/auth/password-reset/confirm")
    assert (confirmed.status_code, confirmed.json["error"]) == (422, "invalid_reset_token")

    # A new operation with a body needs its proposed body checked here too.
    assert with_body == {}


def test_username_pattern_is_whole_value_in_python_and_in_the_document(client: FlaskClient) -> None:
    # The document's pattern is read as ECMA-262 by browsers and generated clients: no `\Z`.
    spec = client.get("/openapi.json").json
    assert spec["components"]["schemas"]["UserCreate"]["properties"]["username"]["pattern"] == (
        r"^[A-Za-z0-9_-]{3,30}(?![\s\S])"
    )
    body = {"email": "newline@example.com", "password": "correct horse battery"}
    response = client.post("/auth/register", json={**body, "username": "alice\n"})
    assert response.status_code == 422
    assert response.json["errors"] == {"json": {"username": ["3 to 30 letters, digits, '_' or '-'."]}}
    assert client.post("/auth/register", json={**body, "username": "alice"}).status_code == 201


def test_every_error_response_shows_the_body_this_api_sends_for_its_status(client: FlaskClient) -> None:
    spec = client.get("/openapi.json").json
    shared = spec["components"]["responses"]
    seen = set()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if not isinstance(operation, dict):
                continue
            for status, response in operation["responses"].items():
                if "$ref" in response:
                    response = shared[response["$ref"].rsplit("/", 1)[-1]]
                media = response.get("content", {}).get("application/json", {})
                if media.get("schema") != {"$ref": "#/components/schemas/Error"}:
                    continue
                code = 500 if status == "default" else int(status)
                # One example, or several by name (the creates' 422: a field, or Idempotency-Key).
                examples = (
                    [media["example"]]
                    if "example" in media
                    else [named["value"] for named in media["examples"].values()]
                )
                where = f"{method.upper()} {path} {status}"
                for example in examples:
                    assert example["code"] == code, where
                    assert set(example) - {"errors"} == {"code", "status", "message", "error"}, where
                    seen.add((code, example["error"]))
    assert {
        (401, "authorization_required"),
        (401, "invalid_credentials"),
        (403, "forbidden"),
        (404, "not_found"),
        (409, "username_taken"),
        (412, "precondition_failed"),
        (422, "unprocessable_entity"),
        (500, "internal_server_error"),
    } <= seen
    # Examples are what the service really answers, e.g. a failed login and a missing token:
    login_401 = spec["paths"]["/auth/login"]["post"]["responses"]["401"]["content"]["application/json"]
    wrong = client.post("/auth/login", json={"username": "nobody", "password": "not the password"})
    assert (wrong.status_code, wrong.json) == (401, login_401["example"])
    create_401 = spec["paths"]["/boards"]["post"]["responses"]["401"]["content"]["application/json"]
    anonymous = client.post("/boards", json={"title": "Hello"})
    assert (anonymous.status_code, anonymous.json) == (401, create_401["example"])
