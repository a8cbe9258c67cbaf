"""Comments in the OpenAPI document, and migration 0006 going down and up (CONTRACT §6, §7)."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.pool import NullPool

from tests.test_migration_parity import flask_db

ERROR_REF = {"$ref": "#/components/schemas/Error"}
OPERATIONS = {
    # The reads are public; a token sent but unusable answers its 401 (auth_optional).
    ("/boards/{board_id}/comments", "get"): ("listComments", {"200", "401", "404", "422"}),
    ("/boards/{board_id}/comments", "post"): (
        "createComment",
        {"201", "401", "404", "409", "413", "415", "422"},
    ),
    ("/comments/{comment_id}", "get"): ("getComment", {"200", "304", "401", "404"}),
    ("/comments/{comment_id}", "patch"): (
        "updateComment",
        {"200", "401", "403", "404", "412", "413", "415", "422"},
    ),
    ("/comments/{comment_id}", "delete"): ("deleteComment", {"204", "401", "403", "404", "412"}),
    ("/comments/{comment_id}/replies", "get"): ("listReplies", {"200", "401", "404", "422"}),
    ("/comments/{comment_id}/like", "put"): ("likeComment", {"200", "401", "404"}),
    ("/comments/{comment_id}/like", "delete"): ("unlikeComment", {"200", "401", "404"}),
}


@pytest.fixture(scope="module")
def spec() -> dict:
    from tests.conftest import make_app

    return make_app("sqlite://").test_client().get("/openapi.json").json


@pytest.mark.parametrize(("path", "method"), sorted(OPERATIONS))
def test_every_comment_operation_is_documented(spec, path, method):
    operation = spec["paths"][path][method]
    operation_id, statuses = OPERATIONS[(path, method)]
    assert (operation["operationId"], operation["tags"]) == (operation_id, ["Comments"])
    assert operation["summary"]
    assert set(operation["responses"]) - {"default"} == statuses
    for status, response in operation["responses"].items():
        if "$ref" in response:
            response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
        if status[0] in "45":
            assert response["content"]["application/json"]["schema"] == ERROR_REF, status


def test_the_comment_schema_requires_what_is_always_there(spec):
    schema = spec["components"]["schemas"]["Comment"]
    # `liked` only with a token: the one field not always there.
    assert set(schema["required"]) == set(schema["properties"]) - {"liked"}
    assert schema["properties"]["liked"]["type"] == "boolean"
    assert schema["properties"]["replies"]["items"] == {"$ref": "#/components/schemas/Comment"}
    assert schema["properties"]["parent_id"]["nullable"] is True
    assert "comment_count" in spec["components"]["schemas"]["Board"]["required"]
    content = spec["components"]["schemas"]["CommentCreate"]["properties"]["content"]
    assert (content["minLength"], content["maxLength"]) == (1, 2000)


@pytest.mark.slow
def test_downgrading_0006_keeps_the_board_count_triggers(tmp_path):
    """0006 adds a column to `boards`; SQLite's batch mode would copy the table and drop the
    triggers that count its rows (0005). Down and up again, the count still follows inserts."""
    url = f"sqlite:///{tmp_path / 'migrated.db'}"
    for command in (["upgrade"], ["downgrade", "0005"]):
        result = flask_db(url, *command)
        assert result.returncode == 0, result.stderr
    engine = create_engine(url, poolclass=NullPool)
    assert "comments" not in inspect(engine).get_table_names()
    assert "comment_count" not in {column["name"] for column in inspect(engine).get_columns("boards")}
    triggers = "SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name"
    with engine.connect() as conn:
        assert conn.execute(text(triggers)).scalars().all() == [
            "trg_boards_count_delete",
            "trg_boards_count_insert",
        ]
    assert flask_db(url, "upgrade").returncode == 0
    engine.dispose()
