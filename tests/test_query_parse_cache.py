"""The query-string parser remembers what it parsed (resources/smorest_tuning.py): the same
answers as parsing anew, a fresh copy each time, 422s never remembered, a bounded memory."""

from __future__ import annotations

import pytest
from flask_smorest.pagination import PaginationParameters, _pagination_parameters_schema_factory
from werkzeug.exceptions import UnprocessableEntity

from resources import smorest_tuning
from resources.blueprint import Parser
from schemas import BoardListArgsSchema


@pytest.fixture
def parser() -> Parser:
    return Parser()


def parse(app, parser: Parser, query: str, schema=BoardListArgsSchema):
    with app.test_request_context(f"/boards?{query}"):
        return parser.parse(schema, location="query")


def test_the_same_query_gives_equal_answers_in_fresh_copies(app, parser) -> None:
    first = parse(app, parser, "author_id=3&q=hello")
    assert first == {"author_id": 3, "q": "hello", "sort": "new"}
    first["q"] = "changed by a view"
    second = parse(app, parser, "author_id=3&q=hello")
    assert second == {"author_id": 3, "q": "hello", "sort": "new"}
    assert second is not first
    assert parse(app, parser, "author_id=4&sort=top") == {"author_id": 4, "sort": "top"}


def test_pagination_parameters_are_copies_too(app) -> None:
    """The pagination schema makes an object that each view fills in: never shared."""
    schema = _pagination_parameters_schema_factory(1, 20, 100)()
    parser = Parser()
    first = parse(app, parser, "page=2&page_size=5", schema)
    assert isinstance(first, PaginationParameters)
    first.item_count = 99
    second = parse(app, parser, "page=2&page_size=5", schema)
    assert (second.page, second.page_size, second.item_count) == (2, 5, None)
    assert second is not first


def test_an_invalid_query_is_refused_every_time(app, parser) -> None:
    for _ in range(2):
        with pytest.raises(UnprocessableEntity):
            parse(app, parser, "author_id=abc")
    assert not parser._parsed_queries


def test_it_remembers_a_bounded_number_of_queries(app, parser, monkeypatch) -> None:
    monkeypatch.setattr(smorest_tuning, "REMEMBERED_QUERIES", 8)
    for n in range(20):
        assert parse(app, parser, f"author_id={n + 1}") == {"author_id": n + 1, "sort": "new"}
    assert len(parser._parsed_queries) == 8
    assert parse(app, parser, "author_id=1") == {"author_id": 1, "sort": "new"}  # forgotten, parsed again


def test_long_query_strings_are_parsed_but_not_remembered(app, parser) -> None:
    padded = "author_id=7&" + "&".join(f"junk{n}=x" for n in range(40))
    assert len(padded) > smorest_tuning.LONGEST_REMEMBERED_QUERY
    assert parse(app, parser, padded) == {"author_id": 7, "sort": "new"}
    assert not parser._parsed_queries
