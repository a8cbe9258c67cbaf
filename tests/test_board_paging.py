"""GET /boards at scale: keyset pages (`before`), the trigger-kept total, the fast read path."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.orm import joinedload

from db import db
from models import Board, TableCount, User
from resources.etags import etag_of
from schemas import BoardSchema
from schemas.board import BOARD_WRITABLE
from tests.conftest import bearer
from tests.support import count_statements, public

VALIDATION_MESSAGE = "The request failed validation; see 'errors' for details."


@pytest.fixture
def seeded(app) -> dict[str, int]:
    """25 boards (ids 1..25) spread over 3 users (seed_1..seed_3, round-robin); their ids."""
    with app.app_context():
        # A harness that empties every table between tests takes the counter row with it.
        if db.session.get(TableCount, "boards") is None:
            db.session.add(TableCount(table_name="boards", row_count=0))
            db.session.commit()
    result = app.test_cli_runner().invoke(args=["seed", "--users", "3", "--boards", "25"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        return dict(db.session.execute(db.select(User.username, User.id)).all())


def page(client, query: str) -> tuple[list[int], dict]:
    response = client.get(f"/boards?{query}")
    assert response.status_code == 200, response.json
    return [board["id"] for board in response.json], json.loads(response.headers["X-Pagination"])


def walk(client, query: str) -> list[int]:
    """Every id, following next_before from the first (offset) page on."""
    ids, meta = page(client, query)
    while "next_before" in meta:
        more, meta = page(client, f"{query}&before={meta['next_before']}")
        ids += more
    return ids


def test_offset_pages_name_the_keyset_of_their_next_page(client, seeded):
    assert page(client, "page_size=10") == (
        list(range(25, 15, -1)),
        {
            "total": 25,
            "total_pages": 3,
            "first_page": 1,
            "last_page": 3,
            "page": 1,
            "next_page": 2,
            "next_before": 16,
        },
    )
    assert page(client, "page_size=10&page=3") == (
        list(range(5, 0, -1)),
        {"total": 25, "total_pages": 3, "first_page": 1, "last_page": 3, "page": 3, "previous_page": 2},
    )


def test_keyset_pages_go_below_before_and_end_without_next_before(client, seeded):
    assert page(client, "page_size=10&before=16") == (
        list(range(15, 5, -1)),
        {"page_size": 10, "next_before": 6},
    )
    # Exactly one page left: no next_before, although the page is full.
    assert page(client, "page_size=5&before=6") == ([5, 4, 3, 2, 1], {"page_size": 5})
    assert page(client, "before=1&page_size=7") == ([], {"page_size": 7})
    assert page(client, "before=9223372036854775807&page_size=3") == (
        [25, 24, 23],
        {"page_size": 3, "next_before": 23},
    )
    # page=1 is the default and says nothing against before
    assert page(client, "page=1&page_size=2&before=3") == ([2, 1], {"page_size": 2})


@pytest.mark.parametrize("query", ["page_size=4", "page_size=4&author_id={seed_2}", "page_size=4&q=apple"])
def test_following_next_before_lists_what_offset_pages_list(client, seeded, query):
    query = query.format(**seeded)
    offset_ids: list[int] = []
    number = 1
    while True:
        ids, meta = page(client, f"{query}&page={number}")
        offset_ids += ids
        if "next_page" not in meta:
            break
        number += 1

    assert walk(client, query) == offset_ids
    assert offset_ids  # the filter matched something: the walk compared real pages


def test_filters_combine_with_before(client, seeded):
    by_seed_2 = [i for i in range(25, 0, -1) if (i - 1) % 3 == 1]  # round-robin authorship
    assert page(client, f"author_id={seeded['seed_2']}&before=15&page_size=3") == (
        [i for i in by_seed_2 if i < 15][:3],
        {"page_size": 3, "next_before": 8},
    )
    # Titles end with a word from a cycle of 10: "apple" is on boards 1, 11 and 21.
    assert page(client, "q=APPLE&before=21&page_size=10") == ([11, 1], {"page_size": 10})


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ("before=5&page=2", {"before": ["Use either before or page, not both."]}),
        (
            "before=0",
            {"before": ["Must be greater than or equal to 1 and less than or equal to 9223372036854775807."]},
        ),
        ("before=x", {"before": ["Not a valid integer: digits 0-9 only."]}),
        (
            "before=9223372036854775808",
            {"before": ["Must be greater than or equal to 1 and less than or equal to 9223372036854775807."]},
        ),
    ],
)
def test_bad_before_is_422(client, query, errors):
    response = client.get(f"/boards?{query}")
    assert (response.status_code, response.json) == (
        422,
        {
            "code": 422,
            "status": "Unprocessable Entity",
            "message": VALIDATION_MESSAGE,
            "error": "unprocessable_entity",
            "errors": {"query": errors},
        },
    )


def test_before_is_documented(client):
    operation = client.get("/openapi.json").json["paths"]["/boards"]["get"]
    before = next(p for p in operation["parameters"] if p["name"] == "before")
    assert before["in"] == "query"
    assert before["schema"]["type"] == "integer"
    assert "next_before" in before["description"]


@pytest.mark.parametrize("size", [1, 100])
def test_a_page_costs_two_statements_and_a_keyset_page_one(app, client, seeded, size):
    with count_statements(app) as statements:
        client.get(f"/boards?page_size={size}")
    assert len(statements) == 2
    assert "table_counts" in statements[0]  # the total: no COUNT(*) over the table
    with count_statements(app) as statements:
        client.get(f"/boards?page_size={size}&before=20&author_id=1&q=a")
    assert len(statements) == 1


def board_count(app) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(Board))


def reported_total(client) -> int:
    return json.loads(client.get("/boards").headers["X-Pagination"])["total"]


def test_the_total_stays_exact_through_every_kind_of_write(app, client, make_user, seeded):
    assert reported_total(client) == board_count(app) == 25
    author = make_user()
    created = [
        client.post("/boards", json={"title": f"t{i}"}, headers=author["headers"]).json["id"]
        for i in range(3)
    ]
    assert reported_total(client) == board_count(app) == 28

    assert client.delete(f"/boards/{created[0]}", headers=author["headers"]).status_code == 204
    assert reported_total(client) == board_count(app) == 27

    # A user's deletion takes their boards with it.
    assert client.delete(f"/users/{author['id']}", headers=author["headers"]).status_code == 204
    assert reported_total(client) == board_count(app) == 25
    seed_1 = client.post("/auth/login", json={"username": "seed_1", "password": "seed-password"}).json
    assert (
        client.delete(f"/users/{seeded['seed_1']}", headers=bearer(seed_1["access_token"])).status_code == 204
    )
    assert reported_total(client) == board_count(app) == 16


def test_a_read_shows_exactly_what_the_write_returned(app, client, make_user):
    """GET builds its body without marshmallow; it must not drift from BoardSchema."""
    author = make_user()
    posted = client.post(
        "/boards", json={"title": "Grüße 👋", "content": "x" * 300}, headers=author["headers"]
    )
    board_id = posted.json["id"]
    assert (posted.status_code, posted.headers["Location"]) == (201, f"http://localhost/boards/{board_id}")

    read = client.get(f"/boards/{board_id}")
    listed = client.get("/boards").json[0]

    assert read.json == listed == public(posted.json)
    assert posted.json["is_mine"] is True
    with app.app_context():
        board = db.session.execute(
            db.select(Board)
            .options(joinedload(Board.author), joinedload(Board.forum))
            .where(Board.id == board_id)
        ).scalar_one()
        dumped = BoardSchema().dump(board)
    assert read.json == dumped
    assert read.headers["ETag"] == etag_of(dumped, BOARD_WRITABLE)
    # The writes compute ETags through marshmallow: a read's ETag passes their If-Match.
    patched = client.patch(
        f"/boards/{board_id}",
        json={"content": "new"},
        headers={**author["headers"], "If-Match": read.headers["ETag"]},
    )
    assert patched.status_code == 200


def test_if_none_match_gets_an_empty_304(client, make_user):
    author = make_user()
    board_id = client.post("/boards", json={"title": "t"}, headers=author["headers"]).json["id"]
    etag = client.get(f"/boards/{board_id}").headers["ETag"]

    response = client.get(f"/boards/{board_id}", headers={"If-None-Match": etag})

    assert (response.status_code, response.data, response.headers["ETag"]) == (304, b"", etag)


def test_an_unknown_board_is_404(client):
    response = client.get("/boards/12345")
    assert (response.status_code, response.json["message"]) == (404, "Board 12345 not found.")


def test_without_its_counter_row_the_total_is_counted(app, client, seeded):
    """A table_counts emptied by hand (as a test harness might) must not break listing."""
    with app.app_context():
        db.session.execute(db.delete(TableCount))
        db.session.commit()
    assert reported_total(client) == board_count(app) == 25
    assert client.get("/boards?page=3&page_size=10").json[-1]["id"] == 1
