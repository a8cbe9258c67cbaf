"""CPU per access log line: gunicorn's own logger against speedups.access_log.AccessLogger.

    python bench/access_log.py

Both write the combined-format line of a typical request (a page of boards with a token) to
/dev/null; each figure is the fastest of 30 rounds of 2,000 lines, in CPU time of this process.
"""

from __future__ import annotations

import datetime
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["SPEEDUPS"] = "on"

from gunicorn import glogging
from gunicorn.config import Config

from speedups.access_log import AccessLogger


class Response:
    status = "200 OK"
    sent = 512
    headers = (("Content-Type", "application/json"), ("Content-Length", "512"), ("ETag", '"abc"'))


class Request:
    headers = (("HOST", "127.0.0.1:5000"), ("USER-AGENT", "wrk"), ("AUTHORIZATION", "Bearer x.y.z"))


ENVIRON = {
    "REQUEST_METHOD": "GET",
    "RAW_URI": "/boards?page_size=20",
    "PATH_INFO": "/boards",
    "QUERY_STRING": "page_size=20",
    "SERVER_PROTOCOL": "HTTP/1.1",
    "SERVER_NAME": "127.0.0.1",
    "SERVER_PORT": "5000",
    "REMOTE_ADDR": "127.0.0.1",
    "HTTP_HOST": "127.0.0.1:5000",
    "HTTP_USER_AGENT": "wrk",
    "HTTP_AUTHORIZATION": "Bearer x.y.z",
    "wsgi.url_scheme": "http",
}


def cpu_per_line(logger_class: type[glogging.Logger]) -> float:
    config = Config()
    config.set("accesslog", os.devnull)
    logger: Any = logger_class(config)
    took = datetime.timedelta(microseconds=1500)
    fastest = float("inf")
    for _ in range(30):
        start = time.process_time()
        for _ in range(2000):
            logger.access(Response, Request, ENVIRON, took)
        fastest = min(fastest, (time.process_time() - start) / 2000 * 1e6)
    return fastest


if __name__ == "__main__":
    for _ in range(3):
        print(
            f"gunicorn {cpu_per_line(glogging.Logger):5.1f} µs   AccessLogger {cpu_per_line(AccessLogger):5.1f} µs"
        )
