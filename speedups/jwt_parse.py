"""PyJWT parses a token's segments once per token instead of four times per request.

Flask-JWT-Extended asks PyJWT for a token's header, its unverified claims, its header again and
its verified claims; each time PyJWT splits and base64-decodes the segments, checking every
character in a Python loop. Parsing is a pure function of the token string, so the last token's
parts are kept; everything that judges them (signature, algorithm, expiry, claims) still runs on
every call.

No public interface reaches this: Flask-JWT-Extended decodes through the module functions
`jwt.decode` / `jwt.get_unverified_header` in a private method, and its one public hook,
`decode_key_loader`, runs after the first two parses. So this wraps `PyJWS._load` of PyJWT's
shared instance, which makes it the one speed-up that holds for the whole process rather than
one app. It is applied only to the PyJWT major version it was written for, when that method and
instance are as expected; otherwise PyJWT is left alone (slower, as correct) with a warning.
"""

from __future__ import annotations

import inspect
from typing import Any

import jwt
from flask import Flask
from jwt import api_jws, api_jwt

import speedups

MAJOR_VERSION = "2."


def applicable() -> bool:
    """Whether PyJWT is still shaped as this wrapper expects."""
    jws = api_jws._jws_global_obj
    parse = getattr(type(jws), "_load", None)
    return (
        jwt.__version__.startswith(MAJOR_VERSION)
        and callable(parse)
        and list(inspect.signature(parse).parameters) == ["self", "jwt"]
        and api_jwt._jwt_global_obj._jws is jws
    )


def install(app: Flask | None = None) -> bool:
    """Wrap the shared PyJWS instance's parse (once per process); whether it is wrapped."""
    jws = api_jws._jws_global_obj
    if getattr(jws._load, "parses_once", False):
        return True
    if not applicable():
        speedups.log.warning("PyJWT changed: tokens are parsed as PyJWT does (slower).")
        return False
    parse = type(jws)._load
    last: list[Any] = [(None, None)]  # (token, parts), read and replaced in one step each

    def load(token: str | bytes) -> tuple[bytes, bytes, dict[str, Any], bytes]:
        known, parts = last[0]
        if known != token:
            parts = parse(jws, token)
            last[0] = (token, parts)
        payload, signing_input, header, signature = parts
        return payload, signing_input, dict(header), signature  # callers get their own header

    load.parses_once = True  # type: ignore[attr-defined]
    jws._load = load  # type: ignore[method-assign]
    return True
