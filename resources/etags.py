"""Conditional requests: ETag / If-None-Match for reads, optional If-Match for writes.

flask-smorest's own @blp.etag answers 428 to a write without If-Match; this API promises that
If-Match is honoured when sent, not required.
"""

import hashlib
import json
import re
from collections.abc import Callable
from typing import Any, TypeVar

from flask import request
from flask_smorest import Blueprint, abort

from errors import ErrorSchema

F = TypeVar("F", bound=Callable[..., Any])

ETAG_HEADER = {"ETag": {"description": "Entity tag of the representation", "schema": {"type": "string"}}}


def etag_of(dumped: dict[str, Any]) -> str:
    digest = hashlib.sha1(json.dumps(dumped, sort_keys=True, default=str).encode()).hexdigest()
    return f'"{digest}"'


def not_modified(etag: str) -> bool:
    return request.if_none_match.contains_weak(etag.strip('"'))


# RFC 9110 §8.8.3: an entity tag is [W/]"…" (quotes required); If-Match is `*` or a list of them.
ENTITY_TAG = re.compile(r'(W/)?"[\x21\x23-\x7e\x80-\xff]*"')
MALFORMED_IF_MATCH = 'If-Match must be "*" or entity tags in double quotes, as the ETag header gives them.'


def well_formed_if_match(value: str) -> bool:
    members = [member.strip() for member in value.split(",") if member.strip()]  # empty ones are allowed
    if members == ["*"]:
        return True
    return bool(members) and all(ENTITY_TAG.fullmatch(member) for member in members)


def check_if_match(etag: str) -> None:
    """412 when the client sent If-Match and its tag is stale; nothing to check when it sent none.

    A malformed If-Match (empty, or a tag without its quotes) is a condition that no
    representation meets: 412 too (RFC 9110 §13.1.1), with a message that says what is wrong.
    Werkzeug would read it as no condition at all, or as a bare tag, and let the write through.
    """
    header = request.headers.get("If-Match")
    if header is None:
        return
    if not well_formed_if_match(header):
        abort(412, message=MALFORMED_IF_MATCH, error="precondition_failed")
    if not request.if_match.contains(etag.strip('"')):
        abort(
            412,
            message="The resource changed since you read it: fetch it again.",
            error="precondition_failed",
        )


def _header_param(name: str, description: str) -> dict[str, Any]:
    return {
        "in": "header",
        "name": name,
        "required": False,
        "description": description,
        "schema": {"type": "string"},
    }


def documents_if_none_match(blp: Blueprint) -> Callable[[F], F]:
    def decorator(fn: F) -> F:
        fn = blp.doc(
            parameters=[_header_param("If-None-Match", "ETag from an earlier read: 304 when unchanged")]
        )(fn)
        return blp.alt_response(304, description="Not modified", success=True)(fn)

    return decorator


def documents_if_match(blp: Blueprint) -> Callable[[F], F]:
    def decorator(fn: F) -> F:
        fn = blp.doc(
            parameters=[
                _header_param("If-Match", 'ETag from an earlier read (quoted), or "*": 412 when stale')
            ]
        )(fn)
        return blp.alt_response(
            412, schema=ErrorSchema, description="If-Match sent and stale, or malformed; nothing changed."
        )(fn)

    return decorator
