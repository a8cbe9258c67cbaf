"""Rotation, reuse detection, logout, logout-all, durability (another instance on the same database,
a restart, pruning) and what a revocation check costs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import jwt as pyjwt
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

import blocklist
from db import db, utcnow
from jwt_utils import issue_tokens
from models import RevokedToken, User
from tests.conftest import TEST_SECRET, bearer, error, make_app
from tests.support import count_statements

REVOKED = error(401, "token_revoked", "The token has been revoked.")


def me(client: FlaskClient, token: str) -> Any:
    return client.get("/auth/me", headers=bearer(token))


def refresh(client: FlaskClient, refresh_token: str) -> Any:
    return client.post("/auth/refresh", headers=bearer(refresh_token))


def claims(token: str) -> dict[str, Any]:
    return pyjwt.decode(token, TEST_SECRET, algorithms=["HS256"])


def assert_revoked(client: FlaskClient, access: list[str] = (), refresh_tokens: list[str] = ()) -> None:
    for token in access:
        response = me(client, token)
        assert (response.status_code, response.json) == (401, REVOKED)
    for token in refresh_tokens:
        response = refresh(client, token)
        assert (response.status_code, response.json) == (401, REVOKED)


def assert_working(client: FlaskClient, access: list[str] = (), refresh_tokens: list[str] = ()) -> None:
    for token in access:
        assert me(client, token).status_code == 200
    for token in refresh_tokens:
        assert refresh(client, token).status_code == 200


def revoked_keys(app: Flask) -> set[str]:
    with app.app_context():
        return set(db.session.execute(db.select(RevokedToken.jti)).scalars())


# --- rotation and reuse detection -------------------------------------------------------------


def test_refresh_rotates_and_revokes_the_used_refresh_token(app, client, make_user):
    user = make_user()
    response = refresh(client, user["refresh_token"])
    assert response.status_code == 200
    new = response.json
    assert set(new) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert claims(new["access_token"])["fresh"] is False
    assert claims(new["refresh_token"])["fam"] == claims(user["refresh_token"])["fam"]
    assert revoked_keys(app) == {claims(user["refresh_token"])["jti"]}  # only the used one
    assert_working(client, access=[user["access_token"], new["access_token"]])


def test_replaying_a_rotated_refresh_token_revokes_the_whole_login(app, client, make_user):
    victim = make_user()
    stolen = victim["refresh_token"]
    rotated = refresh(client, stolen).json  # the victim refreshes first
    family = claims(stolen)["fam"]

    replay = refresh(client, stolen)  # the thief replays the copy

    assert (replay.status_code, replay.json) == (401, REVOKED)
    assert family in revoked_keys(app)
    assert_revoked(
        client,
        access=[victim["access_token"], rotated["access_token"]],
        refresh_tokens=[rotated["refresh_token"]],
    )


def test_reuse_detection_spares_the_users_other_logins(client, make_user, login):
    user = make_user()
    other_login = login(user["username"])
    refresh(client, user["refresh_token"])
    refresh(client, user["refresh_token"])  # replay: this login's family is revoked
    assert_working(
        client, access=[other_login["access_token"]], refresh_tokens=[other_login["refresh_token"]]
    )


# --- logout --------------------------------------------------------------------------------------


def test_logout_revokes_the_access_token_and_its_login(client, make_user, login):
    user = make_user()
    other_login = login(user["username"])
    response = client.post("/auth/logout", headers=user["headers"])
    assert (response.status_code, response.json) == (200, {"message": "Logged out."})
    assert_revoked(client, access=[user["access_token"]], refresh_tokens=[user["refresh_token"]])
    assert_working(client, access=[other_login["access_token"]])


# --- logout-all ----------------------------------------------------------------------------------


def test_logout_all_revokes_every_token_of_the_user_and_stores_nothing_per_token(
    app, client, make_user, login
):
    user = make_user()
    second = login(user["username"])
    rotated = refresh(client, second["refresh_token"]).json
    bystander = make_user()
    keys_before = revoked_keys(app)

    response = client.post("/auth/logout-all", headers=user["headers"])

    assert (response.status_code, response.json) == (200, {"message": "Logged out of every session."})
    assert_revoked(
        client,
        access=[user["access_token"], second["access_token"], rotated["access_token"]],
        refresh_tokens=[user["refresh_token"], rotated["refresh_token"]],
    )
    assert revoked_keys(app) == keys_before  # a counter moved, no row per token
    assert_working(client, access=[bystander["access_token"]], refresh_tokens=[bystander["refresh_token"]])
    fresh_login = login(user["username"])  # logging in again works at once
    assert_working(
        client, access=[fresh_login["access_token"]], refresh_tokens=[fresh_login["refresh_token"]]
    )


def test_logout_all_is_deterministic_within_one_second(app, client, make_user):
    """Tokens issued in the same second as the cut-off, before and after it, are told apart:
    a generation counter decides, not the one-second `iat`."""
    user_id = make_user()["id"]
    for _ in range(5):  # a try spans microseconds: only a second boundary needs another
        with app.app_context():
            user = db.session.get(User, user_id)
            before = issue_tokens(user, fresh=True)
            blocklist.revoke_user_tokens(user_id)
            db.session.commit()
            db.session.refresh(user)
            after = issue_tokens(user, fresh=True)
        if claims(before["access_token"])["iat"] == claims(after["access_token"])["iat"]:
            break
    assert claims(before["access_token"])["iat"] == claims(after["access_token"])["iat"]
    assert_revoked(client, access=[before["access_token"]], refresh_tokens=[before["refresh_token"]])
    assert_working(client, access=[after["access_token"]], refresh_tokens=[after["refresh_token"]])


def test_logout_all_needs_an_access_token(client, make_user):
    user = make_user()
    no_token = client.post("/auth/logout-all")
    assert (no_token.status_code, no_token.json) == (
        401,
        error(
            401,
            "authorization_required",
            "An access token is required: send 'Authorization: Bearer <token>'.",
        ),
    )
    with_refresh = client.post("/auth/logout-all", headers=bearer(user["refresh_token"]))
    assert (with_refresh.status_code, with_refresh.json) == (
        401,
        error(
            401,
            "invalid_token",
            "This is a refresh token: send the access token here "
            "(a refresh token only goes to POST /auth/refresh).",
        ),
    )
    assert_working(client, access=[user["access_token"]])


def test_a_deleted_users_tokens_say_user_not_found_not_revoked(client, make_user):
    user = make_user()
    assert client.delete(f"/users/{user['id']}", headers=user["headers"]).status_code == 204
    response = me(client, user["access_token"])
    assert (response.status_code, response.json) == (
        401,
        error(401, "user_not_found", "The user of this token no longer exists."),
    )


def test_a_deleted_users_tokens_never_pass_for_a_later_user_with_the_same_id(client, make_user):
    """SQLite gives a deleted row's id to the next insert when it was the highest one."""
    gone = make_user()
    assert client.delete(f"/users/{gone['id']}", headers=gone["headers"]).status_code == 204
    successor = make_user()
    response = me(client, gone["access_token"])
    assert (response.status_code, response.json) == (
        401,
        error(401, "user_not_found", "The user of this token no longer exists."),
    )
    refreshed = refresh(client, gone["refresh_token"])
    assert (refreshed.status_code, refreshed.json["error"]) == (401, "user_not_found")
    assert me(client, successor["access_token"]).json["username"] == successor["username"]


# --- durability: another instance, a restart, pruning ------------------------------------------


def test_logout_on_one_instance_holds_on_another(app, database_url, register, login):
    register("alice")
    other = make_app(database_url)  # a second process' app: same database, no shared memory
    one, two = app.test_client(), other.test_client()
    tokens = login("alice")
    assert two.get("/auth/me", headers=bearer(tokens["access_token"])).status_code == 200

    assert one.post("/auth/logout", headers=bearer(tokens["access_token"])).status_code == 200

    for client in (one, two):
        response = client.get("/auth/me", headers=bearer(tokens["access_token"]))
        assert (response.status_code, response.json["error"]) == (401, "token_revoked")
        response = client.post("/auth/refresh", headers=bearer(tokens["refresh_token"]))
        assert (response.status_code, response.json["error"]) == (401, "token_revoked")


def test_revocation_survives_a_restart(app, database_url, register, login):
    register("alice")
    tokens = login("alice")
    rotated = app.test_client().post("/auth/refresh", headers=bearer(tokens["refresh_token"])).json
    assert app.test_client().post("/auth/logout", headers=bearer(rotated["access_token"])).status_code == 200
    with app.app_context():
        db.engine.dispose()

    restarted = make_app(database_url).test_client()
    read = restarted.get("/auth/me", headers=bearer(rotated["access_token"]))
    refreshed = restarted.post("/auth/refresh", headers=bearer(tokens["refresh_token"]))
    for response in (read, refreshed):
        assert (response.status_code, response.json["error"]) == (401, "token_revoked")


def test_entries_keep_the_token_expiry_and_prune_removes_only_expired_ones(app, make_user, client):
    user = make_user()
    assert client.post("/auth/refresh", headers=bearer(user["refresh_token"])).status_code == 200
    with app.app_context():
        entries = db.session.execute(db.select(RevokedToken)).scalars().all()
        assert len(entries) == 1  # the rotated refresh token
        lifetime = entries[0].expires_at - utcnow()
        assert timedelta(days=29, hours=23) < lifetime <= timedelta(days=30)
        db.session.add(RevokedToken(jti="long-gone", expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()

    result = app.test_cli_runner().invoke(args=["tokens", "prune"])
    assert result.exit_code == 0
    assert result.output == (
        "Pruned 1 expired revocation entries.\nPruned 0 idempotency keys older than 24 hours.\n"
    )
    with app.app_context():
        remaining = db.session.execute(db.select(RevokedToken.jti)).scalars().all()
        assert remaining == [entries[0].jti]
    # The pruned database still refuses the rotated token.
    response = client.post("/auth/refresh", headers=bearer(user["refresh_token"]))
    assert response.json["error"] == "token_revoked"


# --- cost of the checks ----------------------------------------------------------------------------


def test_an_authenticated_request_costs_one_statement(app, client, make_user):
    """The revocation check (user row by primary key, with an EXISTS lookup of the jti and one of
    the family) and the user loader together: the loader finds the row in `g`."""
    user = make_user()
    with count_statements(app) as statements:
        response = me(client, user["access_token"])
    assert response.status_code == 200
    assert len(statements) == 1, statements
    assert "FROM users" in statements[0] and "users.id = " in statements[0]
    assert statements[0].count("FROM revoked_tokens") == 2


def test_a_revoked_token_of_a_deleted_user_is_still_revoked(app, client, make_user, make_admin):
    """Without the user row the joined statement finds nothing: the revocation lookup runs alone."""
    user = make_user()
    assert client.post("/auth/logout", headers=user["headers"]).status_code == 200
    assert client.delete(f"/users/{user['id']}", headers=make_admin()["headers"]).status_code == 204
    with count_statements(app) as statements:
        response = me(client, user["access_token"])
    assert (response.status_code, response.json) == (401, REVOKED)
    assert len(statements) == 2, statements


def test_a_token_voided_by_logout_all_costs_one_statement(app, client, make_user):
    user = make_user()
    client.post("/auth/logout-all", headers=user["headers"])
    with count_statements(app) as statements:
        response = me(client, user["access_token"])
    assert response.status_code == 401
    assert len(statements) == 1, statements


# --- migration -------------------------------------------------------------------------------------


def test_migration_0003_adds_the_token_generation_and_round_trips(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'migrated.db'}")
    with app.app_context():
        upgrade()
        columns = {c["name"]: c for c in inspect(db.engine).get_columns("users")}
        assert columns["token_generation"]["nullable"] is False
        assert str(columns["token_generation"]["default"]).strip("'\"") == "0"
        assert columns["kept_token_family"]["nullable"] is True
        downgrade(revision="0002")
        assert "token_generation" not in {c["name"] for c in inspect(db.engine).get_columns("users")}
        upgrade()
        db.engine.dispose()
