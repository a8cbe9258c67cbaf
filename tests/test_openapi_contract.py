"""The OpenAPI rules, held for every operation, the ones added later included: operationIds, `required`
lists in response schemas, empty 204/304 responses and per-operation error examples."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

METHODS = {"get", "post", "put", "patch", "delete"}
CAMEL_CASE = re.compile(r"[a-z][a-z0-9]*(?:[A-Z][a-z0-9]*)*")
# Generated clients name their functions after these: they never change once published.
STABLE_IDS = {
    ("post", "/auth/register"): "register",
    ("post", "/auth/login"): "login",
    ("post", "/auth/refresh"): "refreshTokens",
    ("post", "/auth/logout"): "logout",
    ("post", "/auth/logout-all"): "logoutAll",
    ("get", "/auth/me"): "getCurrentUser",
    ("get", "/users"): "listUsers",
    ("get", "/users/{user_id}"): "getUser",
    ("patch", "/users/{user_id}"): "updateUser",
    ("delete", "/users/{user_id}"): "deleteUser",
    ("get", "/boards"): "listBoards",
    ("post", "/boards"): "createBoard",
    ("get", "/boards/{board_id}"): "getBoard",
    ("put", "/boards/{board_id}"): "replaceBoard",
    ("patch", "/boards/{board_id}"): "updateBoard",
    ("delete", "/boards/{board_id}"): "deleteBoard",
    ("get", "/health"): "getHealth",
}


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method, path, operation


def resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        kind, name = node["$ref"].split("/")[-2:]
        node = spec["components"][kind][name]
    return node


def test_every_operation_has_a_unique_camel_case_operation_id(spec):
    ids = {(method, path): operation.get("operationId") for method, path, operation in operations(spec)}
    for where, operation_id in ids.items():
        assert operation_id and CAMEL_CASE.fullmatch(operation_id), (where, operation_id)
    duplicates = {i for i in ids.values() if list(ids.values()).count(i) > 1}
    assert not duplicates
    assert {where: ids.get(where) for where in STABLE_IDS} == STABLE_IDS


def response_schemas(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(where, schema name, schema) of every object schema a response body uses, nested ones too."""
    for method, path, operation in operations(spec):
        for status, response in operation["responses"].items():
            media = resolve(spec, response).get("content", {}).get("application/json")
            pending = [media["schema"]] if media else []
            visited = set()  # a schema may nest itself (a comment's replies are comments)
            while pending:
                node = pending.pop()
                if node.get("type") == "array":
                    pending.append(node["items"])
                    continue
                if "$ref" in node:
                    if node["$ref"] in visited:
                        continue
                    visited.add(node["$ref"])
                name = node.get("$ref", "(inline)").rsplit("/", 1)[-1]
                schema = resolve(spec, node)
                yield f"{method.upper()} {path} {status}", name, schema
                for prop in schema.get("properties", {}).values():
                    # apispec wraps a $ref that has siblings (readOnly, nullable) in allOf.
                    pending += prop.get("allOf", []) + prop.get("anyOf", []) + prop.get("oneOf", [])
                    if "$ref" in prop or prop.get("type") == "array":
                        pending.append(prop)


def test_every_response_schema_lists_its_always_present_fields_as_required(spec):
    seen = set()
    for where, name, schema in response_schemas(spec):
        if schema.get("type") != "object" or "properties" not in schema:
            continue  # e.g. a free-form dict such as Error.errors
        seen.add(name)
        assert schema.get("required"), f"{name} ({where}) has no `required` list"
        assert set(schema["required"]) <= set(schema["properties"]), name
    assert {"Board", "BoardAuthor", "User", "UserPublic", "UserProfile", "Token", "Error"} <= seen
    # Optional only where the API leaves a field out: a profile's private fields, Error.errors.
    assert spec["components"]["schemas"]["UserProfile"]["required"] == [
        "created_at",
        "follower_count",
        "following_count",
        "id",
        "username",
    ]
    assert spec["components"]["schemas"]["Error"]["required"] == ["code", "error", "message", "status"]


def test_responses_without_a_body_declare_none(spec):
    # Typed generators read a response without content as "no value" rather than "anything".
    for method, path, operation in operations(spec):
        for status in {"204", "304"} & set(operation["responses"]):
            assert "content" not in resolve(spec, operation["responses"][status]), (method, path, status)


def test_timestamps_are_documented_as_the_api_writes_them(spec, client, make_user):
    example = spec["components"]["schemas"]["Board"]["properties"]["created_at"]["example"]
    created = client.post("/boards", json={"title": "Now"}, headers=make_user()["headers"]).json
    shape = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00")
    assert shape.fullmatch(example) and shape.fullmatch(created["created_at"])


def test_each_422_example_is_what_its_operation_answers(spec, client, make_user):
    """The example under each operation's 422 is really answered by that operation (the body or
    query of the example's own field), never one borrowed from another operation."""
    user = make_user()
    board = client.post("/boards", json={"title": "Mine"}, headers=user["headers"]).json
    requests = {
        "register": lambda: client.post("/auth/register", json={"username": "x_y", "password": "p" * 8}),
        "login": lambda: client.post("/auth/login", json={"username": "x_y"}),
        "logout": lambda: client.post(
            "/auth/logout", json={"refresh_token": "nope"}, headers=make_user()["headers"]
        ),
        "listUsers": lambda: client.get("/users?page=0"),
        "updateUser": lambda: client.patch(
            f"/users/{user['id']}", json={"email": "new@example.com"}, headers=user["headers"]
        ),
        "listBoards": lambda: client.get("/boards?page=2&before=5"),
        "createBoard": lambda: client.post("/boards", json={"content": "x"}, headers=user["headers"]),
        "replaceBoard": lambda: client.put(f"/boards/{board['id']}", json={}, headers=user["headers"]),
        "updateBoard": lambda: client.patch(
            f"/boards/{board['id']}", json={"id": 1}, headers=user["headers"]
        ),
        "listForums": lambda: client.get("/forums?page=0"),
        "createForum": lambda: client.post("/forums", json={"name": "Careers"}, headers=user["headers"]),
        "updateForum": lambda: client.patch("/forums/1", json={"id": 1}, headers=user["headers"]),
        "listMyForums": lambda: client.get("/users/me/forums?page=0", headers=user["headers"]),
    }
    media = {
        operation["operationId"]: resolve(spec, operation["responses"]["422"])["content"]["application/json"]
        for _, _, operation in operations(spec)
        if "422" in operation["responses"]
    }
    # The creates show more than one 422 by name (test_idempotency.py holds the others): the
    # example of a field is "validation".
    documented = {
        operation_id: found["example"] if "example" in found else found["examples"]["validation"]["value"]
        for operation_id, found in media.items()
    }
    assert set(documented) >= set(requests)
    for operation_id, send in requests.items():
        response = send()
        assert (response.status_code, response.json) == (422, documented[operation_id]), operation_id
    # Login's example names login's own field, not another resource's.
    assert documented["login"]["errors"] == {"json": {"password": ["Missing data for required field."]}}


def test_the_rate_limited_example_is_the_real_answer(spec, app, client, register):
    app.config["LOGIN_RATE_LIMIT"] = "1 per minute"
    example = spec["paths"]["/auth/login"]["post"]["responses"]["429"]["content"]["application/json"]
    user = register()
    for _ in range(2):
        response = client.post("/auth/login", json={"username": user["username"], "password": "wrong one"})
    assert (response.status_code, response.json) == (429, example["example"])


def test_every_operation_with_a_body_documents_413_and_415_as_answered(spec, client, make_user):
    with_body = [(m, p, op) for m, p, op in operations(spec) if "requestBody" in op]
    assert len(with_body) >= 7
    for method, path, operation in with_body:
        assert {"413", "415"} <= set(operation["responses"]), (method, path)
    examples = {
        status: spec["paths"]["/boards"]["post"]["responses"][status]["content"]["application/json"][
            "example"
        ]
        for status in ("413", "415")
    }
    headers = make_user()["headers"]
    not_json = client.post("/boards", data="title=Hello", content_type="text/plain", headers=headers)
    assert (not_json.status_code, not_json.json) == (415, examples["415"])
    too_large = client.post("/boards", json={"title": "x" * 2**21}, headers=headers)
    assert (too_large.status_code, too_large.json) == (413, examples["413"])


def test_a_nullable_nested_schema_is_a_nullable_reference():
    """`author: {id, username} | null` (comments, messages) must reach generated clients as
    `Author | None`, not as a union with an empty second model."""
    from apispec import APISpec
    from apispec.ext.marshmallow import MarshmallowPlugin
    from marshmallow import Schema, fields

    from resources.openapi_examples import ErrorExamplesPlugin

    class AuthorSchema(Schema):
        id = fields.Integer(required=True)

    class NoteSchema(Schema):
        author = fields.Nested(AuthorSchema, required=True, allow_none=True, dump_only=True)
        text = fields.String(required=True, allow_none=True)

    spec = APISpec("t", "1", "3.0.3", plugins=[MarshmallowPlugin(), ErrorExamplesPlugin()])
    spec.components.schema("Note", schema=NoteSchema)
    properties = spec.to_dict()["components"]["schemas"]["Note"]["properties"]
    assert properties["author"] == {
        "allOf": [{"$ref": "#/components/schemas/Author"}],
        "nullable": True,
        "readOnly": True,
    }
    assert properties["text"] == {"type": "string", "nullable": True}
