"""What `make fuzz` relies on in the OpenAPI document, checked on every `make test`."""

from __future__ import annotations

import json

import jsonschema
from openapi_spec_validator import validate


def test_the_document_is_valid_openapi(client):
    validate(client.get("/openapi.json").json)


def test_x_pagination_is_documented_as_the_json_object_it_carries(client):
    """Header values are text: the object is described by its media type (`content`), which
    validators such as schemathesis do not read as the "simple" style `key,value,…`."""
    spec = client.get("/openapi.json").json
    header = spec["components"]["headers"]["PAGINATION"]
    assert "schema" not in header
    schema = header["content"]["application/json"]["schema"]
    assert schema["type"] == "object"
    jsonschema.validate(schema["example"], schema)
    for path in ("/boards", "/users"):
        headers = spec["paths"][path]["get"]["responses"]["200"]["headers"]
        assert headers["X-Pagination"] == {"$ref": "#/components/headers/PAGINATION"}
        assert headers["Link"] == {"$ref": "#/components/headers/LINK"}
    response = client.get("/boards")
    assert json.loads(response.headers["X-Pagination"]) == {"total": 0, "total_pages": 0}
    assert spec["components"]["headers"]["LINK"]["schema"]["type"] == "string"


def test_logout_all_is_documented_as_protected(client):
    operation = client.get("/openapi.json").json["paths"]["/auth/logout-all"]["post"]
    assert operation["security"] == [{"bearerAuth": []}]
    assert operation["tags"] == ["Auth"]
    assert operation["summary"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Message"
    }
    assert "401" in operation["responses"]


def test_the_username_pattern_is_ecma_and_still_refuses_a_trailing_newline(client):
    pattern = client.get("/openapi.json").json["components"]["schemas"]["UserCreate"]["properties"][
        "username"
    ]
    assert "\\Z" not in pattern["pattern"]
    body = {"username": "alice\n", "email": "alice@example.com", "password": "correct horse battery"}
    response = client.post("/auth/register", json=body)
    assert (response.status_code, response.json["errors"]) == (
        422,
        {"json": {"username": ["3 to 30 letters, digits, '_' or '-'."]}},
    )
    assert client.post("/auth/register", json={**body, "username": "alice"}).status_code == 201
