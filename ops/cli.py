"""`flask` commands for operators. Each runs in one unit of work, as a request does: all of its
work is committed when it succeeds, none when it fails."""

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

import blocklist
from db import transaction, utcnow
from models import idempotency_key
from ops import seed
from services.users import set_admin

tokens_cli = AppGroup("tokens", help="Token revocation store.")
users_cli = AppGroup("users", help="User administration.")


@tokens_cli.command("prune")
def prune_tokens() -> None:
    """Delete revocation entries whose tokens have expired anyway, and the idempotency keys of
    creates older than 24 hours (which no longer replay)."""
    with transaction():
        pruned = blocklist.prune()
        keys = idempotency_key.prune(utcnow())
    click.echo(f"Pruned {pruned} expired revocation entries.")
    click.echo(f"Pruned {keys} idempotency keys older than 24 hours.")


@users_cli.command("make-admin")
@click.argument("username")
@click.option("--revoke", is_flag=True, help="Take admin rights away instead.")
def make_admin(username: str, revoke: bool) -> None:
    """Grant (or with --revoke, take away) admin rights: the only way to make an admin."""
    with transaction():
        name = set_admin(username, not revoke)
    if name is None:
        raise click.ClickException(f"No user named {username!r}.")
    click.echo(f"{name} is {'no longer' if revoke else 'now'} an admin.")


@click.command("seed")
@with_appcontext
@click.option("--users", "users", type=click.IntRange(min=0), default=0, help="Users to create.")
@click.option("--boards", "boards", type=click.IntRange(min=0), default=0, help="Boards to create.")
@click.option("--password", default="seed-password", show_default=True, help="Every seeded user's password.")
def seed_command(users: int, boards: int, password: str) -> None:
    """Bulk demo data: users named seed_N and boards spread over them (or over existing users)."""
    try:
        with transaction():
            report = seed.seed(users, boards, password)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    made = f"{report.users} users"
    if report.users:
        made += f" ({report.first_user} .. {report.last_user}, password {password!r})"
    click.echo(f"Seeded {made} and {report.boards} boards in {report.seconds:.2f} s.")


def register(app: Flask) -> None:
    app.cli.add_command(tokens_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(seed_command)
