"""/moderation: the cases of reported items, what admins do with them, and the audit log.

Reports themselves are made under the item's own URL (resources/boards.py, resources/comments.py),
bans under the user's (resources/users.py); the rules of all of them are in services/.
"""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView
from flask_jwt_extended import get_current_user

from errors import ErrorSchema, error_body
from jwt_utils import auth_required
from resources.blueprint import Blueprint
from resources.pagination import PAGE_SIZES, page_request, respond_page
from schemas.moderation import (
    AuditEntrySchema,
    CaseActionSchema,
    CaseDetailSchema,
    CaseListArgsSchema,
    CaseSchema,
)
from services import audit, moderation
from services.access import ADMINS_ONLY

blp = Blueprint(
    "Moderation",
    __name__,
    url_prefix="/moderation",
    description="Reported items' cases, what admins do with them, and the audit log: admins only.",
)

FORBIDDEN_DOC = {
    "schema": ErrorSchema,
    "description": "Not an admin (error: forbidden).",
    "example": error_body(403, ADMINS_ONLY, "forbidden"),
}
NOT_FOUND_DOC = {
    "schema": ErrorSchema,
    "description": "No such case.",
    "example": error_body(404, "Case 7 not found."),
}
CONFLICT_DOC = {
    "schema": ErrorSchema,
    "description": "The action does not apply: the case is closed (case_closed), its item no longer "
    "exists (item_gone: only dismiss and delete apply), or dismissing a hidden item (item_hidden: "
    "restore it).",
    "example": error_body(409, "Board 3 is hidden: restore it to dismiss its reports.", "item_hidden"),
}

# The list services' items hold datetimes: dumped by their schemas.
CASES = CaseSchema(many=True)
ENTRIES = AuditEntrySchema(many=True)


@blp.route("/cases")
class Cases(MethodView):
    @blp.doc(operationId="listCases")
    @auth_required(blp)
    @blp.arguments(CaseListArgsSchema, location="query")
    @blp.response(200, CaseSchema(many=True))
    @blp.alt_response(403, **FORBIDDEN_DOC)
    @blp.paginate(**PAGE_SIZES)
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> Response:
        """List the cases in one status (open by default), most reported first (admins)"""
        page = moderation.list_cases(get_current_user(), args["status"], page_request(pagination_parameters))
        return respond_page(page, pagination_parameters, CASES)


@blp.route("/cases/<id:case_id>")
class CaseById(MethodView):
    @blp.doc(operationId="getCase")
    @auth_required(blp)
    @blp.response(200, CaseDetailSchema)
    @blp.alt_response(403, **FORBIDDEN_DOC)
    @blp.alt_response(404, **NOT_FOUND_DOC)
    def get(self, case_id: int) -> dict[str, Any]:
        """Read a case with its reports (admins)"""
        return moderation.case_with_reports(get_current_user(), case_id)

    @blp.doc(operationId="actOnCase")
    @auth_required(blp)
    @blp.arguments(CaseActionSchema)
    @blp.response(200, CaseSchema)
    @blp.alt_response(403, **FORBIDDEN_DOC)
    @blp.alt_response(404, **NOT_FOUND_DOC)
    @blp.alt_response(409, **CONFLICT_DOC)
    def patch(self, data: dict[str, Any], case_id: int) -> dict[str, Any]:
        """Hide, restore, dismiss or delete a case's item (admins; written to the audit log)"""
        return moderation.act(get_current_user(), case_id, data["action"])


@blp.route("/log")
class AuditLog(MethodView):
    @blp.doc(operationId="listAuditLog")
    @auth_required(blp)
    @blp.response(200, AuditEntrySchema(many=True))
    @blp.alt_response(403, **FORBIDDEN_DOC)
    @blp.paginate(**PAGE_SIZES)
    def get(self, pagination_parameters: Any) -> Response:
        """List the admins' actions, newest first (admins)"""
        page = audit.entries(get_current_user(), page_request(pagination_parameters))
        return respond_page(page, pagination_parameters, ENTRIES)
