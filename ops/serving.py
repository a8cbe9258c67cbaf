"""The production server of `make serve`, and the plumbing it shares with gunicorn.conf.py.

- `main()` (`python -m ops.serving`, what `make serve` runs): the app under granian, whose HTTP layer
  (Rust: hyper on tokio) reads every connection's request line and headers without holding a
  Python thread, so that clients trickling their headers in keep no one else waiting
  (docs/production.md, "Slow clients"). `production_app()` is what each worker serves: the app
  with its access log.
- `preload_libraries()` (in the master, once): imports the third-party libraries the app uses,
  so that each worker forked from the master finds them loaded and only imports this project's
  modules and runs create_app(): ~0.13 s of CPU instead of ~0.9 s. A reload (SIGHUP) thus
  brings up new workers in a fraction of a second. The project's own modules are never imported
  in the master, so a SIGHUP still loads new code; upgrading a library (or this file) needs a
  restart, as with any preloading.
- `exit_with_parent()` (in each worker after the fork, and in the master): asks Linux to send the
  process SIGTERM when its parent dies, even by SIGKILL: workers whose master was killed, and a
  master whose `make serve` was killed, stop and let go of the port instead of holding it.
"""

from __future__ import annotations

import ctypes
import importlib
import importlib.util
import os
import signal
import sys
from typing import Any

# What `import app` imports from site-packages (tests/test_serving_hooks.py keeps it complete),
# all of them installed by requirements.txt alone (tests/test_runtime_install.py).
LIBRARIES = (
    "alembic",
    "apispec",
    "apispec.ext.marshmallow",
    "argon2",
    "dotenv",
    "flask",
    "flask.views",
    "flask_cors",
    "flask_jwt_extended",
    "flask_mail",
    "flask_limiter",
    "flask_migrate",
    "flask_migrate.cli",
    "flask_smorest",
    "flask_smorest.pagination",
    "flask_sqlalchemy",
    "flask_sqlalchemy.cli",
    "flask_swagger_ui",
    "flask_wtf.csrf",
    "jwt",
    "limits",
    "marshmallow",
    "orjson",
    "pymysql",
    "redis",
    "redis.backoff",
    "redis.retry",
    "secure",
    "secure.middleware",
    "sqlalchemy",
    "sqlalchemy.dialects.mysql",
    "sqlalchemy.dialects.sqlite",
    "sqlalchemy.orm",
    "webargs.flaskparser",
    "werkzeug.middleware.proxy_fix",
    "werkzeug.routing",
)
# Imported by the app only when installed: apispec and flask-smorest use PyYAML if it is there (the
# test tools bring it; `make install` does not).
OPTIONAL_LIBRARIES = ("yaml",)

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
M_MMAP_THRESHOLD, M_ARENA_MAX = -3, -8  # from glibc's <malloc.h>


def preload_libraries() -> None:
    for name in LIBRARIES:
        importlib.import_module(name)
    for name in OPTIONAL_LIBRARIES:
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name)


def default_workers() -> int:
    """Worker processes, one per usable core (at least 2).

    Measured with `make bench` on 2 cores (docs/production.md, "Workers"): 2 workers served every
    endpoint faster than 3 or 4, with a fraction of the p99 latency. The app is CPU-bound (JSON,
    JWT, SQLAlchemy, SQLite in-process), so processes beyond the cores only add context switches
    and cache misses. With a database across the network, requests wait on it: raise
    WEB_CONCURRENCY (2 per core is a good start) so that the cores stay busy meanwhile.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(2, cores)


def exit_with_parent() -> None:
    """SIGTERM to this process when its parent dies, even by SIGKILL; Linux only.

    In a worker the parent is the gunicorn master: gunicorn's own check of the parent id runs only
    between requests and select() timeouts. In the master it is what started it: `make serve`'s
    make, a shell script, a supervisor (which then stops it anyway)."""
    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
        return  # not allowed here (a sandbox): gunicorn's own parent check remains
    if os.getppid() != parent:  # the parent died before the request took effect
        os.kill(os.getpid(), signal.SIGTERM)


# Python threads per granian worker that run requests. Only a request whose headers have all
# arrived takes one; a thread then waits for its body if the client sends it slowly, so these are
# how many slow bodies a worker can wait on while still answering others (a buffering proxy in
# front waits for bodies instead: docs/production.md). Threads start only when requests run at
# once and end when idle: under an ordinary load a worker runs about as many as it has requests
# in flight (granian's start-up warning about this number is expected).
BLOCKING_THREADS = 64


def granian_arguments(extra: list[str]) -> list[str]:
    """granian's command line for `make serve`: PORT, WEB_CONCURRENCY, then `extra` (GRANIAN_ARGS),
    whose options win over these."""
    return [
        "--interface=wsgi",
        "--factory",
        "--host=127.0.0.1",
        f"--port={os.environ.get('PORT') or 5000}",
        f"--workers={os.environ.get('WEB_CONCURRENCY') or default_workers()}",
        f"--blocking-threads={BLOCKING_THREADS}",
        "--runtime-mode=st",
        "--no-ws",
        # A worker that dies (killed, out of memory) is replaced; one that cannot start stops all.
        "--respawn-failed-workers",
        # What a stop waits for requests in flight before killing a worker (systemd's default
        # TimeoutStopSec is 90 s).
        "--workers-kill-timeout=30",
        *extra,
        "ops.serving:production_app",
    ]


def production_app() -> Any:
    """What each granian worker serves: the app, with an access log line per request."""
    from app import create_app
    from ops.request_log import RequestLog

    return RequestLog(create_app())


def limit_malloc_retention() -> None:
    """glibc's malloc, in the master before the fork (workers inherit it): blocks of 1 MiB and more
    (argon2's 19 MiB per password check) come from mmap and go back to the system when freed,
    instead of staying in the heap of whichever thread hashed, and threads share 2 arenas. Without
    it, 16 logins at once left each granian worker at 290-350 MiB (docs/performance.md)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None)
        libc.mallopt(M_MMAP_THRESHOLD, 1024 * 1024)
        libc.mallopt(M_ARENA_MAX, 2)
    except (OSError, AttributeError):
        return  # not glibc: its defaults stay


def _in_new_worker() -> None:
    """In each worker, right after the fork: exit with the master; and until granian sets its own
    handlers (once the app is loaded), SIGTERM and SIGINT stop it at once, instead of reaching the
    master's handlers that it inherited and that only raise a flag nobody reads in a worker."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    exit_with_parent()


def main(argv: list[str] | None = None) -> None:
    """`make serve`: granian in the foreground until SIGTERM or SIGINT; SIGHUP replaces the workers
    one by one (new code, no request refused)."""
    from granian.cli import cli

    exit_with_parent()
    limit_malloc_retention()
    preload_libraries()
    os.register_at_fork(after_in_child=_in_new_worker)
    arguments = granian_arguments(sys.argv[1:] if argv is None else argv)
    cli.main(args=arguments, prog_name="granian", auto_envvar_prefix="GRANIAN")


if __name__ == "__main__":
    main()
