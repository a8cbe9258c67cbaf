"""The floor: a bare Flask app answering a small JSON body.

`make bench` serves it with plain gunicorn (`gunicorn -w N bench.hello:app`: no config file, no
access log, nothing but the worker count), so nothing built on Flask answers faster on this
machine; the API's speed is reported as a ratio to this one's, measured in the same run.
"""

from flask import Flask


def create_app() -> Flask:
    app = Flask(__name__)

    @app.get("/")
    def hello() -> dict[str, str]:
        return {"hello": "world"}

    return app


app = create_app()
