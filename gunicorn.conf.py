"""gunicorn settings shared by `make serve` and `make bench` (the benchmark measures what production runs).

Every value can be overridden from the environment or the command line, as gunicorn allows.
"""

import os


def default_workers() -> int:
    """Sync workers, two per usable core (measured on 2 cores; see README "Production").

    The app is CPU-bound (JSON, JWT, SQLAlchemy), so more processes than cores only help to
    cover the short waits on the database and the socket; 2 per core beat 1 per core and
    2 * cores + 1 on this workload.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(2, 2 * cores)


bind = f"127.0.0.1:{os.environ.get('PORT', '5000')}"
workers = int(os.environ.get("WEB_CONCURRENCY") or default_workers())
worker_class = "sync"
# gunicorn 27 otherwise makes every instance on the machine share one control socket.
control_socket_disable = True
accesslog = "-"
errorlog = "-"
