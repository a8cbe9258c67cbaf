"""Examples for the error responses of the OpenAPI document: one per status code, and per operation
for 422, so that each operation shows a body it can really answer.

Left alone, Swagger UI shows every error response with one generic sample built from
ErrorSchema (`"error": "not_found"` under a 401, `additionalProp1` under a 409), and every 422
shares flask-smorest's one response (a missing `title` under `/auth/login`). A person reading
the page should see the body this service really sends for that status and that operation.

The same plugin documents the 413 and 415 of every operation that reads a body, and writes
nullable nested schemas the way client generators read them (see nullable_reference).
"""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any, TypeVar

from apispec import APISpec, BasePlugin
from flask_smorest import Blueprint

from errors import error_body
from resources.blueprint import NOT_JSON

F = TypeVar("F", bound=Callable[..., Any])

# What webargs/marshmallow answer; the 422 of an operation is derived from its inputs with these.
MISSING = "Missing data for required field."
UNKNOWN = "Unknown field."
VALIDATION_EXAMPLE_KEY = "x-validation-example"
MORE_VALIDATION_EXAMPLES_KEY = "x-more-validation-examples"
EXAMPLES: dict[int, dict[str, Any]] = {
    401: error_body(
        401, "An access token is required: send 'Authorization: Bearer <token>'.", "authorization_required"
    ),
    403: error_body(403, "Only the owner or an admin may do this.", "forbidden"),
    404: error_body(404),
    409: error_body(409, "That username is already taken.", "username_taken"),
    412: error_body(412, "The resource changed since you read it: fetch it again.", "precondition_failed"),
    413: error_body(413, "The request body is larger than 1048576 bytes."),
    415: error_body(415, NOT_JSON),
    500: error_body(500),
    503: error_body(503, error="database_unavailable"),
}
ERROR_SCHEMA_REF = {"$ref": "#/components/schemas/Error"}
PHRASES = {status.phrase: status.value for status in HTTPStatus}


BODY_ERRORS = {
    413: "The body is larger than MAX_CONTENT_LENGTH (error: request_entity_too_large).",
    415: "A body that is not JSON, or sent without 'Content-Type: application/json'.",
}


def error_response_doc(
    status: int, description: str, example: dict[str, Any] | None = None
) -> dict[str, Any]:
    """An error response of the OpenAPI document, with the body this API sends."""
    media = {"schema": ERROR_SCHEMA_REF, "example": example or EXAMPLES.get(status) or error_body(status)}
    return {"description": description, "content": {"application/json": media}}


def validation_example(blp: Blueprint, errors: dict[str, Any]) -> Callable[[F], F]:
    """Show this 422 `errors` under the operation, when the one derived from its inputs (a missing
    required field, an unknown field, a page number below 1) is not the most telling."""
    return blp.doc(**{VALIDATION_EXAMPLE_KEY: errors})


def more_validation_examples(blp: Blueprint, examples: dict[str, dict[str, Any]]) -> Callable[[F], F]:
    """Show these 422 bodies (by name) beside the operation's own 422 example: other ways the
    same operation answers 422 (a header's rule, say)."""
    return blp.doc(**{MORE_VALIDATION_EXAMPLES_KEY: examples})


def add_example(response: dict[str, Any], status: int) -> None:
    """Give an error response (one whose body is the Error schema) the body this API sends."""
    media = response.get("content", {}).get("application/json")
    if status < 400 or not media or media.get("schema") != ERROR_SCHEMA_REF:
        return
    if "example" not in media and "examples" not in media:
        media["example"] = EXAMPLES.get(status) or error_body(status)


def derived_validation_errors(spec: APISpec, operation: dict[str, Any]) -> dict[str, Any]:
    """A 422 this operation really answers: its body without the first required field (or with an
    unknown one), else its first query parameter out of range."""
    body = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if body is not None:
        ref = body.get("schema", {}).get("$ref", "")
        schema = spec.components.schemas.get(ref.rsplit("/", 1)[-1], {})
        required = schema.get("required") or []
        return {"json": {required[0]: [MISSING]} if required else {"id": [UNKNOWN]}}
    names = [p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"]
    if "page" in names:
        return {"query": {"page": ["Must be greater than or equal to 1."]}}
    return {"query": {names[0]: ["Not a valid value."]}} if names else {"json": {"_schema": [UNKNOWN]}}


NULLABLE_OBJECT = {"type": "object", "nullable": True}


def nullable_reference(prop: dict[str, Any]) -> None:
    """A nullable nested schema (`fields.Nested(X, allow_none=True)`) as `allOf: [X], nullable`.

    apispec writes it as `anyOf: [X, {"type": "object", "nullable": true}]`, which
    openapi-python-client turns into a second, empty model (`X | XType1Type0 | None`); with
    allOf it generates `X | None`, as meant.
    """
    options = prop.get("anyOf")
    if options and NULLABLE_OBJECT in options and len(options) == 2:
        del prop["anyOf"]
        prop["allOf"] = [option for option in options if option != NULLABLE_OBJECT]
        prop["nullable"] = True


class ErrorExamplesPlugin(BasePlugin):
    """An apispec plugin: `Api(app, spec_kwargs={"extra_plugins": [ErrorExamplesPlugin()]})`.
    It runs after flask-smorest's marshmallow plugin, so that schemas are already references."""

    def init_spec(self, spec: APISpec) -> None:
        self.spec = spec

    def operation_helper(
        self, path: str | None = None, operations: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        for operation in (operations or {}).values():
            responses = operation.get("responses", {})
            errors = operation.pop(VALIDATION_EXAMPLE_KEY, None)
            more = operation.pop(MORE_VALIDATION_EXAMPLES_KEY, None)
            if "requestBody" in operation:
                # Every operation that reads a body refuses one too large or not JSON, before it
                # is parsed (security.refuse_oversize_bodies, resources/blueprint.py).
                for status in (413, 415):
                    if status not in responses and str(status) not in responses:
                        responses[str(status)] = error_response_doc(status, BODY_ERRORS[status])
            for status in list(responses):
                response = responses[status]
                own_example = isinstance(response, dict) and "example" in response.get("content", {}).get(
                    "application/json", {}
                )
                if str(status) == "422" and not own_example:
                    # An operation's own 422 instead of the shared one (a name, resolved later).
                    example = error_body(
                        422, errors=errors or derived_validation_errors(self.spec, operation)
                    )
                    responses[status] = error_response_doc(422, HTTPStatus(422).phrase, example)
                    if more:
                        media = responses[status]["content"]["application/json"]
                        named = {"validation": media.pop("example"), **more}
                        media["examples"] = {name: {"value": value} for name, value in named.items()}
                elif isinstance(responses[status], dict):  # strings name shared responses
                    add_example(responses[status], 500 if status == "default" else int(status))

    def schema_helper(self, name: str, definition: dict[str, Any], **kwargs: Any) -> None:
        for prop in definition.get("properties", {}).values():
            nullable_reference(prop)

    def response_helper(self, response: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        # Shared responses (DEFAULT_ERROR…) only carry their status as a phrase.
        add_example(response, PHRASES.get(response.get("description", ""), 500))
        return response
