from flask.views import MethodView
from marshmallow import Schema, fields
from sqlalchemy import text

from db import db
from errors import ErrorSchema
from resources.blueprint import Blueprint

blp = Blueprint("Health", __name__, description="Liveness of the service and its database.")


class HealthSchema(Schema):
    status = fields.String(required=True, metadata={"example": "ok"})


@blp.route("/health")
class Health(MethodView):
    @blp.doc(operationId="getHealth")
    @blp.response(200, HealthSchema)
    @blp.alt_response(503, schema=ErrorSchema, description="The database does not answer.")
    def get(self) -> dict[str, str]:
        """Whether the service and its database answer"""
        # An unreachable database raises OperationalError, which errors.py turns into a 503.
        db.session.execute(text("SELECT 1"))
        return {"status": "ok"}
