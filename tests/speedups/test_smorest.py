"""speedups/smorest.py: the query cache gives what webargs gives (in fresh copies, 422s never
remembered, a bounded memory per app), and X-Pagination's plain dict is what flask-smorest dumps."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from flask import Flask
from flask_smorest.pagination import (
    PaginationMixin,
    PaginationParameters,
    _pagination_parameters_schema_factory,
)
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import UnprocessableEntity

from resources.blueprint import Blueprint, Parser
from schemas import BoardListArgsSchema
from speedups import smorest

PAGINATION_SCHEMA = _pagination_parameters_schema_factory(1, 20, 100)


def parse(app: Flask, parser: Any, query: str, schema: Any = BoardListArgsSchema) -> Any:
    with app.test_request_context(f"/boards?{query}"):
        return parser.parse(schema, location="query")


def remembered(app: Flask) -> list[Any]:
    return list(app.extensions[smorest.PARSED_QUERIES].results)


QUERIES = [
    "",
    "author_id=3&q=hello",
    "author_id=3&q=hello",  # now remembered
    "sort=top&unknown=1",
    "q=%C3%A9t%C3%A9&author_id=7",
    "author_id=abc",
    "author_id=abc",  # refused again
    "author_id=0",
    "sort=sideways",
    "author_id=1&author_id=2",
]


@pytest.mark.parametrize("schema", [BoardListArgsSchema, BoardListArgsSchema(), PAGINATION_SCHEMA])
def test_the_same_answers_as_webargs(app, schema) -> None:
    parser = Parser()
    for query in [*QUERIES, "page=2&page_size=5", "page=2&page_size=5", "page_size=101", "page=0"]:
        try:
            expected: Any = parse(app, FlaskParser(), query, schema)
        except UnprocessableEntity as refused:
            expected = ("422", refused.data["messages"])
        try:
            got: Any = parse(app, parser, query, schema)
        except UnprocessableEntity as refused:
            got = ("422", refused.data["messages"])
        if isinstance(expected, PaginationParameters):
            expected, got = vars(expected), vars(got)
        assert got == expected, query
    assert remembered(app)


def test_the_same_query_gives_equal_answers_in_fresh_copies(app) -> None:
    parser = Parser()
    first = parse(app, parser, "author_id=3&q=hello")
    assert first == {"author_id": 3, "q": "hello", "sort": "new"}
    first["q"] = "changed by a view"
    second = parse(app, parser, "author_id=3&q=hello")  # from the cache
    assert second == {"author_id": 3, "q": "hello", "sort": "new"}
    assert second is not first
    second["q"] = "changed too"
    third = parse(app, parser, "author_id=3&q=hello")
    assert third == {"author_id": 3, "q": "hello", "sort": "new"}


def test_pagination_parameters_are_copies_too(app) -> None:
    """The pagination schema makes an object that each view fills in: never shared."""
    parser = Parser()
    first = parse(app, parser, "page=2&page_size=5", PAGINATION_SCHEMA)
    assert isinstance(first, PaginationParameters)
    first.item_count = 99
    second = parse(app, parser, "page=2&page_size=5", PAGINATION_SCHEMA)  # from the cache
    assert (second.page, second.page_size, second.item_count) == (2, 5, None)
    assert second is not first
    second.item_count = 7
    third = parse(app, parser, "page=2&page_size=5", PAGINATION_SCHEMA)
    assert (third.page, third.page_size, third.item_count) == (2, 5, None)


def test_an_invalid_query_is_refused_every_time(app) -> None:
    parser = Parser()
    for _ in range(2):
        with pytest.raises(UnprocessableEntity):
            parse(app, parser, "author_id=abc")
    assert not remembered(app)


def test_it_remembers_a_bounded_number_of_queries(app, monkeypatch) -> None:
    monkeypatch.setattr(smorest, "REMEMBERED_QUERIES", 8)
    parser = Parser()
    for n in range(20):
        assert parse(app, parser, f"author_id={n + 1}") == {"author_id": n + 1, "sort": "new"}
    assert len(remembered(app)) == 8
    assert parse(app, parser, "author_id=1") == {"author_id": 1, "sort": "new"}  # forgotten, parsed again


def test_long_query_strings_are_parsed_but_not_remembered(app) -> None:
    padded = "author_id=7&" + "&".join(f"junk{n}=x" for n in range(40))
    assert len(padded) > smorest.LONGEST_REMEMBERED_QUERY
    assert parse(app, Parser(), padded) == {"author_id": 7, "sort": "new"}
    assert not remembered(app)


def test_each_app_remembers_its_own(app, tmp_path) -> None:
    from tests.conftest import make_app

    other = make_app(f"sqlite:///{tmp_path / 'other.db'}", SPEEDUPS="on")
    parser = Parser()
    parse(app, parser, "author_id=5")
    assert len(remembered(app)) == 1
    assert remembered(other) == []
    off = make_app(f"sqlite:///{tmp_path / 'off.db'}", SPEEDUPS="off")
    assert parse(off, parser, "author_id=5") == {"author_id": 5, "sort": "new"}
    assert smorest.PARSED_QUERIES not in off.extensions


def test_pagination_metadata_is_flask_smorests(app) -> None:
    blueprint = Blueprint("probe", __name__)
    with app.app_context():
        for page, size, count in itertools.product(range(1, 7), range(1, 5), range(13)):
            plain = blueprint._make_pagination_metadata(page, size, count)
            dumped = PaginationMixin._make_pagination_metadata(page, size, count)
            assert list(plain.items()) == list(dumped.items())  # same fields, same order


def test_pagination_dict_stays_out_when_flask_smorest_changed(app, monkeypatch, caplog) -> None:
    monkeypatch.setattr(PaginationMixin, "_make_pagination_metadata", staticmethod(lambda *args: {}))
    assert smorest.install_pagination_dict(app) is False
    assert "flask-smorest changed" in caplog.text
