"""GET /boards?q=…: every term in the title or the content, case-insensitively, as a substring,
in any script, every character literal; served by the full-text index (services/search.py)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, text

from db import db
from tests.support import count_statements, create_board, pagination, seed_boards, validation_error

# (title, content), created in this order: ids 1..n, so newest first is the reverse.
CORPUS = [
    ("PostgreSQL tips", "Indexes and VACUUM"),
    ("자유게시판에서 만나요", "처음 왔어요"),
    ("입학 안내", "컴퓨터학과는 3층에 있습니다"),
    ("100% sure", 'C++ and a-b "quoted" x:y (paren) NEAR AND OR snake_case back\\slash'),
    ("Mixed Case ÉCOLE", "ΑΒΓΔ greek"),
    ("apple pie", "recipe: apples, flour*2"),
    ("Plain", "needle in content only"),
    ("한국어 게시판 🎉", ""),
]
TITLES = [title for title, _ in CORPUS]


def titles(response: Any) -> list[str]:
    assert response.status_code == 200, response.json
    return [board["title"] for board in response.json]


def search(client: FlaskClient, q: str, **args: Any) -> Any:
    return client.get("/boards", query_string={"q": q, **args})


@pytest.fixture
def corpus(client: FlaskClient, alice: dict[str, Any]) -> list[dict[str, Any]]:
    return [create_board(client, alice, title=title, content=content) for title, content in CORPUS]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        # Substrings in English, any case, in titles and in contents.
        ("sql", ["PostgreSQL tips"]),
        ("SQL", ["PostgreSQL tips"]),
        ("pOsTgReS", ["PostgreSQL tips"]),
        ("vacuum", ["PostgreSQL tips"]),
        ("needle", ["Plain"]),
        ("école", ["Mixed Case ÉCOLE"]),
        ("αβγ", ["Mixed Case ÉCOLE"]),
        ("ecole", []),  # accents count
        # Korean: inside words, in titles and in contents.
        ("게시판", ["한국어 게시판 🎉", "자유게시판에서 만나요"]),
        ("학과", ["입학 안내"]),
        ("컴퓨터학과는", ["입학 안내"]),
        # One- and two-character terms.
        ("게시", ["한국어 게시판 🎉", "자유게시판에서 만나요"]),
        ("학", ["입학 안내"]),
        ("pi", ["apple pie"]),
        ("IP", ["apple pie", "PostgreSQL tips"]),
        ("🎉", ["한국어 게시판 🎉"]),
        ("3", ["입학 안내"]),
        # Every character literal: no wildcard, no operator, no column filter.
        ("%", ["100% sure"]),
        ("100%", ["100% sure"]),
        ("_", ["100% sure"]),
        ("e_c", ["100% sure"]),
        ("\\", ["100% sure"]),
        ("k\\s", ["100% sure"]),
        ('"quoted"', ["100% sure"]),
        ('"', ["100% sure"]),
        ("*", ["apple pie"]),
        ("flour*", ["apple pie"]),
        ("appl*", []),
        ("-", ["100% sure"]),
        ("a-b", ["100% sure"]),
        ("-sql", []),
        (":", ["apple pie", "100% sure"]),
        ("x:y", ["100% sure"]),
        ("title:plain", []),
        ("(paren)", ["100% sure"]),
        ("++", ["100% sure"]),
        ("NEAR", ["100% sure"]),
        ("OR", ["100% sure"]),
        ("sql OR needle", []),
        ("AND", ["100% sure", "PostgreSQL tips"]),
        ("^sql", []),
        # Several terms: all of them, each in the title or the content.
        ("apple pie", ["apple pie"]),
        ("pie apple", ["apple pie"]),
        ("sql vacuum", ["PostgreSQL tips"]),
        ("sql needle", []),
        ("게시판 🎉", ["한국어 게시판 🎉"]),
        ("입학 학과", ["입학 안내"]),
        ("sql ip", ["PostgreSQL tips"]),
        ("  sql\u3000 vacuum ", ["PostgreSQL tips"]),
        # Never across the title and the content, never absent text.
        ("tipsindexes", []),
        ("zzz", []),
    ],
)
def test_search_semantics(client, corpus, q, expected):
    response = search(client, q)
    assert titles(response) == expected
    assert pagination(response)["total"] == len(expected)


@pytest.mark.parametrize(
    "q",
    [
        '"',
        '""',
        "'",
        "NEAR(a b)",
        "a OR b",
        "{title}:x",
        "*D+",
        "+-~<>@()",
        "\u200b",
        "ﷺ",
        "\u0301",
        "\U0001d518\U0001d52b",  # mathematical letters, outside the BMP
        "a" * 100,
        "가" * 100,
        "x " * 50,
        "% _ \\ * ' \" ` ; --",
    ],
)
def test_no_q_breaks_the_search(client, corpus, q):
    response = search(client, q)
    assert response.status_code == 200, response.json
    assert isinstance(response.json, list)


def test_terms_combine_with_author_pagination_and_keyset(client, alice, bob):
    mine = [create_board(client, alice, title=f"Alice apple {n}", content="게시판 글") for n in range(5)]
    create_board(client, bob, title="Bob apple", content="게시판")
    create_board(client, alice, title="Alice other", content="nothing")

    response = search(client, "apple 게시판", author_id=alice["id"], page_size=2)
    assert titles(response) == ["Alice apple 4", "Alice apple 3"]
    assert pagination(response) == {
        "total": 5,
        "total_pages": 3,
        "first_page": 1,
        "last_page": 3,
        "page": 1,
        "next_page": 2,
        "next_before": mine[3]["id"],
    }
    last = search(client, "apple 게시판", author_id=alice["id"], page_size=2, page=3)
    assert titles(last) == ["Alice apple 0"]
    keyset = search(client, "apple 게시판", author_id=alice["id"], page_size=2, before=mine[3]["id"])
    assert titles(keyset) == ["Alice apple 2", "Alice apple 1"]
    assert pagination(keyset) == {"page_size": 2, "next_before": mine[1]["id"]}
    everyone = search(client, "APPLE")
    assert (len(everyone.json), pagination(everyone)["total"]) == (6, 6)


def test_edits_and_deletes_show_at_once(client, alice, bob):
    board = create_board(client, alice, title="Lunch", content="pizza tonight")
    create_board(client, bob, title="Other", content="nothing here")
    assert titles(search(client, "pizza")) == ["Lunch"]

    patched = client.patch(
        f"/boards/{board['id']}", json={"content": "sushi tonight"}, headers=alice["headers"]
    )
    assert patched.status_code == 200
    assert titles(search(client, "pizza")) == []
    assert titles(search(client, "sushi")) == ["Lunch"]
    assert titles(search(client, "lunch sushi")) == ["Lunch"]

    replaced = client.put(
        f"/boards/{board['id']}", json={"title": "Dinner", "content": "ramen"}, headers=alice["headers"]
    )
    assert replaced.status_code == 200
    assert (titles(search(client, "lunch")), titles(search(client, "sushi"))) == ([], [])
    assert titles(search(client, "dinner ramen")) == ["Dinner"]

    # Likes move a counter of the board, not its text: it is still found, once.
    assert client.put(f"/boards/{board['id']}/like", headers=bob["headers"]).status_code in (200, 201, 204)
    assert titles(search(client, "ramen")) == ["Dinner"]

    assert client.delete(f"/boards/{board['id']}", headers=alice["headers"]).status_code == 204
    gone = search(client, "ramen")
    assert (titles(gone), pagination(gone)["total"]) == ([], 0)
    assert_index_in_step(client.application)


def test_a_deleted_users_boards_are_no_longer_found(app, client, alice, bob):
    for n in range(3):
        create_board(client, alice, title=f"Alice writes {n}", content="unique-word")
    kept = create_board(client, bob, title="Bob writes", content="unique-word")

    assert client.delete(f"/users/{alice['id']}", headers=alice["headers"]).status_code == 204

    response = search(client, "unique-word")
    assert (response.json, pagination(response)["total"]) == ([kept], 1)
    assert_index_in_step(app)


def test_seeded_boards_are_found(app, client):
    result = app.test_cli_runner().invoke(args=["seed", "--users", "2", "--boards", "25"])
    assert result.exit_code == 0, result.output
    # Seed titles cycle through ten words: boards 0, 10 and 20 are the apples.
    response = search(client, "apple")
    assert titles(response) == [f"Seed board {n}: apple" for n in (20, 10, 0)]
    assert pagination(response)["total"] == 3
    assert titles(search(client, "demo content of seed board 13")) == ["Seed board 13: delta"]
    assert_index_in_step(app)


@pytest.fixture
def ranked(client, alice) -> dict[str, dict[str, Any]]:
    made = {}
    for key, title, content in [
        ("a", "apple pie", "plain"),
        ("b", "pie", "apple inside"),
        ("c", "apple news", "pie"),
        ("d", "nothing", "apple pie"),
        ("e", "Apple Pie 2", "plain"),
        ("f", "unrelated", "plain"),
    ]:
        made[key] = create_board(client, alice, title=title, content=content)
    return made


def ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.json
    return [board["id"] for board in response.json]


def test_relevance_puts_titles_with_every_term_first_newest_first_within(client, ranked):
    r = {key: board["id"] for key, board in ranked.items()}
    assert ids(search(client, "apple pie", sort="relevance")) == [r["e"], r["a"], r["d"], r["c"], r["b"]]
    # Short terms (checked with LIKE on SQLite) rank the same way.
    assert ids(search(client, "ie", sort="relevance")) == [r["e"], r["b"], r["a"], r["d"], r["c"]]
    assert ids(search(client, "PIE ap", sort="relevance")) == [r["e"], r["a"], r["d"], r["c"], r["b"]]
    # Newest first is still the default.
    assert ids(search(client, "apple pie")) == [r["e"], r["d"], r["c"], r["b"], r["a"]]

    first = search(client, "apple pie", sort="relevance", page_size=3)
    assert ids(first) == [r["e"], r["a"], r["d"]]
    assert pagination(first) == {
        "total": 5,
        "total_pages": 2,
        "first_page": 1,
        "last_page": 2,
        "page": 1,
        "next_page": 2,
    }
    assert ids(search(client, "apple pie", sort="relevance", page_size=3, page=2)) == [r["c"], r["b"]]


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ({"q": "x" * 101}, {"q": ["Length must be between 1 and 100."]}),
        ({"q": ""}, {"q": ["Length must be between 1 and 100."]}),
        ({"q": "   "}, {"q": ["Enter at least one search term."]}),
        ({"q": "\u3000"}, {"q": ["Enter at least one search term."]}),
        ({"q": "a\tb"}, {"q": ["Control characters are not allowed."]}),
        ({"sort": "relevance"}, {"sort": ["sort=relevance ranks search results: send it with q."]}),
        (
            {"q": "apple", "sort": "relevance", "before": 3},
            {"before": ["Keyset paging is newest first only: page sort=relevance with page."]},
        ),
    ],
)
def test_bad_searches_are_422(client, query, errors):
    response = client.get("/boards", query_string=query)
    assert (response.status_code, response.json) == (422, validation_error("query", errors))


def test_a_q_of_100_characters_is_accepted(client, alice):
    board = create_board(client, alice, title="x" * 100)
    assert ids(search(client, "x" * 100)) == [board["id"]]


# The cost of a page: two statements (its count, the page), whatever the terms and the page size.


@pytest.fixture
def many(app, client, alice, bob):
    seed_boards(app, [alice["id"], bob["id"]], 120, title="Board {n} 게시판 apple")
    client.get("/boards")  # the first request may open the connection
    return alice


@pytest.mark.parametrize("q", ["apple", "게시판", "pl", "apple 게시판 pl", "ap pl"])
@pytest.mark.parametrize("extra", ["", "&sort=relevance", "&sort=top", "&author_id=1", "&page=2"])
def test_a_page_of_search_results_costs_two_statements(app, client, many, q, extra):
    total = 60 if "author_id" in extra else 120
    for size in (1, 100):
        with count_statements(app) as statements:
            response = client.get(f"/boards?page_size={size}&q={q}{extra}")
        assert response.status_code == 200, response.json
        skipped = size if "page=2" in extra else 0
        assert len(response.json) == min(size, total - skipped)
        assert len(statements) == 2, statements  # the count, the page
    # With a token, the reader's marks come in the same page statement.
    with count_statements(app) as statements:
        assert client.get(f"/boards?page_size=100&q={q}{extra}", headers=many["headers"]).status_code == 200
    assert "LEFT OUTER JOIN board_likes" in statements[-1]


@pytest.mark.parametrize("q", ["apple", "게시판", "apple 게시판 pl"])
def test_terms_of_three_characters_or_more_go_through_the_index(app, client, many, q):
    sent = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        sent.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        assert client.get(f"/boards?q={q}").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    sqlite = engine.dialect.name == "sqlite"
    (count, _), (page, _) = sent
    for statement in (count, page):
        assert ("board_fts MATCH" if sqlite else "AGAINST") in statement
    # Only a short term is a LIKE (on SQLite, one on the title and one on the content).
    assert page.count("LIKE") == (2 if sqlite and " pl" in q else 0)
    explain = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN "
    with engine.connect() as conn:
        for statement, parameters in sent:
            plan = conn.exec_driver_sql(explain + statement, parameters).all()
            # SQLite: no "SCAN boards"; MariaDB: no full read ("ALL") of boards.
            steps = [row[-1] if sqlite else f"{row.table} {row.type}" for row in plan]
            assert not [step for step in steps if step.startswith("SCAN boards") or step == "boards ALL"], (
                steps
            )


def assert_index_in_step(app: Flask) -> None:
    """The index holds exactly the boards' text: FTS5's own integrity check on SQLite (it compares
    the index with boards' rows); on MariaDB the Mroonga copy is the table's text, lower-cased."""
    with app.app_context(), db.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.execute(text("INSERT INTO board_fts (board_fts, rank) VALUES ('integrity-check', 1)"))
        else:
            copy = conn.execute(text("SELECT id, title, content FROM board_search ORDER BY id")).all()
            boards = conn.execute(
                text("SELECT id, LOWER(title), LOWER(content) FROM boards ORDER BY id")
            ).all()
            assert copy == boards


@pytest.mark.slow
def test_the_migration_indexes_the_boards_already_there_and_goes_down(empty_database_url):
    from tests.conftest import PASSWORD, bearer, make_app
    from tests.test_migration_parity import flask_db

    assert flask_db(empty_database_url, "upgrade", "0011").returncode == 0
    app = make_app(empty_database_url)
    client = app.test_client()
    # Written as 0011's schema holds them: today's code writes columns of later revisions.
    at = "'2026-01-01 00:00:00.000000'"
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (username, username_lower, email, password_hash, is_admin, created_at, "
                f"token_generation) VALUES ('seed', 'seed', 'seed@example.com', 'h', 0, {at}, 0)"
            )
        )
        for title, content in CORPUS:
            conn.execute(
                text(
                    "INSERT INTO boards (title, content, author_id, created_at, updated_at, version) "
                    f"VALUES (:title, :content, 1, {at}, {at}, 1)"
                ),
                {"title": title, "content": content},
            )
        db.engine.dispose()
    writer = None

    for command in (["upgrade"], ["downgrade", "0011"], ["upgrade"]):
        result = flask_db(empty_database_url, *command)
        assert result.returncode == 0, result.stderr
        with app.app_context(), db.engine.connect() as conn:
            tables = set(conn.dialect.get_table_names(conn))
            boards = conn.execute(text("SELECT COUNT(*) FROM boards")).scalar_one()
        assert boards == len(CORPUS)
        assert bool(tables & {"board_fts", "board_search"}) == (command != ["downgrade", "0011"])
        if command == ["upgrade"]:
            assert titles(search(client, "학과")) == ["입학 안내"]
            assert titles(search(client, "sql vacuum")) == ["PostgreSQL tips"]
            assert titles(search(client, "게시")) == ["한국어 게시판 🎉", "자유게시판에서 만나요"]
            assert_index_in_step(app)
            if writer is None:
                user = {"username": "writer", "email": "writer@example.com", "password": PASSWORD}
                assert client.post("/auth/register", json=user).status_code == 201
                login = {"username": "writer", "password": PASSWORD}
                writer = {"headers": bearer(client.post("/auth/login", json=login).json["access_token"])}
            # And it keeps up from then on.
            create_board(client, writer, title="After the migration", content="freshly indexed")
            assert titles(search(client, "freshly")) == ["After the migration"]
            client.delete(f"/boards/{search(client, 'freshly').json[0]['id']}", headers=writer["headers"])
        with app.app_context():
            db.engine.dispose()


def test_width_folds_on_mariadb_only(app, client, alice):
    """Mroonga's normalizer folds full-width letters (NFKC); SQLite's trigrams keep them apart."""
    board = create_board(client, alice, title="full width")
    on_mariadb = not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")
    full_width = "\uff46\uff55\uff4c\uff4c"  # "full"
    assert ids(search(client, full_width)) == ([board["id"]] if on_mariadb else [])
