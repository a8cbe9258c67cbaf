"""The `json` speed-up: orjson writes the responses and reads the bodies; clients get exactly the
bytes Flask's own provider wrote, and bodies read as the app's own reader (resources/json_bodies.py)
reads them, which is checked here too: its refusals hold with SPEEDUPS=off."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.json.provider import DefaultJSONProvider
from hypothesis import given
from hypothesis import strategies as st

from resources.json_bodies import DuplicateKeyError, load_json
from speedups.json_provider import COMPACT, OrjsonProvider


@dataclasses.dataclass
class Point:
    x: int
    y: int | None


VALUES: list[Any] = [
    {"b": 1, "a": None, "c": [True, False, 1.5, 1e16, -0.0, 0]},
    [{"z": {"y": {"x": []}}}, {}],
    {"text": 'tab\t newline\n quote" backslash\\ slash/ nul\x00 unit\x1f'},
    {"accent": "é", "emoji": "🙂", "line separator": "\u2028", "del": "\x7f"},
    {"huge": 2**70, "negative huge": -(2**70), "max": 2**63 - 1},
    {"when": datetime.datetime(2026, 11, 29, 21, 0, tzinfo=datetime.UTC), "day": datetime.date(2026, 1, 2)},
    {"id": uuid.UUID(int=7), "amount": decimal.Decimal("1.50"), "point": Point(1, None)},
    {1: "int key", 2: "another"},
    "plain",
    None,
]


@pytest.mark.parametrize("value", VALUES)
def test_same_bytes_as_flasks_provider(value: Any):
    app = Flask(__name__)
    assert OrjsonProvider(app).dumps(value, **COMPACT) == DefaultJSONProvider(app).dumps(value, **COMPACT)


def test_what_flask_refuses_is_still_refused():
    app = Flask(__name__)
    with pytest.raises(TypeError):
        OrjsonProvider(app).dumps({1: "int key", "s": "str key"}, **COMPACT)  # keys Flask cannot sort


@pytest.mark.parametrize("value", VALUES[:3])
def test_other_arguments_go_to_flasks_provider(value: Any):
    app = Flask(__name__)
    for kwargs in ({}, {"indent": 2}, {"sort_keys": False}):
        assert OrjsonProvider(app).dumps(value, **kwargs) == DefaultJSONProvider(app).dumps(value, **kwargs)


def test_responses_and_errors_are_flasks_bytes(app, client, make_user):
    """A body, an error body and a 422 go through the provider: compare with Flask's own."""
    user = make_user()
    created = client.post("/boards", json={"title": "é and \u2028", "content": "x"}, headers=user["headers"])
    flask_provider = DefaultJSONProvider(app)
    responses = [
        client.get("/boards?page_size=5"),
        created,
        client.get("/boards/999999"),
        client.post("/boards", json={"title": ""}, headers=user["headers"]),
        client.get("/auth/me", headers=user["headers"]),
    ]
    assert [r.status_code for r in responses] == [200, 201, 404, 422, 200]
    for response in responses:
        assert response.get_data(as_text=True) == flask_provider.dumps(response.json, **COMPACT) + "\n"
    assert isinstance(app.json, OrjsonProvider)


# --- reading request bodies: the app's reader, and the speed-up's --------------------------------

# Both must answer alike: the plain reader (SPEEDUPS=off) and orjson's (the `json` speed-up).
READERS = pytest.mark.parametrize(
    "read", [load_json, OrjsonProvider(Flask(__name__)).load_body], ids=["plain", "orjson"]
)

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=4), children, max_size=4)
    ),
    max_leaves=12,
)


def strict_stdlib(data: bytes) -> Any:
    """What load_json must answer: the standard library's reading, refusing duplicated keys."""

    def refuse(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        if len({key for key, _ in pairs}) != len(pairs):
            raise DuplicateKeyError("?")
        return dict(pairs)

    return json.loads(data.decode(), object_pairs_hook=refuse)


def same_value(a: Any, b: Any) -> bool:
    """Equal, and of the same types all the way down (1 is not 1.0)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(map(same_value, a, b))
    return a == b or (a != a and b != b)


@READERS
@given(JSON_VALUES, st.booleans())
def test_load_json_reads_what_the_standard_library_reads(
    read: Callable[[bytes], Any], value: Any, ascii_only: bool
):
    data = json.dumps(value, ensure_ascii=ascii_only).encode()
    assert same_value(read(data), strict_stdlib(data))


@READERS
@given(st.dictionaries(st.text(max_size=3), JSON_VALUES, min_size=1, max_size=4), st.data())
def test_load_json_refuses_every_duplicated_key(
    read: Callable[[bytes], Any], obj: dict[str, Any], data: st.DataObject
):
    key = data.draw(st.sampled_from(sorted(obj)))
    text = json.dumps(obj)[:-1] + ", " + json.dumps(key) + ": " + json.dumps(obj[key]) + "}"
    with pytest.raises(DuplicateKeyError):
        read(text.encode())


@READERS
@pytest.mark.parametrize(
    "text",
    [
        b"",
        b" ",
        b"{",
        b'{"a":1}x',
        b"NaN",
        b"-Infinity",
        b"1e400",
        b"\xef\xbb\xbf{}",
        b"\xff",
        b'"\x01"',
        b"[1,]",
    ],
)
def test_load_json_answers_odd_texts_as_the_standard_library_does(read: Callable[[bytes], Any], text: bytes):
    try:
        expected: Any = ("value", strict_stdlib(text))
    except UnicodeDecodeError:
        expected = ("error", json.JSONDecodeError)  # webargs reports undecodable bytes so
    except json.JSONDecodeError:
        expected = ("error", json.JSONDecodeError)
    try:
        found: Any = ("value", read(text))
    except json.JSONDecodeError:
        found = ("error", json.JSONDecodeError)
    assert found[0] == expected[0]
    if found[0] == "value":
        assert same_value(found[1], expected[1])
    else:
        assert found == expected
