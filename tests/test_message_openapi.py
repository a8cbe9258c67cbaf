"""The OpenAPI document tells a client every answer the message operations can give (CONTRACT §6)."""

from __future__ import annotations

import pytest

from resources.messages import MESSAGE_RATE_LIMITED

ERROR_REF = {"$ref": "#/components/schemas/Error"}
# (path, method) -> (operationId, the documented status codes besides `default`).
OPERATIONS = {
    ("/messages", "get"): ("listMessages", {"200", "401", "422"}),
    ("/messages", "post"): ("sendMessage", {"201", "401", "409", "413", "415", "422", "429"}),
    ("/messages/{message_id}", "get"): ("getMessage", {"200", "401", "404"}),
    ("/messages/{message_id}", "patch"): (
        "markMessageRead",
        {"200", "401", "403", "404", "413", "415", "422"},
    ),
    ("/messages/{message_id}", "delete"): ("deleteMessage", {"204", "401", "404"}),
}


@pytest.fixture(scope="module")
def spec() -> dict:
    from tests.conftest import make_app

    return make_app("sqlite://").test_client().get("/openapi.json").json


@pytest.mark.parametrize(("path", "method"), sorted(OPERATIONS))
def test_operations_are_tagged_named_protected_and_document_their_errors(spec, path, method):
    operation = spec["paths"][path][method]
    operation_id, statuses = OPERATIONS[(path, method)]
    assert (operation["operationId"], operation["tags"]) == (operation_id, ["Messages"])
    assert operation["security"] == [{"bearerAuth": []}]
    assert set(operation["responses"]) - {"default"} == statuses
    for status, response in operation["responses"].items():
        if "$ref" in response:
            response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
        if status[0] in "45":
            assert response["content"]["application/json"]["schema"] == ERROR_REF, status


def test_the_rate_limit_is_documented_with_retry_after(spec):
    response = spec["paths"]["/messages"]["post"]["responses"]["429"]
    assert response["headers"]["Retry-After"]["required"] is True
    assert response["content"]["application/json"]["example"]["message"] == MESSAGE_RATE_LIMITED
    assert "Location" in spec["paths"]["/messages"]["post"]["responses"]["201"]["headers"]


def test_the_message_schema_says_what_is_always_there_and_what_may_be_null(spec):
    schemas = spec["components"]["schemas"]
    message = schemas["PrivateMessage"]
    assert set(message["required"]) == {"id", "sender", "recipient", "content", "created_at", "read_at"}
    assert message["properties"]["read_at"]["nullable"] is True
    for side in ("sender", "recipient"):
        assert message["properties"][side]["nullable"] is True
    assert set(schemas["MessageParty"]["required"]) == {"id", "username"}
    assert schemas["PrivateMessageUpdate"]["properties"]["read"]["enum"] == [True]
    content = schemas["PrivateMessageCreate"]["properties"]["content"]
    assert (content["minLength"], content["maxLength"]) == (1, 1000)
    assert "unread_messages" in schemas["Me"]["required"]


def test_list_filters_are_documented(spec):
    params = {p["name"]: p["schema"] for p in spec["paths"]["/messages"]["get"]["parameters"]}
    assert params["with"]["type"] == "integer"
    assert params["unread"] == {"type": "boolean", "default": False}
    assert "X-Pagination" in spec["paths"]["/messages"]["get"]["responses"]["200"]["headers"]
