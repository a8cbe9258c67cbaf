"""gunicorn settings of `SERVER=gunicorn make serve` (`make serve` itself runs granian: ops/serving.py).

gunicorn's sync workers read each request whole, headers included, before anything else: clients
that trickle their headers in hold a worker each, so this server belongs behind a buffering proxy
(docs/production.md, "Slow clients"). Every value can be overridden from the environment or the
command line, as gunicorn allows.
"""

import gc
import os
import time

from ops import serving

bind = f"127.0.0.1:{os.environ.get('PORT', '5000')}"
workers = int(os.environ.get("WEB_CONCURRENCY") or serving.default_workers())
worker_class = "sync"
# gunicorn 27 otherwise makes every instance on the machine share one control socket.
control_socket_disable = True
accesslog = "-"
errorlog = "-"
# gunicorn's access log line for less CPU; gunicorn's own code with SPEEDUPS=off (speedups/access_log.py).
logger_class = "speedups.access_log.AccessLogger"


def on_starting(server) -> None:  # type: ignore[no-untyped-def]
    """In the master, before any worker: see ops/serving.py (fast worker boots on start and reload;
    the master stops with the process that started it, e.g. `make serve`'s make)."""
    serving.preload_libraries()
    # Not when daemonised (its parent exits at once), nor in a master started by USR2 (gunicorn's
    # binary upgrade: its parent is the old master, which the operator then stops).
    if not server.cfg.daemon and not server.master_pid:
        serving.exit_with_parent()


def post_fork(server, worker) -> None:  # type: ignore[no-untyped-def]
    """In each new worker: exit with the master, at once, even when it is killed with SIGKILL."""
    serving.exit_with_parent()
    # Booting (project imports, create_app) makes only objects that live as long as the worker:
    # the cyclic collector has nothing to find in them. Back on, with them frozen, once booted.
    gc.disable()
    worker.forked_at = time.monotonic()


def post_worker_init(worker) -> None:  # type: ignore[no-untyped-def]
    """Log what booting this worker cost (app imports and create_app), to watch reload times."""
    gc.freeze()  # the app's own objects: no collection walks them again
    gc.enable()
    wall = time.monotonic() - getattr(worker, "forked_at", time.monotonic())
    worker.log.info("Worker ready: %.2f s CPU, %.2f s since the fork", time.process_time(), wall)
