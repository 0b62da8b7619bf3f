"""Request validation: every bad field becomes a 400 that names it.

A body is a JSON object with only the fields the endpoint declares (unknown fields are
refused, so a student cannot slip ``state`` or ``fee`` into a write). Each field is read with
a typed getter that raises ``ValidationError(field=...)``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from houqin.clock import days
from houqin.errors import ValidationError

_MISSING = object()


UNREADABLE = "\ufffd"  # the replacement character


class Body:
    """A parsed JSON object body whose getters validate and name the field on error."""

    def __init__(self, data: Mapping[str, Any], prefix: str = "") -> None:
        self.data = data
        self.prefix = prefix

    @classmethod
    def parse(cls, raw: Any, allowed: Iterable[str]) -> Body:
        if isinstance(raw, bytes):
            try:
                raw = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise ValidationError("the body is not UTF-8 text", field="body") from None
        if isinstance(raw, str):
            if UNREADABLE in raw:  # API Gateway passes a body that is not UTF-8 with each bad byte replaced by it
                raise ValidationError("the body is not UTF-8 text", field="body")
            try:
                raw = json.loads(raw or "{}")
            except ValueError:
                raise ValidationError("the body is not valid JSON", field="body") from None
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            raise ValidationError("the body must be a JSON object", field="body")
        body = cls(raw)
        body.only(allowed)
        return body

    def only(self, allowed: Iterable[str]) -> None:
        unknown = sorted(set(self.data) - set(allowed))
        if unknown:
            raise ValidationError(f"unknown field {unknown[0]!r}: this request accepts {', '.join(sorted(allowed))}",
                                  field=self._name(unknown[0]))

    def _name(self, field: str) -> str:
        return f"{self.prefix}{field}"

    def _get(self, field: str, required: bool) -> Any:
        value = self.data.get(field, _MISSING)
        if value is _MISSING or value is None:
            if required:
                raise ValidationError(f"{self._name(field)} is required", field=self._name(field))
            return None
        return value

    def text(self, field: str, *, required: bool = True, max_length: int = 200, min_length: int = 1,
             pattern: str | None = None, choices: Iterable[str] | None = None) -> str | None:
        value = self._get(field, required)
        if value is None:
            return None
        name = self._name(field)
        if not isinstance(value, str):
            raise ValidationError(f"{name} must be a string", field=name)
        value = value.strip()
        if len(value) < min_length:
            raise ValidationError(f"{name} must not be empty", field=name)
        if len(value) > max_length:
            raise ValidationError(f"{name} is longer than {max_length} characters", field=name)
        if choices is not None and value not in set(choices):
            raise ValidationError(f"{name} must be one of: {', '.join(sorted(choices))}", field=name)
        if pattern and not re.fullmatch(pattern, value):
            raise ValidationError(f"{name} has the wrong format", field=name)
        return value

    def integer(self, field: str, *, required: bool = True, minimum: int | None = None,
                maximum: int | None = None) -> int | None:
        value = self._get(field, required)
        if value is None:
            return None
        name = self._name(field)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError(f"{name} must be a whole number", field=name)
        if minimum is not None and value < minimum:
            raise ValidationError(f"{name} must be at least {minimum}", field=name)
        if maximum is not None and value > maximum:
            raise ValidationError(f"{name} must be at most {maximum}", field=name)
        return value

    def boolean(self, field: str, *, default: bool = False) -> bool:
        value = self._get(field, False)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise ValidationError(f"{self._name(field)} must be true or false", field=self._name(field))
        return value

    def objects(self, field: str, allowed: Iterable[str], *, max_items: int = 50,
                required: bool = True) -> list[Body]:
        value = self._get(field, required)
        if value is None:
            return []
        name = self._name(field)
        if not isinstance(value, list):
            raise ValidationError(f"{name} must be a list", field=name)
        if len(value) > max_items:
            raise ValidationError(f"{name} has more than {max_items} items", field=name)
        items = []
        for index, item in enumerate(value):
            if not isinstance(item, dict):
                raise ValidationError(f"{name}[{index}] must be an object", field=f"{name}[{index}]")
            body = Body(item, prefix=f"{name}[{index}].")
            body.only(allowed)
            items.append(body)
        return items


DEFAULT_LIMIT = 20  # a list's page when the request names no limit
MAX_LIMIT = 100


def page_limit(params: Mapping[str, str] | None) -> int:
    """The ``limit`` query parameter of a paged list (1 to MAX_LIMIT, default DEFAULT_LIMIT)."""
    raw = (params or {}).get("limit")
    if raw is None:
        return DEFAULT_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise ValidationError(f"limit must be a whole number from 1 to {MAX_LIMIT}", field="limit")
    return int(raw)


def query_date(params: Mapping[str, str] | None, field: str) -> date:
    """A required ``YYYY-MM-DD`` query parameter."""
    raw = (params or {}).get(field)
    if not raw:
        raise ValidationError(f"{field} is required (YYYY-MM-DD)", field=field)
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValidationError(f"{field} must be a date YYYY-MM-DD", field=field) from None


def date_range(start: date, end: date, max_days: int, *, field: str) -> list[date]:
    """The days of a requested range; a reversed or too long range is a 400 naming ``field``."""
    if end < start:
        raise ValidationError("from must not be after to", field=field)
    if (end - start).days + 1 > max_days:
        raise ValidationError(f"the range may cover at most {max_days} days", field=field)
    return days(start, end)


def query_choice(params: Mapping[str, str] | None, field: str, choices: Iterable[str]) -> str | None:
    raw = (params or {}).get(field)
    if raw is None:
        return None
    if raw not in set(choices):
        raise ValidationError(f"{field} must be one of: {', '.join(sorted(choices))}", field=field)
    return raw


def query_text(params: Mapping[str, str] | None, field: str, pattern: str = r"[A-Za-z0-9_-]{1,40}") -> str:
    """A required query parameter such as an id."""
    raw = (params or {}).get(field)
    if not raw:
        raise ValidationError(f"{field} is required", field=field)
    if not re.fullmatch(pattern, raw):
        raise ValidationError(f"{field} has the wrong format", field=field)
    return raw
