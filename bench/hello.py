"""The floor: a bare Flask app answering a small JSON body, served by the same gunicorn settings.

Nothing built on Flask can answer faster on this machine, so the API's speed is reported as a
ratio to this one's, measured in the same run.
"""

from flask import Flask


def create_app() -> Flask:
    app = Flask(__name__)

    @app.get("/")
    def hello() -> dict[str, str]:
        return {"hello": "world"}

    return app
