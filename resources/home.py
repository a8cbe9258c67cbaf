"""`GET /`: a person who opens the service's address lands on its documentation."""

from flask import Blueprint, Response, url_for

blp = Blueprint("home", __name__)


@blp.get("/")
def home() -> Response:
    # 302, not 301: browsers keep a permanent redirect forever, and the page may move. No body:
    # Werkzeug's redirect() would add a small HTML page, and this API answers no HTML.
    return Response(status=302, headers={"Location": url_for("api-docs.openapi_swagger_ui")})
