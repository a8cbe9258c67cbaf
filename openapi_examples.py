"""Examples for the error responses of the OpenAPI document, one per status code.

Left alone, Swagger UI shows every error response with one generic sample built from
ErrorSchema (`"error": "not_found"` under a 401, `additionalProp1` under a 409). A person reading
the page should see the body this service really sends for that status.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from apispec import BasePlugin

from errors import error_body

VALIDATION_ERRORS = {"json": {"title": ["Missing data for required field."]}}
EXAMPLES: dict[int, dict[str, Any]] = {
    401: error_body(
        401, "An access token is required: send 'Authorization: Bearer <token>'.", "authorization_required"
    ),
    403: error_body(403, "Only the owner or an admin may do this.", "forbidden"),
    404: error_body(404),
    409: error_body(409, "That username is already taken.", "username_taken"),
    412: error_body(412, "The resource changed since you read it: fetch it again.", "precondition_failed"),
    413: error_body(413),
    422: error_body(422, errors=VALIDATION_ERRORS),
    429: error_body(429, "Too many login attempts: try again later.", "rate_limited"),
    500: error_body(500),
    503: error_body(503, error="database_unavailable"),
}
ERROR_SCHEMA_REF = {"$ref": "#/components/schemas/Error"}
PHRASES = {status.phrase: status.value for status in HTTPStatus}


def add_example(response: dict[str, Any], status: int) -> None:
    """Give an error response (one whose body is the Error schema) the body this API sends."""
    media = response.get("content", {}).get("application/json")
    if status < 400 or not media or media.get("schema") != ERROR_SCHEMA_REF:
        return
    if "example" not in media and "examples" not in media:
        media["example"] = EXAMPLES.get(status) or error_body(status)


class ErrorExamplesPlugin(BasePlugin):
    """An apispec plugin: `Api(app, spec_kwargs={"extra_plugins": [ErrorExamplesPlugin()]})`."""

    def operation_helper(
        self, path: str | None = None, operations: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        for operation in (operations or {}).values():
            for status, response in operation.get("responses", {}).items():
                # Strings name shared responses, which response_helper handles.
                if isinstance(response, dict):
                    add_example(response, 500 if status == "default" else int(status))

    def response_helper(self, response: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        # Shared responses (UNPROCESSABLE_ENTITY, DEFAULT_ERROR…) only carry their status as a phrase.
        add_example(response, PHRASES.get(response.get("description", ""), 500))
        return response
