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


def error_body(status: int, code: str, message: str, field: str | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "field": field}}
