"""Revocation is durable and shared: it holds in another app instance on the same database,
after a restart, and entries are pruned once their tokens have expired anyway."""

from datetime import timedelta

from db import db, utcnow
from models import RevokedToken
from tests.conftest import PASSWORD, bearer, make_app


def login(client, username: str) -> dict:
    response = client.post("/auth/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200
    return response.json


def test_logout_on_one_instance_holds_on_another(app, database_url, register):
    register("alice")
    other = make_app(database_url)  # a second process' app: same database, no shared memory
    one, two = app.test_client(), other.test_client()
    tokens = login(one, "alice")
    assert two.get("/auth/me", headers=bearer(tokens["access_token"])).status_code == 200

    assert one.post("/auth/logout", headers=bearer(tokens["access_token"])).status_code == 200

    for client in (one, two):
        response = client.get("/auth/me", headers=bearer(tokens["access_token"]))
        assert (response.status_code, response.json["error"]) == (401, "token_revoked")
        response = client.post("/auth/refresh", headers=bearer(tokens["refresh_token"]))
        assert (response.status_code, response.json["error"]) == (401, "token_revoked")


def test_revocation_survives_a_restart(app, database_url, register):
    register("alice")
    tokens = login(app.test_client(), "alice")
    rotated = app.test_client().post("/auth/refresh", headers=bearer(tokens["refresh_token"])).json
    assert app.test_client().post("/auth/logout", headers=bearer(rotated["access_token"])).status_code == 200
    with app.app_context():
        db.engine.dispose()

    restarted = make_app(database_url).test_client()
    me = restarted.get("/auth/me", headers=bearer(rotated["access_token"]))
    refresh = restarted.post("/auth/refresh", headers=bearer(tokens["refresh_token"]))
    for response in (me, refresh):
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
    assert (
        result.output
        == "Pruned 1 expired revocation entries.\nPruned 0 idempotency keys older than 24 hours.\n"
    )
    with app.app_context():
        remaining = db.session.execute(db.select(RevokedToken.jti)).scalars().all()
        assert remaining == [entries[0].jti]
    # The pruned database still refuses the rotated token.
    response = client.post("/auth/refresh", headers=bearer(user["refresh_token"]))
    assert response.json["error"] == "token_revoked"
