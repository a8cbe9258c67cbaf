"""C0/C1 control characters are refused with 422 in every text input (tab, CR and LF
allowed in multi-line text only), query parameters included, and the OpenAPI document says so."""

from __future__ import annotations

import pytest

from schemas.forum import NAME_PATTERN
from schemas.text import MULTI_LINE_PATTERN, SINGLE_LINE_PATTERN
from schemas.user import ASCII_EMAIL
from tests.conftest import PASSWORD, bearer
from tests.support import create_board

SINGLE = "Control characters are not allowed."
MULTI = "Control characters other than tab and line breaks are not allowed."
REFUSED_EVERYWHERE = ["\x00", "\x01", "\x1f", "\x7f", "\x85", "\x9f"]
LINE_BREAKS = ["\t", "\n", "\r"]


# (method, path, body without the field, field, rule, template with {c}); {board} and {me} are filled in.
BODY_INPUTS = [
    ("POST", "/boards", {}, "title", SINGLE, "bad{c}title"),
    ("POST", "/boards", {"title": "t"}, "content", MULTI, "bad{c}content"),
    ("PUT", "/boards/{board}", {}, "title", SINGLE, "bad{c}title"),
    ("PUT", "/boards/{board}", {"title": "t"}, "content", MULTI, "bad{c}content"),
    ("PATCH", "/boards/{board}", {}, "title", SINGLE, "bad{c}title"),
    ("PATCH", "/boards/{board}", {}, "content", MULTI, "bad{c}content"),
    (
        "POST",
        "/auth/register",
        {"username": "bobby", "password": PASSWORD},
        "email",
        SINGLE,
        "bo{c}b@example.com",
    ),
    (
        "POST",
        "/auth/register",
        {"username": "bobby", "email": "b@example.com"},
        "password",
        SINGLE,
        "pass{c}word-long",
    ),
    ("POST", "/auth/login", {"password": PASSWORD}, "username", SINGLE, "alice{c}"),
    ("POST", "/auth/login", {"username": "alice"}, "password", SINGLE, "correct{c}horse"),
    ("POST", "/auth/logout", {}, "refresh_token", SINGLE, "abc{c}def"),
    ("PATCH", "/users/{me}", {}, "email", SINGLE, "alice{c}@example.com"),
    ("PATCH", "/users/{me}", {"current_password": PASSWORD}, "password", SINGLE, "new{c}password-x"),
    ("PATCH", "/users/{me}", {"password": "a new password 1"}, "current_password", SINGLE, "cur{c}rent"),
]


def send(client, alice, board, method, path, body, field, template, char):
    path = path.format(board=board["id"], me=alice["id"])
    payload = {**body, field: template.format(c=char)}
    return client.open(path, method=method, json=payload, headers=alice["headers"])


@pytest.mark.parametrize("char", REFUSED_EVERYWHERE, ids=lambda c: f"U+{ord(c):04X}")
@pytest.mark.parametrize(
    ("method", "path", "body", "field", "message", "template"),
    BODY_INPUTS,
    ids=[f"{m} {p} {f}" for m, p, _, f, _, _ in BODY_INPUTS],
)
def test_control_characters_are_refused_in_every_text_field(
    client, alice, method, path, body, field, message, template, char
):
    board = create_board(client, alice, title="kept", content="kept")
    response = send(client, alice, board, method, path, body, field, template, char)
    assert response.status_code == 422, response.json
    assert message in response.json["errors"]["json"][field]  # (emails: also "Not a valid email")
    # Nothing changed: the board, the account, the login.
    assert client.get(f"/boards/{board['id']}").json["title"] == "kept"
    assert client.get(f"/boards/{board['id']}").json["content"] == "kept"
    me = client.get("/auth/me", headers=alice["headers"])
    assert (me.status_code, me.json["email"]) == (200, "alice@example.com")


@pytest.mark.parametrize("char", LINE_BREAKS, ids=["tab", "LF", "CR"])
def test_multi_line_text_keeps_tab_and_line_breaks(client, alice, char):
    board = create_board(client, alice, content=f"one{char}two")
    assert client.get(f"/boards/{board['id']}").json["content"] == f"one{char}two"
    patched = client.patch(f"/boards/{board['id']}", json={"content": f"x{char}y"}, headers=alice["headers"])
    assert (patched.status_code, patched.json["content"]) == (200, f"x{char}y")


@pytest.mark.parametrize("char", LINE_BREAKS, ids=["tab", "LF", "CR"])
def test_single_line_text_refuses_tab_and_line_breaks(client, alice, char):
    response = client.post("/boards", json={"title": f"a{char}b"}, headers=alice["headers"])
    assert (response.status_code, response.json["errors"]) == (422, {"json": {"title": [SINGLE]}})
    trailing = client.post("/boards", json={"title": f"ab{char}"}, headers=alice["headers"])
    assert trailing.status_code == 422  # not even at the very end (where Python's `$` would match)
    assert client.get("/boards").json == []


def test_ordinary_unicode_is_not_a_control_character(client, alice):
    title = "Ünïcödé — 한국어 😀 \u00a0nbsp"
    board = create_board(client, alice, title=title, content="tab\tand\nlines")
    assert client.get(f"/boards/{board['id']}").json["title"] == title


@pytest.mark.parametrize("char", ["%00", "%1F", "%7F", "%C2%85", "%0A", "%09"])
def test_a_control_character_in_the_search_term_is_422(client, alice, char):
    create_board(client, alice, title="apple")
    response = client.get(f"/boards?q=apple{char}zzz")
    assert (response.status_code, response.json["errors"]) == (422, {"query": {"q": [SINGLE]}})


def test_the_search_term_still_finds_titles(client, alice):
    create_board(client, alice, title="apple pie")
    assert [b["title"] for b in client.get("/boards?q=apple").json] == ["apple pie"]


def test_login_with_a_control_character_is_422_not_a_failed_login(client, alice):
    response = client.post("/auth/login", json={"username": "alice", "password": PASSWORD + "\x00"})
    assert response.status_code == 422
    assert client.post("/auth/login", json={"username": "alice", "password": PASSWORD}).status_code == 200


def test_a_password_change_with_a_control_character_changes_nothing(client, alice):
    response = client.patch(
        f"/users/{alice['id']}",
        json={"password": "new\x00password-x", "current_password": PASSWORD},
        headers=alice["headers"],
    )
    assert response.status_code == 422
    assert client.get("/auth/me", headers=bearer(alice["access_token"])).status_code == 200  # not revoked
    assert client.post("/auth/login", json={"username": "alice", "password": PASSWORD}).status_code == 200


def string_inputs(spec: dict) -> list[tuple[str, dict]]:
    """Every string a client sends: request body properties and query parameters."""
    found = []
    for name, schema in spec["components"]["schemas"].items():
        for prop, field in schema.get("properties", {}).items():
            if field.get("type") == "string" and not field.get("readOnly"):
                found.append((f"{name}.{prop}", field))
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                if parameter.get("in") == "query" and parameter["schema"].get("type") == "string":
                    found.append((f"{method} {path} ?{parameter['name']}", parameter["schema"]))
    return found


def test_the_openapi_document_states_the_rule_for_every_text_input(client):
    spec = client.get("/openapi.json").json
    inputs = dict(string_inputs(spec))
    output_only = {"Error", "Token", "Message", "Health"}
    inputs = {k: v for k, v in inputs.items() if k.split(".")[0] not in output_only}
    # A credential, not text: every bad reset token is an invalid_reset_token, control characters too.
    inputs.pop("PasswordResetConfirm.token")
    assert {"BoardCreate.title", "BoardCreate.content", "Login.password", "get /boards ?q"} <= set(inputs)
    for where, field in inputs.items():
        if "enum" in field:
            continue  # a closed list of values (sort) says more than a pattern could
        assert "pattern" in field, where
        if field["pattern"] in (
            SINGLE_LINE_PATTERN,
            MULTI_LINE_PATTERN,
            NAME_PATTERN,
            ASCII_EMAIL.regex.pattern,
        ):
            assert "maxLength" in field, where
        else:  # usernames: a stricter pattern, letters, digits, '_' and '-' only
            assert "\\x00" not in field["pattern"] and "A-Za-z0-9" in field["pattern"], where
    assert inputs["BoardCreate.content"]["pattern"] == MULTI_LINE_PATTERN
    assert inputs["BoardCreate.title"]["pattern"] == SINGLE_LINE_PATTERN
    assert inputs["get /boards ?q"]["pattern"] == SINGLE_LINE_PATTERN
