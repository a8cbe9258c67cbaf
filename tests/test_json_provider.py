"""orjson writes the responses; clients get exactly the bytes Flask's own provider wrote."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import uuid
from typing import Any

import pytest
from flask import Flask
from flask.json.provider import DefaultJSONProvider

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
