"""A client generated from /openapi.json by openapi-python-client works without hand
edits. Generated into a temporary folder, then driven against a real server through its own
functions and models: register → login → create a board → read it (and its 304) → refresh (with
the refresh scheme) → log out.
"""

from __future__ import annotations

import importlib
import inspect
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import attrs
import pytest
from flask import Flask

from tests.conftest import PASSWORD
from tests.servers import BIN, live_server

pytestmark = pytest.mark.slow

PACKAGE = "board_api_client"
# No post hooks: they would run ruff over the generated code, which the test does not need.
CONFIG = f"post_hooks: []\npackage_name_override: {PACKAGE}\n"
# Fields that are absent by design on some answers (the reader's own marks need a token).
OPTIONAL_BY_DESIGN = {"liked", "scrapped", "is_mine"}  # only with a token


@pytest.fixture
def server(app: Flask) -> Iterator[str]:
    with live_server(app) as url:
        yield url


@pytest.fixture
def generated(server: str, tmp_path: Path) -> Iterator[ModuleType]:
    """The generated package, imported from tmp_path; forgotten again afterwards."""
    with urllib.request.urlopen(f"{server}/openapi.json", timeout=10) as response:
        (tmp_path / "openapi.json").write_bytes(response.read())
    (tmp_path / "config.yaml").write_text(CONFIG)
    command = [str(BIN / "openapi-python-client"), "generate", "--path", "openapi.json"]
    command += ["--output-path", PACKAGE, "--meta", "none", "--config", "config.yaml"]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    # The generator reports what it could not turn into code as warnings, and still exits 0.
    assert "Warning" not in result.stdout + result.stderr, result.stdout + result.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(tmp_path))
        for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
            del sys.modules[name]


def assert_complete(model: Any, types: ModuleType) -> None:
    """Every field of a generated response model (nested ones too) is required, so typed without
    `Unset`, and has a value; and the server sent no field the document does not describe (it would
    land in additional_properties)."""
    assert attrs.has(type(model)), model
    for field in attrs.fields(type(model)):
        value = getattr(model, field.name)
        if field.name == "additional_properties":
            assert value == {}, f"{type(model).__name__} has undocumented fields {value}"
            continue
        where = f"{type(model).__name__}.{field.name}"
        if field.name in OPTIONAL_BY_DESIGN:
            continue
        assert "Unset" not in str(field.type), f"{where} is typed {field.type}: not in `required`"
        assert value is not types.UNSET, f"{where} is Unset"
        if attrs.has(type(value)):
            assert_complete(value, types)


def test_a_generated_client_drives_a_whole_session(generated: ModuleType, server: str) -> None:
    api = importlib.import_module(f"{PACKAGE}.api")
    auth = {name: importlib.import_module(f"{api.__name__}.auth.{name}") for name in AUTH_MODULES}
    boards = {name: importlib.import_module(f"{api.__name__}.boards.{name}") for name in BOARD_MODULES}
    models = importlib.import_module(f"{PACKAGE}.models")
    types = importlib.import_module(f"{PACKAGE}.types")
    # Function names come from the operationIds; only refreshing needs the refresh scheme's token.
    refresh_client = inspect.signature(auth["refresh_tokens"].sync).parameters["client"].annotation
    assert refresh_client in ("AuthenticatedClient", generated.AuthenticatedClient)

    anonymous = generated.Client(base_url=server, raise_on_unexpected_status=True)
    user = auth["register"].sync(
        client=anonymous,
        body=models.UserCreate(username="generated", email="generated@example.com", password=PASSWORD),
    )
    assert isinstance(user, models.User), user
    assert (user.username, user.email, user.is_admin) == ("generated", "generated@example.com", False)
    assert_complete(user, types)

    tokens = auth["login"].sync(client=anonymous, body=models.Login(username="generated", password=PASSWORD))
    assert isinstance(tokens, models.Token), tokens
    assert_complete(tokens, types)
    as_user = generated.AuthenticatedClient(base_url=server, token=tokens.access_token)

    body = models.BoardCreate(title="From a generated client", content="No hand edits.")
    created = boards["create_board"].sync_detailed(client=as_user, body=body)
    assert created.status_code == 201, created.content
    board = created.parsed
    assert isinstance(board, models.Board)
    assert (board.title, board.content, board.author.username) == (body.title, body.content, "generated")
    assert created.headers["Location"] == f"{server}/boards/{board.id}"
    assert_complete(board, types)

    read = boards["get_board"].sync_detailed(client=anonymous, board_id=board.id)
    assert read.status_code == 200
    assert read.parsed.to_dict() == {k: v for k, v in board.to_dict().items() if k != "is_mine"}
    unchanged = boards["get_board"].sync_detailed(
        client=anonymous, board_id=board.id, if_none_match=read.headers["ETag"]
    )
    assert (unchanged.status_code, unchanged.parsed, unchanged.content) == (304, None, b"")

    with_refresh_token = generated.AuthenticatedClient(base_url=server, token=tokens.refresh_token)
    renewed = auth["refresh_tokens"].sync(client=with_refresh_token)
    assert isinstance(renewed, models.Token), renewed
    assert_complete(renewed, types)
    assert renewed.refresh_token != tokens.refresh_token
    as_user = generated.AuthenticatedClient(base_url=server, token=renewed.access_token)
    me = auth["get_current_user"].sync(client=as_user)
    assert isinstance(me, models.Me) and me.id == user.id

    logged_out = auth["logout"].sync(client=as_user, body=models.Logout(refresh_token=renewed.refresh_token))
    assert isinstance(logged_out, models.Message) and logged_out.message == "Logged out."
    # Errors come back as the generated Error model, with the documented fields.
    refused = auth["get_current_user"].sync_detailed(client=as_user)
    assert refused.status_code == 401
    assert isinstance(refused.parsed, models.Error)
    assert (refused.parsed.code, refused.parsed.error) == (401, "token_revoked")


AUTH_MODULES = ("register", "login", "refresh_tokens", "logout", "get_current_user")
BOARD_MODULES = ("create_board", "get_board")
