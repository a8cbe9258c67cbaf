"""The OpenAPI document tells a client every answer the boards and users operations can give."""

from __future__ import annotations

import pytest

ERROR_REF = {"$ref": "#/components/schemas/Error"}

# (path, method) -> the documented status codes besides `default`.
RESPONSES = {
    ("/boards", "get"): {"200", "401", "422"},
    ("/boards", "post"): {"201", "401", "409", "413", "415", "422"},
    ("/boards/{board_id}", "get"): {"200", "304", "401", "404"},
    ("/boards/{board_id}", "put"): {"200", "401", "403", "404", "412", "413", "415", "422"},
    ("/boards/{board_id}", "patch"): {"200", "401", "403", "404", "412", "413", "415", "422"},
    ("/boards/{board_id}", "delete"): {"204", "401", "403", "404", "412"},
    ("/users", "get"): {"200", "422"},
    ("/users/{user_id}", "get"): {"200", "401", "404"},
    ("/users/{user_id}", "patch"): {"200", "401", "403", "404", "409", "413", "415", "422", "429"},
    ("/users/{user_id}", "delete"): {"204", "401", "403", "404"},
    ("/boards/{board_id}/like", "put"): {"200", "401", "404"},
    ("/boards/{board_id}/like", "delete"): {"200", "401", "404"},
    ("/boards/{board_id}/scrap", "put"): {"200", "401", "404"},
    ("/boards/{board_id}/scrap", "delete"): {"200", "401", "404"},
    ("/users/me/scraps", "get"): {"200", "401", "422"},
    ("/forums", "get"): {"200", "422"},
    ("/forums", "post"): {"201", "401", "403", "409", "413", "415", "422"},
    ("/forums/{forum_id}", "get"): {"200", "404"},
    ("/forums/{forum_id}", "patch"): {"200", "401", "403", "404", "409", "413", "415", "422"},
    ("/forums/{forum_id}", "delete"): {"204", "401", "403", "404", "409"},
    ("/forums/{forum_id}/pin", "put"): {"200", "401", "404"},
    ("/forums/{forum_id}/pin", "delete"): {"200", "401", "404"},
    ("/users/me/forums", "get"): {"200", "401", "422"},
}


@pytest.mark.parametrize(("path", "method"), sorted(RESPONSES))
def test_documented_responses(spec, path, method):
    responses = spec["paths"][path][method]["responses"]
    assert set(responses) - {"default"} == RESPONSES[(path, method)]
    for status, response in responses.items():
        if "$ref" in response:  # a shared response, e.g. flask-smorest's 422
            response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
        if status[0] in "45":
            assert response["content"]["application/json"]["schema"] == ERROR_REF, status


@pytest.mark.parametrize("path", ["/boards", "/users", "/forums", "/users/me/forums"])
def test_lists_document_pagination(spec, path):
    operation = spec["paths"][path]["get"]
    params = {p["name"]: p for p in operation["parameters"]}
    assert params["page_size"]["schema"] == {"type": "integer", "default": 20, "minimum": 1, "maximum": 100}
    assert params["page"]["schema"] == {"type": "integer", "default": 1, "minimum": 1}
    assert "X-Pagination" in operation["responses"]["200"]["headers"]


def test_board_filters_and_conditional_headers_are_documented(spec):
    params = {p["name"] for p in spec["paths"]["/boards"]["get"]["parameters"]}
    assert {"author_id", "q"} <= params
    item = spec["paths"]["/boards/{board_id}"]
    assert "ETag" in item["get"]["responses"]["200"]["headers"]
    assert [p["name"] for p in item["get"]["parameters"] if p["in"] == "header"] == ["If-None-Match"]
    for method in ("put", "patch", "delete"):
        headers = [p for p in item[method]["parameters"] if p["in"] == "header"]
        assert [(p["name"], p["required"]) for p in headers] == [("If-Match", False)]


def test_public_profile_accepts_an_optional_token(spec):
    assert spec["paths"]["/users/{user_id}"]["get"]["security"] == [{}, {"bearerAuth": []}]
