"""Typed request inputs, declared once: a route's path, query and body are dataclasses whose fields say
their type and limits. ``parse`` turns a request's values into an instance (a 400 naming the field at
fault otherwise) and ``schema`` describes the same class as JSON Schema for the OpenAPI document, so the
contract clients read and the checks the functions make cannot drift apart.

    @dataclass(frozen=True)
    class Rating:
        attitude: int = whole("1 (poor) to 5 (excellent)", minimum=1, maximum=5)
        comment: str | None = text("what went well or not", max_length=500, default=None)

A field without a default is required; ``None`` as the default makes it optional (JSON ``null`` counts as
absent). Types: ``str``, ``int``, ``bool``, ``Decimal`` (a JSON number or its text: "0.08"), ``date``
(``YYYY-MM-DD``), ``list[T]``, ``dict[str, T]``, nested dataclasses and ``Any`` (any JSON, read by the
service). A body refuses fields it does not declare, so a student cannot slip ``state`` or ``fee`` into a
write; query and path values are text and are read into the field's type.
"""

from __future__ import annotations

import dataclasses
import json
import re
import types
import typing
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from houqin.clock import days
from houqin.errors import ValidationError

# The days a request may name: what a campus has records of, and far from the ends of the calendar, where a
# day's local midnight in UTC, or the day after, would not exist (year 1, year 9999).
FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(2199, 12, 31)
UNREADABLE = "\ufffd"  # API Gateway passes a body that is not UTF-8 with each bad byte replaced by it
_REQUIRED = dataclasses.MISSING


@dataclasses.dataclass(frozen=True)
class Limits:
    """What a field accepts beyond its type, and the sentence that documents it."""

    doc: str = ""
    max_length: int | None = None
    min_length: int | None = None
    pattern: str | None = None
    choices: tuple[str, ...] | None = None
    minimum: int | Decimal | None = None
    maximum: int | Decimal | None = None
    places: int | None = None  # decimals a number may have
    max_items: int | None = None
    min_items: int | None = None
    example: Any = None
    wire: str | None = None  # the name in the request when it cannot be Python's (``from``)

    def of_items(self) -> Limits:
        """What each item of a list accepts: its strings' length and form, never empty."""
        return Limits(max_length=self.max_length, min_length=1, pattern=self.pattern)

    def of_values(self) -> Limits:
        """What each value of a ``dict[str, T]`` accepts: its range."""
        return Limits(minimum=self.minimum, maximum=self.maximum)


def _field(default: Any, limits: Limits) -> Any:
    if isinstance(default, list | dict):
        return dataclasses.field(default_factory=lambda: type(default)(default), metadata={"limits": limits})
    return dataclasses.field(default=default, metadata={"limits": limits})


def text(doc: str = "", *, max_length: int = 200, min_length: int = 1, pattern: str | None = None,
         choices: typing.Iterable[str] | None = None, default: Any = _REQUIRED, example: Any = None) -> Any:
    """A string: ``choices`` lists the only values allowed, ``pattern`` the whole value's form (both exact);
    free text is trimmed, and must not be only spaces."""
    return _field(default, Limits(doc, max_length=max_length, min_length=min_length, pattern=pattern,
                                  choices=tuple(choices) if choices is not None else None, example=example))


def whole(doc: str = "", *, minimum: int | None = None, maximum: int | None = None, default: Any = _REQUIRED,
          example: Any = None) -> Any:
    """A whole number (JSON integer; in a query or path, its digits)."""
    return _field(default, Limits(doc, minimum=minimum, maximum=maximum, example=example))


def number(doc: str = "", *, minimum: Decimal | int | None = None, maximum: Decimal | int | None = None,
           places: int | None = None, default: Any = _REQUIRED, example: Any = None) -> Any:
    """A decimal: a JSON number or its text ("0.08"); read through its shortest text, so 0.08 is 0.08."""
    return _field(default, Limits(doc, minimum=minimum, maximum=maximum, places=places, example=example))


def flag(doc: str = "", *, default: Any = False) -> Any:
    return _field(default, Limits(doc))


def day(doc: str = "", *, default: Any = _REQUIRED, wire: str | None = None) -> Any:
    """A calendar date ``YYYY-MM-DD``; ``wire``: its name in the request when it is a Python keyword."""
    return _field(default, Limits(doc, wire=wire))


def items(doc: str = "", *, max_items: int = 50, min_items: int = 0, default: Any = _REQUIRED,
          max_length: int | None = None, pattern: str | None = None) -> Any:
    """A list (of ``T`` in ``list[T]``); ``max_length``/``pattern`` apply to each string in it."""
    return _field(default, Limits(doc, max_items=max_items, min_items=min_items, max_length=max_length,
                                  pattern=pattern))


def entries(doc: str = "", *, max_items: int = 50, choices: typing.Iterable[str] | None = None,
            default: Any = _REQUIRED, minimum: Any = None, maximum: Any = None) -> Any:
    """An object whose keys are names (``choices``: the only ones allowed) and whose values are ``T`` in
    ``dict[str, T]``."""
    return _field(default, Limits(doc, max_items=max_items, choices=tuple(choices) if choices else None,
                                  minimum=minimum, maximum=maximum))


# ---------------------------------------------------------------- reading a request
def parse_body(cls: type[Any] | None, data: Any) -> Any:
    """A request's JSON body (``read_json``) as ``cls``; a route that takes none refuses one."""
    if cls is None:
        if data not in (None, {}):
            raise ValidationError("this request takes no body", field="body")
        return None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ValidationError("the body must be a JSON object", field="body")
    return parse(cls, data)


def read_json(raw: Any) -> Any:
    """A body as JSON (None when empty): a 400 on ``body`` when it is not UTF-8 text or not JSON."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationError("the body is not UTF-8 text", field="body") from None
    if not raw or not raw.strip():
        return None
    if UNREADABLE in raw:
        raise ValidationError("the body is not UTF-8 text", field="body")
    try:
        return json.loads(raw, parse_float=_float_text, parse_constant=_not_json)
    except ValueError:
        raise ValidationError("the body is not valid JSON", field="body") from None


class _FloatText(str):
    """A JSON number with a fraction, kept as its text so a Decimal field reads exactly what was sent."""


def _float_text(text: str) -> _FloatText:
    return _FloatText(text)


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def parse(cls: type[Any], data: Mapping[str, Any], prefix: str = "", *, from_text: bool = False) -> Any:
    """``data`` (a JSON object, or query/path values as text when ``from_text``) as an instance of ``cls``."""
    fields = _fields(cls)
    unknown = sorted(set(data) - set(fields))
    if unknown:
        accepted = ", ".join(sorted(fields)) or "nothing"
        raise ValidationError(f"unknown field {unknown[0]!r}: this request accepts {accepted}",
                              field=f"{prefix}{unknown[0]}")
    values = {}
    for name, (attribute, kind, limits, required) in fields.items():
        value = data.get(name)
        if value is None:
            if required:
                raise ValidationError(f"{prefix}{name} is required", field=f"{prefix}{name}")
            continue
        values[attribute] = _read(kind, limits, value, f"{prefix}{name}", from_text)
    return cls(**values)


def _read(kind: Any, limits: Limits, value: Any, name: str, from_text: bool) -> Any:
    if kind is Any:  # read by the service itself (e.g. a device's records, each kept or refused on its own)
        return value
    origin = typing.get_origin(kind)
    if origin is list:
        return _read_list(typing.get_args(kind)[0], limits, value, name)
    if origin is dict:
        return _read_dict(typing.get_args(kind)[1], limits, value, name)
    if dataclasses.is_dataclass(kind):
        if not isinstance(value, dict):
            raise ValidationError(f"{name} must be an object", field=name)
        return parse(kind, value, f"{name}.")
    if kind is bool:
        return _read_bool(value, name, from_text)
    if kind is int:
        return _read_int(limits, value, name, from_text)
    if kind is Decimal:
        return _read_decimal(limits, value, name)
    if kind is date:
        return _read_date(value, name)
    return _read_text(limits, value, name)


def _read_text(limits: Limits, value: Any, name: str) -> str:
    if not isinstance(value, str) or isinstance(value, _FloatText):
        raise ValidationError(f"{name} must be a string", field=name)
    if limits.max_length is not None and len(value) > limits.max_length:
        raise ValidationError(f"{name} is longer than {limits.max_length} characters", field=name)
    if limits.pattern is None and limits.choices is None:
        value = value.strip()  # free text as people type it; a code or an id must be sent exactly
    if len(value) < (limits.min_length or 0):
        raise ValidationError(f"{name} must not be empty", field=name)
    if limits.choices is not None and value not in limits.choices:
        raise ValidationError(f"{name} must be one of: {', '.join(sorted(limits.choices))}", field=name)
    if limits.pattern and not re.fullmatch(limits.pattern, value):
        raise ValidationError(f"{name} has the wrong format", field=name)
    return value


def _read_bool(value: Any, name: str, from_text: bool) -> bool:
    if from_text and value in ("true", "false"):
        return value == "true"
    if not isinstance(value, bool):
        raise ValidationError(f"{name} must be true or false", field=name)
    return value


def _read_int(limits: Limits, value: Any, name: str, from_text: bool) -> int:
    if from_text and isinstance(value, str) and re.fullmatch(r"-?\d{1,18}", value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{name} must be a whole number", field=name)
    _check_range(limits, value, name)
    return value


def _read_decimal(limits: Limits, value: Any, name: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValidationError(f"{name} must be a decimal number such as \"0.08\"", field=name)
    try:
        number = Decimal(repr(value) if isinstance(value, float) else str(value).strip())
    except InvalidOperation:
        raise ValidationError(f"{name} must be a decimal number such as \"0.08\"", field=name) from None
    if not number.is_finite():
        raise ValidationError(f"{name} must be a finite number", field=name)
    if limits.places is not None and number != number.quantize(Decimal(1).scaleb(-limits.places)):
        raise ValidationError(f"{name} may have at most {limits.places} decimals", field=name)
    _check_range(limits, number, name)
    return number


def _check_range(limits: Limits, value: int | Decimal, name: str) -> None:
    if limits.minimum is not None and value < limits.minimum:
        raise ValidationError(f"{name} must be at least {limits.minimum}", field=name)
    if limits.maximum is not None and value > limits.maximum:
        raise ValidationError(f"{name} must be at most {limits.maximum}", field=name)


def _read_date(value: Any, name: str) -> date:
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            read = date.fromisoformat(value)
        except ValueError:
            pass
        else:
            if FIRST_DAY <= read <= LAST_DAY:
                return read
            raise ValidationError(f"{name} must be between {FIRST_DAY} and {LAST_DAY}", field=name)
    raise ValidationError(f"{name} must be a date YYYY-MM-DD", field=name)


def _read_list(kind: Any, limits: Limits, value: Any, name: str) -> list[Any]:
    if not isinstance(value, list):
        raise ValidationError(f"{name} must be a list", field=name)
    if limits.max_items is not None and len(value) > limits.max_items:
        raise ValidationError(f"{name} has more than {limits.max_items} items", field=name)
    if len(value) < (limits.min_items or 0):
        raise ValidationError(f"{name} must list at least {limits.min_items}", field=name)
    each = limits.of_items()
    return [_read(kind, each, item, f"{name}[{index}]", False) for index, item in enumerate(value)]


def _read_dict(kind: Any, limits: Limits, value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValidationError(f"{name} must be an object", field=name)
    if limits.max_items is not None and len(value) > limits.max_items:
        raise ValidationError(f"{name} has more than {limits.max_items} entries", field=name)
    each = limits.of_values()
    read = {}
    for key, item in value.items():
        if limits.choices is not None and key not in limits.choices:
            raise ValidationError(f"{name} may name only: {', '.join(limits.choices)}", field=f"{name}.{key}")
        if item is None:
            raise ValidationError(f"{name}.{key} must not be null", field=f"{name}.{key}")
        read[key] = _read(kind, each, item, f"{name}.{key}", False)
    return read


@cache
def _fields(cls: type[Any]) -> dict[str, tuple[str, Any, Limits, bool]]:
    """Each field of an input class by its name in requests: its attribute, type (``T | None`` as ``T``),
    limits and whether it is required."""
    hints = typing.get_type_hints(cls)
    described = {}
    for f in dataclasses.fields(cls):
        kind = hints[f.name]
        if isinstance(kind, types.UnionType) or typing.get_origin(kind) is typing.Union:
            kind = next(arg for arg in typing.get_args(kind) if arg is not type(None))
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        limits = f.metadata.get("limits", Limits())
        described[limits.wire or f.name] = (f.name, kind, limits, required)
    return described


# ---------------------------------------------------------------- describing it (JSON Schema 2020-12)
def schema(cls: type[Any], components: dict[str, Any]) -> dict[str, Any]:
    """A reference to ``cls``'s schema, added to ``components`` (with every class it nests) by its name."""
    name = cls.__name__
    if name not in components:
        components[name] = {}  # reserved first: a class may nest itself
        properties = {}
        required = []
        for field_name, (_, kind, limits, is_required) in _fields(cls).items():
            properties[field_name] = _describe(kind, limits, components)
            if is_required:
                required.append(field_name)
            else:  # JSON null counts as absent (parse): the schema admits it too
                properties[field_name] = {"anyOf": [properties[field_name], {"type": "null"}]}
        described: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
        if cls.__doc__ and not cls.__doc__.startswith(f"{name}("):
            described["description"] = " ".join(cls.__doc__.split())
        if required:
            described["required"] = required
        components[name] = described
    return {"$ref": f"#/components/schemas/{name}"}


def _describe(kind: Any, limits: Limits, components: dict[str, Any]) -> dict[str, Any]:
    origin = typing.get_origin(kind)
    if kind is Any:
        described: dict[str, Any] = {}
    elif origin is list:
        described = {"type": "array", "items": _describe(typing.get_args(kind)[0], limits.of_items(), components)}
        if limits.max_items is not None:
            described["maxItems"] = limits.max_items
        if limits.min_items:
            described["minItems"] = limits.min_items
    elif origin is dict:
        value = _describe(typing.get_args(kind)[1], limits.of_values(), components)
        described = {"type": "object", "additionalProperties": value}
        if limits.choices:
            described["propertyNames"] = {"enum": list(limits.choices)}
        if limits.max_items is not None:
            described["maxProperties"] = limits.max_items
    elif dataclasses.is_dataclass(kind):
        described = schema(kind, components)
    elif kind is bool:
        described = {"type": "boolean"}
    elif kind is int:
        described = {"type": "integer", **_range(limits)}
    elif kind is Decimal:
        number: dict[str, Any] = {"type": "number", **_range(limits)}
        if limits.places is not None:
            number["multipleOf"] = float(Decimal(1).scaleb(-limits.places))
        described = {"oneOf": [number, {"type": "string", "pattern": r"^-?\d+(\.\d+)?$"}]}
    elif kind is date:
        described = {"type": "string", "format": "date"}
        limits = dataclasses.replace(limits, doc=" ".join(filter(None, [limits.doc, f"({FIRST_DAY} to {LAST_DAY})"])))
    else:
        described = {"type": "string"}
        if limits.choices is not None:
            described["enum"] = list(limits.choices)
        else:
            if limits.pattern:
                described["pattern"] = f"^(?:{limits.pattern})$"
            if limits.max_length is not None:
                described["maxLength"] = limits.max_length
            if limits.min_length:
                described["minLength"] = limits.min_length
    if limits.doc:
        described = {**described, "description": limits.doc}
    if limits.example is not None:
        described = {**described, "examples": [limits.example]}
    return described


def _range(limits: Limits) -> dict[str, Any]:
    bounds = {}
    if limits.minimum is not None:
        bounds["minimum"] = _json_number(limits.minimum)
    if limits.maximum is not None:
        bounds["maximum"] = _json_number(limits.maximum)
    return bounds


def _json_number(value: int | Decimal) -> int | float:
    return int(value) if value == int(value) else float(value)


def parameters(cls: type[Any], location: str, components: dict[str, Any]) -> list[dict[str, Any]]:
    """OpenAPI parameters (``query`` or ``path``) for the fields of ``cls``."""
    described = []
    for name, (_, kind, limits, required) in _fields(cls).items():
        value = _describe(kind, limits, components)
        doc = value.pop("description", None)
        parameter = {"name": name, "in": location, "required": required or location == "path", "schema": value}
        if doc:
            parameter["description"] = doc
        described.append(parameter)
    return described


def field_names(cls: type[Any]) -> tuple[str, ...]:
    return tuple(_fields(cls))


# ---------------------------------------------------------------- inputs many routes share
DEFAULT_LIMIT = 20  # a list's page when the request names no limit
MAX_LIMIT = 100


@dataclasses.dataclass(frozen=True)
class Paging:
    """A page of a list: up to ``limit`` items after ``cursor`` (the ``next_cursor`` of the page before)."""

    limit: int = whole(f"items on the page, 1 to {MAX_LIMIT}", minimum=1, maximum=MAX_LIMIT, default=DEFAULT_LIMIT)
    cursor: str | None = text("the cursor of the page before (its answer's cursor)", max_length=2000, default=None)


@dataclasses.dataclass(frozen=True)
class Period:
    """Days from ``from`` to ``to``, both included."""

    start: date = day("the first day", wire="from")
    end: date = day("the last day", wire="to")


def date_range(start: date, end: date, max_days: int, *, field: str) -> list[date]:
    """The days of a requested range; a reversed or too long range is a 400 naming ``field``."""
    if end < start:
        raise ValidationError("from must not be after to", field=field)
    if (end - start).days + 1 > max_days:
        raise ValidationError(f"the range may cover at most {max_days} days", field=field)
    return days(start, end)
