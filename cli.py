"""`flask` commands for operators."""

import click
from flask import Flask
from flask.cli import AppGroup

import blocklist
from db import db
from models import User

tokens_cli = AppGroup("tokens", help="Token revocation store.")
users_cli = AppGroup("users", help="User administration.")


@tokens_cli.command("prune")
def prune_tokens() -> None:
    """Delete revocation entries whose tokens have expired anyway."""
    click.echo(f"Pruned {blocklist.prune()} expired revocation entries.")


@users_cli.command("make-admin")
@click.argument("username")
@click.option("--revoke", is_flag=True, help="Take admin rights away instead.")
def make_admin(username: str, revoke: bool) -> None:
    """Grant (or with --revoke, take away) admin rights: the only way to make an admin."""
    user = User.find_by_login(username)
    if user is None:
        raise click.ClickException(f"No user named {username!r}.")
    user.is_admin = not revoke
    db.session.commit()
    click.echo(f"{user.username} is {'now' if user.is_admin else 'no longer'} an admin.")


def register(app: Flask) -> None:
    app.cli.add_command(tokens_cli)
    app.cli.add_command(users_cli)
