"""Server-side plumbing that gunicorn.conf.py hooks in: fast worker boots, and no orphans.

- `preload_libraries()` (in the master, once): imports the third-party libraries the app uses,
  so that each worker forked from the master finds them loaded and only imports this project's
  modules and runs create_app(): ~0.13 s of CPU instead of ~0.9 s. A reload (SIGHUP) thus
  brings up new workers in a fraction of a second instead of stalling every request for seconds.
  The project's own modules are never imported in the master, so a SIGHUP still loads new code;
  upgrading a library (or this file) needs a restart, as with any preloading.
- `exit_with_parent()` (in each worker after the fork, and in the master): asks Linux to send the
  process SIGTERM when its parent dies, even by SIGKILL: workers whose master was killed, and a
  master whose `make serve` was killed, stop and let go of the port instead of holding it.
"""

from __future__ import annotations

import ctypes
import importlib
import os
import signal
import sys

# What `import app` imports from site-packages (tests/test_serving_hooks.py keeps it complete).
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
    "werkzeug.routing",
    "yaml",
)

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def preload_libraries() -> None:
    for name in LIBRARIES:
        importlib.import_module(name)


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
