"""GET /boards: newest first, paginated with X-Pagination, filtered by author and title."""

from __future__ import annotations

import pytest

from tests.support import create_board, pagination, seed_boards, validation_error

PAGE_SIZE_RANGE = "Must be greater than or equal to 1 and less than or equal to 100."
NOT_AN_INTEGER = "Not a valid integer: digits 0-9 only."


@pytest.fixture
def two_authors(make_user):
    return make_user("alice"), make_user("bob")


def titles(response) -> list[str]:
    return [board["title"] for board in response.json]


def test_empty_list(client):
    response = client.get("/boards")
    assert response.status_code == 200
    assert response.json == []
    assert pagination(response) == {"total": 0, "total_pages": 0}


def test_newest_first(client, two_authors):
    alice, bob = two_authors
    created = [
        create_board(client, author, title=f"Post {n}") for n, author in enumerate([alice, bob, alice])
    ]

    response = client.get("/boards")

    assert response.status_code == 200
    assert response.json == list(reversed(created))


def test_default_page_size_is_20(app, client, two_authors):
    seed_boards(app, [two_authors[0]["id"]], 25)
    response = client.get("/boards")
    assert len(response.json) == 20
    assert pagination(response)["total_pages"] == 2


@pytest.mark.parametrize(
    ("page", "expected_titles", "header"),
    [
        # next_before: the id of the page's last board (board n has id n + 1), for keyset paging on.
        (1, [44, 43, 42, 41, 40], {"page": 1, "next_page": 2, "next_before": 41}),
        (2, [39, 38, 37, 36, 35], {"page": 2, "previous_page": 1, "next_page": 3, "next_before": 36}),
        (5, [24, 23, 22, 21, 20], {"page": 5, "previous_page": 4, "next_page": 6, "next_before": 21}),
        (9, [4, 3, 2, 1, 0], {"page": 9, "previous_page": 8}),
        (10, [], {}),
        (10**30, [], {}),
    ],
    ids=["first", "second", "middle", "last", "past-the-end", "huge"],
)
def test_pagination_pages_and_header(app, client, two_authors, page, expected_titles, header):
    seed_boards(app, [author["id"] for author in two_authors], 45, title="Board {n}")

    response = client.get(f"/boards?page={page}&page_size=5")

    assert response.status_code == 200
    assert titles(response) == [f"Board {n}" for n in expected_titles]
    assert pagination(response) == {"total": 45, "total_pages": 9, "first_page": 1, "last_page": 9, **header}


def test_page_size_100_returns_100(app, client, two_authors):
    seed_boards(app, [two_authors[0]["id"]], 120)
    response = client.get("/boards?page_size=100&page=2")
    assert len(response.json) == 20
    assert pagination(response) == {
        "total": 120,
        "total_pages": 2,
        "first_page": 1,
        "last_page": 2,
        "page": 2,
        "previous_page": 1,
    }


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ("page_size=101", {"page_size": [PAGE_SIZE_RANGE]}),
        ("page_size=0", {"page_size": [PAGE_SIZE_RANGE]}),
        ("page=0", {"page": ["Must be greater than or equal to 1."]}),
        ("page=-3", {"page": [NOT_AN_INTEGER]}),
        ("page=abc", {"page": [NOT_AN_INTEGER]}),
        ("page=1.5", {"page": [NOT_AN_INTEGER]}),
        ("page=" + "9" * 5000, {"page": [NOT_AN_INTEGER]}),
        ("page_size=ten", {"page_size": [NOT_AN_INTEGER]}),
        ("author_id=abc", {"author_id": [NOT_AN_INTEGER]}),
        ("author_id=", {"author_id": [NOT_AN_INTEGER]}),
        (
            "author_id=0",
            {"author_id": [f"Must be greater than or equal to 1 and less than or equal to {2**63 - 1}."]},
        ),
        (
            f"author_id={10**30}",
            {"author_id": [f"Must be greater than or equal to 1 and less than or equal to {2**63 - 1}."]},
        ),
        ("q=" + "x" * 101, {"q": ["Length must be between 1 and 100."]}),
        ("q=", {"q": ["Length must be between 1 and 100."]}),
    ],
    ids=lambda v: str(v)[:24],
)
def test_bad_query_parameters_are_422_json(client, query, errors):
    response = client.get(f"/boards?{query}")
    assert response.status_code == 422
    assert response.json == validation_error("query", errors)


def test_unknown_query_parameters_are_ignored(client, two_authors):
    create_board(client, two_authors[0])
    response = client.get("/boards?order=asc&utm_source=x")
    assert response.status_code == 200
    assert len(response.json) == 1


def test_filter_by_author(app, client, two_authors):
    alice, bob = two_authors
    mine = [create_board(client, alice, title=f"Alice {n}") for n in range(3)]
    create_board(client, bob, title="Bob's")

    response = client.get(f"/boards?author_id={alice['id']}&page_size=2")

    assert response.json == [mine[2], mine[1]]
    assert pagination(response) == {
        "total": 3,
        "total_pages": 2,
        "first_page": 1,
        "last_page": 2,
        "page": 1,
        "next_page": 2,
        "next_before": mine[1]["id"],
    }
    nobody = client.get("/boards?author_id=999999")
    assert (nobody.status_code, nobody.json, pagination(nobody)) == (200, [], {"total": 0, "total_pages": 0})


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("hello", ["Say HELLO again", "Hello world"]),
        ("HeLLo W", ["Hello world"]),
        ("%", ["100% sure"]),
        ("100%", ["100% sure"]),
        ("_", ["snake_case"]),
        ("E_C", ["snake_case"]),
        ("\\", ["back\\slash"]),
        ("게시", ["한국어 게시판 🎉"]),
        ("🎉", ["한국어 게시판 🎉"]),
        ("absent", []),
    ],
)
def test_filter_by_title_substring(client, two_authors, q, expected):
    alice, _ = two_authors
    for title in ["Hello world", "100 percent", "100% sure", "snakeXcase", "snake_case", "backslash"]:
        create_board(client, alice, title=title)
    for title in ["back\\slash", "한국어 게시판 🎉", "Say HELLO again"]:
        create_board(client, alice, title=title)

    response = client.get("/boards", query_string={"q": q})

    assert response.status_code == 200
    assert titles(response) == expected
    assert pagination(response)["total"] == len(expected)


def test_q_searches_content_too(client, two_authors):
    """Contents are searched since the full-text index (tests/test_search.py holds the rest)."""
    found = create_board(client, two_authors[0], title="Plain", content="a needle here")
    assert client.get("/boards?q=needle").json == [found]


def test_filters_combine(client, two_authors):
    alice, bob = two_authors
    create_board(client, alice, title="News from Alice")
    wanted = create_board(client, bob, title="News from Bob")
    create_board(client, bob, title="Other")

    response = client.get("/boards", query_string={"author_id": bob["id"], "q": "news"})

    assert response.json == [wanted]
    assert pagination(response)["total"] == 1
