"""Errors a handler turns into ``{"error": {"code", "message", "field"}}`` with its status."""

from __future__ import annotations

from typing import Any


class HouqinError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "field": self.field}}


class ValidationError(HouqinError):
    status = 400
    code = "invalid"


class Unauthorized(HouqinError):
    status = 401
    code = "unauthorized"


class Forbidden(HouqinError):
    status = 403
    code = "forbidden"


class NotFound(HouqinError):
    status = 404
    code = "not_found"


class Conflict(HouqinError):
    status = 409
    code = "conflict"


# Every error code an API answers, with its status and what it means: the one list clients read (tests/unit/
# test_errors.py checks it against every code the product raises, both ways).
CODES: dict[str, tuple[int, str]] = {
    "bad_request": (400, "the request cannot be read"),
    "invalid": (400, "an input is missing or wrong; `field` names it"),
    "gender_mismatch": (400, "the bed's room is for the other gender"),
    "badrequest": (400, "Chalice refused the request before Houqin read it (e.g. a body that is not JSON)"),
    "unauthorized": (401, "no valid token"),
    "forbidden": (403, "the caller's roles do not allow this"),
    "not_support_staff": (403, "work logs are kept by support staff only"),
    "terminal_not_registered": (403, "the fingerprint terminal is not registered: nothing is stored, resend later"),
    "not_found": (404, "no such object, or not one the caller may see"),
    "conflict": (409, "the object's state does not allow this"),
    "illegal_transition": (409, "the object's state does not allow this action"),
    "version_conflict": (409, "the object changed since it was read (If-Match / version): reload and retry"),
    "changed_meanwhile": (409, "someone else changed it meanwhile: reload and retry"),
    "exists": (409, "an object with this id exists already"),
    "already_placed": (409, "the resident already has a bed: use room change"),
    "not_placed": (409, "the resident has no bed"),
    "bed_taken": (409, "the bed is taken"),
    "in_progress": (409, "the same request is still running: ask again in a moment"),
    "request_id_reused": (409, "this request id was used with another body or by someone else"),
    "already_signed": (409, "the report was signed off: it no longer changes"),
    "leave_started": (409, "an approved leave cannot be cancelled once it has started"),
    "too_many_photos": (409, "the ticket has as many photos as it may"),
    "four_eyes": (409, "the same person may not enter, submit and approve a payroll run"),
    "run_locked": (409, "the payroll run was approved: it no longer changes"),
    "not_computed": (409, "the payroll run has no payslips yet"),
    "not_approved": (409, "only an approved run has this report"),
    "month_locked": (409, "payroll approved that month: its inputs no longer change"),
    "department_hours": (409, "the department's working hours are wrong: fix the department first"),
    "no_department": (409, "the staff member has no department whose hours are known"),
    "graded": (409, "the work log is graded: it no longer changes"),
    "completed": (409, "the work log's completion is recorded: its plan no longer changes"),
    "deadline_passed": (409, "too late to change the plan or the completion of that day"),
    "not_completed": (409, "the work log cannot be graded before its completion is in or its deadline passed"),
    "unsupportedmediatype": (415, "Chalice refused the Content-Type"),
    "rate_limited": (429, "too many requests: try again after Retry-After seconds"),
    "internal": (500, "an error Houqin did not expect (logged with the request id)"),
}


def error_body(status: int, code: str, message: str, field: str | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "field": field}}
