"""Shapes of moderation: reports, cases, the audit log and bans."""

from datetime import UTC
from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate

from models.audit import ACTIONS as LOG_ACTIONS
from models.moderation import REASONS, STATUSES, TARGET_TYPES
from schemas.board import BoardAuthorSchema
from schemas.text import SINGLE_LINE_PATTERN, multi_line, single_line
from schemas.timestamps import ID_DOC, timestamp

CASE_ACTIONS = ("hide", "restore", "dismiss", "delete")


class ReportCreateSchema(Schema):
    reason = fields.String(
        required=True,
        validate=validate.OneOf(REASONS),
        metadata={"description": "Why it should go: " + ", ".join(REASONS) + ".", "example": "spam"},
    )
    detail = multi_line(
        max_length=500,
        load_default="",
        metadata={
            "description": "What a moderator should know (optional).",
            "example": "Links to a scam shop.",
        },
    )


class TargetSchema(Schema):
    type = fields.String(
        required=True, dump_only=True, validate=validate.OneOf(TARGET_TYPES), metadata={"example": "board"}
    )
    id = fields.Integer(required=True, dump_only=True, metadata=ID_DOC)


class ReportSchema(Schema):
    """Your report of a board or comment."""

    id = fields.Integer(required=True, dump_only=True, metadata=ID_DOC)
    target = fields.Nested(TargetSchema, required=True, dump_only=True)
    reason = fields.String(required=True, dump_only=True, metadata={"example": "spam"})
    detail = fields.String(required=True, dump_only=True, metadata={"example": "Links to a scam shop."})
    created_at = timestamp()


class ReasonCountsSchema(Schema):
    spam = fields.Integer(required=True, dump_only=True, metadata={"example": 3})
    abuse = fields.Integer(required=True, dump_only=True, metadata={"example": 1})
    illegal = fields.Integer(required=True, dump_only=True, metadata={"example": 0})
    other = fields.Integer(required=True, dump_only=True, metadata={"example": 1})


class CaseSchema(Schema):
    """Everything reported about one board or comment, and what moderation did with it."""

    id = fields.Integer(required=True, dump_only=True, metadata=ID_DOC)
    target = fields.Nested(TargetSchema, required=True, dump_only=True)
    status = fields.String(
        required=True,
        dump_only=True,
        validate=validate.OneOf(STATUSES),
        metadata={
            "description": "open: waiting for a moderator; hidden: out of sight (at "
            "REPORT_HIDE_THRESHOLD reports, or by an admin); dismissed: reviewed, the item stays; "
            "deleted: the item was deleted.",
            "example": "open",
        },
    )
    report_count = fields.Integer(required=True, dump_only=True, metadata={"example": 5})
    reasons = fields.Nested(ReasonCountsSchema, required=True, dump_only=True)
    first_reported_at = fields.DateTime(
        required=True,
        dump_only=True,
        allow_none=True,
        metadata={"description": "Null when an admin acted on an item nobody reported."},
    )
    last_reported_at = fields.DateTime(required=True, dump_only=True, allow_none=True)


class CaseReportSchema(Schema):
    id = fields.Integer(required=True, dump_only=True, metadata=ID_DOC)
    reporter = fields.Nested(
        BoardAuthorSchema,
        required=True,
        dump_only=True,
        allow_none=True,
        metadata={"description": "Null once the reporter's account is deleted."},
    )
    reason = fields.String(required=True, dump_only=True, metadata={"example": "spam"})
    detail = fields.String(required=True, dump_only=True, metadata={"example": "Links to a scam shop."})
    created_at = timestamp()


class CaseDetailSchema(CaseSchema):
    reports = fields.List(
        fields.Nested(CaseReportSchema),
        required=True,
        dump_only=True,
        metadata={"description": "Its newest 100 reports, newest first (report_count counts them all)."},
    )


class CaseListArgsSchema(Schema):
    status = fields.String(
        load_default="open",
        validate=validate.OneOf(STATUSES),
        metadata={"description": "Only the cases in this status."},
    )


class CaseActionSchema(Schema):
    action = fields.String(
        required=True,
        validate=validate.OneOf(CASE_ACTIONS),
        metadata={
            "description": "hide: out of sight for all but its author and admins; restore: visible "
            "again, reports dismissed; dismiss: reports dismissed, the item stays; delete: the item "
            "is deleted as its author would delete it.",
            "example": "dismiss",
        },
    )


class AuditEntrySchema(Schema):
    id = fields.Integer(required=True, dump_only=True, metadata=ID_DOC)
    actor = fields.Nested(BoardAuthorSchema, required=True, dump_only=True)
    action = fields.String(
        required=True, dump_only=True, validate=validate.OneOf(LOG_ACTIONS), metadata={"example": "hide"}
    )
    target = fields.Nested(
        TargetSchema,
        required=True,
        dump_only=True,
        metadata={"description": "What was acted on: a board, comment, user or forum."},
    )
    detail = fields.String(
        required=True,
        dump_only=True,
        metadata={"description": "The case, the ban's reason and end, …", "example": "case 1"},
    )
    created_at = timestamp()


class BanSchema(Schema):
    reason = single_line(
        min_length=1,
        max_length=500,
        required=True,
        metadata={"description": "Shown to the user when they try to log in.", "example": "Spam links."},
    )
    until = fields.AwareDateTime(
        default_timezone=UTC,
        allow_none=True,
        load_default=None,
        metadata={
            "description": "When the ban ends (ISO 8601, in the future; UTC when no offset is given). "
            "Absent or null: until lifted.",
            "example": "2099-01-01T00:00:00+00:00",
            # What the parser takes is stricter still; stated for clients and fuzzers.
            "pattern": SINGLE_LINE_PATTERN,
            "maxLength": 40,
        },
    )

    @post_load
    def in_utc(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        if data["until"] is not None:
            try:
                data["until"] = data["until"].astimezone(UTC)
            except OverflowError:
                raise ValidationError("Not a valid datetime.", "until") from None
        return data


class BanStateSchema(Schema):
    user = fields.Nested(BoardAuthorSchema, required=True, dump_only=True)
    banned = fields.Boolean(required=True, dump_only=True, metadata={"example": True})
    reason = fields.String(
        required=True, dump_only=True, allow_none=True, metadata={"example": "Spam links."}
    )
    until = fields.DateTime(
        required=True,
        dump_only=True,
        allow_none=True,
        metadata={"description": "Null: until lifted (or not banned)."},
    )
