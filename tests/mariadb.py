"""A private, throwaway MariaDB server on 127.0.0.1: for `make test-mysql` and for tests that must
stop and restart a database under a running app.

Each server has its own data directory under a temporary folder, listens on a free port and on a
socket in that folder, and is stopped by its PID: nothing touches a system-wide MariaDB.

    python -m tests.mariadb run -- pytest -x   # start, create a utf8mb4 database, run, stop
    python -m tests.mariadb start              # prints TEST_DATABASE_URL and the folder to stop
    python -m tests.mariadb stop FOLDER
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import pymysql

from tests.servers import free_port

SBIN = ("/usr/sbin", "/usr/local/sbin", "/usr/bin")

# Tuned for throwaway test data: nothing here has to survive a power cut.
SERVER_OPTIONS = (
    "--skip-name-resolve",
    "--character-set-server=utf8mb4",
    "--collation-server=utf8mb4_unicode_ci",
    "--innodb-log-file-size=16M",
    "--innodb-buffer-pool-size=64M",
    "--innodb-flush-log-at-trx-commit=0",
    "--innodb-doublewrite=0",
    "--max-connections=200",
    # Mroonga: the engine of the boards' search index (models/board_search.py).
    "--plugin-load-add=ha_mroonga.so",
)
MROONGA_PLUGIN = Path("/usr/lib/mysql/plugin/ha_mroonga.so")


def find_program(name: str) -> str | None:
    """`mariadbd` lives in /usr/sbin, which is not on every user's PATH."""
    return shutil.which(name) or shutil.which(name, path=os.pathsep.join(SBIN))


def ensure_installed() -> None:
    """Install Debian's mariadb-server and Mroonga plugin when missing (CI runs as root)."""
    if find_program("mariadbd") and find_program("mariadb-install-db") and MROONGA_PLUGIN.exists():
        return
    packages = ["mariadb-server", "mariadb-plugin-mroonga"]
    if os.geteuid() != 0:
        sys.exit(f"MariaDB is not installed: run `sudo apt-get install -y {' '.join(packages)}` first.")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    print(f"Installing {', '.join(packages)} from Debian's packages…", file=sys.stderr, flush=True)
    subprocess.run(["apt-get", "update"], check=True, env=env)
    install = ["apt-get", "install", "-y", "--no-install-recommends", *packages]
    subprocess.run(install, check=True, env=env)


class MariaDB:
    """One mariadbd process with its own data directory under `base`."""

    def __init__(self, base: Path | None = None, options: tuple[str, ...] = ()) -> None:
        self.base = base or Path(tempfile.mkdtemp(prefix="board-mariadb-"))
        self.options = options
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def datadir(self) -> Path:
        return self.base / "data"

    @property
    def socket(self) -> Path:
        return self.base / "sock"

    @property
    def error_log(self) -> Path:
        return self.base / "error.log"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def _user_args(self) -> list[str]:
        # mariadbd refuses to run as root; as root it switches to the mysql user, which must own the files.
        return ["--user=mysql"] if os.geteuid() == 0 else []

    def install(self) -> None:
        self.base.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.base, "mysql", "mysql")
        command = [
            find_program("mariadb-install-db") or "mariadb-install-db",
            "--no-defaults",
            "--auth-root-authentication-method=normal",  # root without a password: see _lock_root
            "--skip-test-db",
            *self._user_args(),
            f"--datadir={self.datadir}",
            *SERVER_OPTIONS,
            *self.options,
        ]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode:
            raise RuntimeError(f"mariadb-install-db failed:\n{result.stdout}\n{result.stderr}")

    def start(self, timeout: float = 60) -> None:
        """Start the server (installing its data directory the first time) and wait until it answers."""
        fresh = not self.datadir.exists()
        if fresh:
            self.install()
        command = [
            find_program("mariadbd") or "mariadbd",
            "--no-defaults",
            *self._user_args(),
            f"--datadir={self.datadir}",
            f"--socket={self.socket}",
            f"--port={self.port}",
            "--bind-address=127.0.0.1",
            f"--pid-file={self.base / 'mariadbd.pid'}",
            f"--log-error={self.error_log}",
            *SERVER_OPTIONS,
            *self.options,
        ]
        # Its own session: a Ctrl-C in the terminal reaches us, and we stop the server in order.
        with (self.base / "console.log").open("ab") as console:
            self.process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=console, stderr=console, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"mariadbd exited with {self.process.returncode}:\n{self.log_tail()}")
            if self.answers():
                if fresh:
                    self._lock_root()
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"mariadbd did not answer within {timeout} s:\n{self.log_tail()}")

    def _lock_root(self) -> None:
        """Keep password-less root only on the socket, inside our 0700 folder: no root over TCP."""
        with self.connect() as conn, conn.cursor() as cursor:
            cursor.execute("SELECT host FROM mysql.user WHERE user = 'root' AND host <> 'localhost'")
            for (host,) in cursor.fetchall():
                cursor.execute("DROP USER 'root'@%s", (host,))

    def answers(self) -> bool:
        # Probe the socket first: PyMySQL leaks the socket of a connection attempt that fails.
        with socket.socket(socket.AF_UNIX) as probe:
            try:
                probe.connect(str(self.socket))
            except OSError:
                return False
        try:
            self.connect().close()
        except pymysql.err.OperationalError:
            return False
        return True

    def stop(self, timeout: float = 60) -> None:
        """A clean shutdown by PID (SIGTERM), then SIGKILL if it hangs."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.error_log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no error log)"

    def connect(self, **kwargs: Any) -> pymysql.Connection:
        """A root connection over the server's own socket."""
        return pymysql.connect(
            unix_socket=str(self.socket),
            user="root",
            charset="utf8mb4",
            connect_timeout=5,
            ssl_disabled=True,
            **kwargs,
        )

    def create_database(self, name: str, user: str) -> str:
        """A utf8mb4 database and a user who owns it (and `name_*` scratch databases); its URL."""
        password = secrets.token_hex(12)
        with self.connect() as conn, conn.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
            cursor.execute(f"CREATE USER '{user}'@'127.0.0.1' IDENTIFIED BY '{password}'")
            pattern = name.replace("_", "\\_")
            cursor.execute(f"GRANT ALL PRIVILEGES ON `{pattern}%`.* TO '{user}'@'127.0.0.1'")
        # This server has no TLS, and PyMySQL's "preferred TLS" loads the CA bundle for every new
        # connection anyway (~20 ms of CPU): skip that here.
        query = "charset=utf8mb4&ssl_disabled=true"
        return f"mysql+pymysql://{user}:{password}@127.0.0.1:{self.port}/{name}?{query}"

    def version(self) -> str:
        with self.connect() as conn, conn.cursor() as cursor:
            cursor.execute("SELECT VERSION()")
            return str(cursor.fetchone()[0])

    def __enter__(self) -> MariaDB:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.remove()


def _exit_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit, so that `finally` stops the server when CI cancels us."""

    def handler(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


def run(command: list[str]) -> int:
    ensure_installed()
    _exit_on_sigterm()
    started = time.monotonic()
    with MariaDB() as server:
        url = server.create_database("board_test", "board")
        print(
            f"MariaDB {server.version()} (pid {server.pid}) on 127.0.0.1:{server.port}, "
            f"ready in {time.monotonic() - started:.1f} s",
            file=sys.stderr,
            flush=True,
        )
        return subprocess.run(command, env={**os.environ, "TEST_DATABASE_URL": url}).returncode


def start() -> None:
    ensure_installed()
    server = MariaDB()
    server.start()
    url = server.create_database("board_test", "board")
    (server.base / "url").write_text(url)
    print(f"export TEST_DATABASE_URL='{url}'\n# stop it with: python -m tests.mariadb stop {server.base}")


def stop(base: Path) -> None:
    pid = int((base / "mariadbd.pid").read_text())
    os.kill(pid, signal.SIGTERM)
    while Path(f"/proc/{pid}").exists():
        time.sleep(0.1)
    shutil.rmtree(base, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.mariadb", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="action", required=True)
    run_parser = commands.add_parser("run", help="start a server, run COMMAND with TEST_DATABASE_URL, stop")
    run_parser.add_argument("command", nargs=argparse.REMAINDER)
    commands.add_parser("start", help="start a server and leave it running")
    stop_parser = commands.add_parser("stop", help="stop a server started with `start`")
    stop_parser.add_argument("base", type=Path)
    args = parser.parse_args(argv)
    if args.action == "run":
        command = args.command[1:] if args.command[:1] == ["--"] else args.command
        if not command:
            parser.error("run needs a command")
        return run(command)
    if args.action == "start":
        start()
    else:
        stop(args.base)
    return 0


if __name__ == "__main__":
    sys.exit(main())
