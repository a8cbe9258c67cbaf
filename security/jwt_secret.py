"""The development JWT secret: random per install, made on first start, kept in a private file.

Outside production, an unset JWT_SECRET_KEY must not mean a constant from the public source
(anyone could forge tokens for any install). The first process to start generates a secret and
writes it under instance/ with mode 0600; every later start, every gunicorn worker and every
`flask` command reads the same file, so tokens survive restarts and are valid across workers.

Creation is atomic and race-safe: the secret is written whole to a private temporary file, then
hard-linked to its final name. `link` fails when the name exists, so of two processes starting at
once exactly one wins, the other reads the winner's file, and nobody ever reads a half-written
one (which `O_EXCL` on the final name alone could not promise).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click
from gunicorn.errors import AppImportError

# The development default of earlier versions: public, so never a production secret.
PUBLISHED_DEV_SECRET = "dev-only-secret-do-not-use-in-production"


MIN_SECRET_BYTES = 32  # HS256 keys shorter than the hash output weaken it (RFC 7518 §3.2)


class InsecureConfigError(click.ClickException, AppImportError, RuntimeError):
    """Refuses to start, reported in one line by every entry point: a ClickException for the
    `flask` CLI (`Error: …`, exit 1); an AppImportError for gunicorn's workers (the line alone,
    then the master halts with exit 4 instead of rebooting workers); a RuntimeError for gunicorn
    --preload, whose master prints `Error: …` and exits 1."""


def check_production_secret(config: Mapping[str, Any]) -> None:
    """In production, a missing, development or short JWT secret would let anyone forge tokens."""
    if config.get("APP_ENV") != "production":
        return
    secret = config.get("JWT_SECRET_KEY") or ""
    if not secret or secret == PUBLISHED_DEV_SECRET:
        problem = "is missing (or the development default)"
    elif len(secret.encode()) < MIN_SECRET_BYTES:
        problem = f"is shorter than {MIN_SECRET_BYTES} bytes"
    else:
        return
    raise InsecureConfigError(
        f"JWT_SECRET_KEY {problem}: APP_ENV=production needs a random secret of at least "
        f"{MIN_SECRET_BYTES} bytes, e.g. from `python -c 'import secrets; print(secrets.token_urlsafe(48))'`."
    )


SECRET_FILE_NAME = "jwt-secret"


def load_or_create(path: Path) -> str:
    """The secret kept in `path`, generated first if there is none yet."""
    try:
        try:
            return _read(path)
        except FileNotFoundError:
            pass
        with contextlib.suppress(FileExistsError):  # another process made it first: use theirs
            _create(path)
        return _read(path)
    except OSError as error:
        raise InsecureConfigError(
            f"Cannot use the development JWT secret file {path} ({error.strerror}): "
            "set JWT_SECRET_KEY, or make its folder writable."
        ) from error


def _read(path: Path) -> str:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "r", encoding="utf-8") as file:
        mode = os.fstat(file.fileno()).st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            # Readable by others (copied around, say): make it private again before trusting it.
            os.fchmod(file.fileno(), 0o600)
        secret = file.read().strip()
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise InsecureConfigError(
            f"The development JWT secret file {path} holds fewer than {MIN_SECRET_BYTES} bytes: "
            "delete it and a new one is made on the next start."
        )
    return secret


def _create(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(8)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(secrets.token_urlsafe(48) + "\n")
            file.flush()
            os.fsync(file.fileno())
        os.link(temporary, path)  # atomic, and never replaces a secret that is already there
    finally:
        temporary.unlink(missing_ok=True)
