"""Typed inputs (houqin.contract): a request's values read into the declared class, or a 400 naming the field;
the same class described as JSON Schema."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from houqin.contract import (
    Paging,
    Period,
    day,
    entries,
    flag,
    items,
    number,
    parse,
    parse_body,
    read_json,
    schema,
    text,
    whole,
)
from houqin.errors import ValidationError


@dataclass(frozen=True)
class Item:
    name: str = text("what", max_length=5)
    price: Decimal = number(minimum=0, places=2, default=Decimal(0))


@dataclass(frozen=True)
class Order:
    """An order."""

    kind: str = text(choices=("a", "b"))
    count: int = whole(minimum=1, maximum=9)
    lines: list[Item] = items(max_items=2, default=[])
    scores: dict[str, Decimal] = entries(choices=("x", "y"), default={})
    urgent: bool = flag()
    due: date | None = day(default=None)
    note: str | None = text(pattern=r"[a-z]+", default=None)


def body(cls: type | None, raw: Any) -> Any:
    """A raw request body read as a route declaring ``body=cls`` reads it."""
    return parse_body(cls, read_json(raw))


def refused(cls: type, data: Any, **kwargs: Any) -> str | None:
    with pytest.raises(ValidationError) as caught:
        parse(cls, data, **kwargs)
    return caught.value.field


def test_a_valid_body_becomes_the_declared_values():
    order = parse(Order, {"kind": "a", "count": 2, "lines": [{"name": " tea ", "price": "1.50"}, {"name": "x"}],
                          "scores": {"x": 0.08}, "urgent": True, "due": "2026-12-05", "note": None})
    assert order == Order(kind="a", count=2, lines=[Item("tea", Decimal("1.50")), Item("x")],
                          scores={"x": Decimal("0.08")}, urgent=True, due=date(2026, 12, 5))


@pytest.mark.parametrize(("data", "field"), [
    ({"count": 1}, "kind"),
    ({"kind": "c", "count": 1}, "kind"),
    ({"kind": " a", "count": 1}, "kind"),
    ({"kind": "a", "count": 0}, "count"),
    ({"kind": "a", "count": True}, "count"),
    ({"kind": "a", "count": "1"}, "count"),
    ({"kind": "a", "count": 1.0}, "count"),
    ({"kind": "a", "count": 1, "state": "done"}, "state"),
    ({"kind": "a", "count": 1, "lines": [{"name": "toolong"}]}, "lines[0].name"),
    ({"kind": "a", "count": 1, "lines": [{"name": "t", "price": "1.234"}]}, "lines[0].price"),
    ({"kind": "a", "count": 1, "lines": [{"name": "t", "price": "NaN"}]}, "lines[0].price"),
    ({"kind": "a", "count": 1, "lines": [{}, {}, {}]}, "lines"),
    ({"kind": "a", "count": 1, "lines": ["x"]}, "lines[0]"),
    ({"kind": "a", "count": 1, "scores": {"z": 1}}, "scores.z"),
    ({"kind": "a", "count": 1, "urgent": "yes"}, "urgent"),
    ({"kind": "a", "count": 1, "due": "2026-02-30"}, "due"),
    ({"kind": "a", "count": 1, "due": "0001-01-01"}, "due"),
    ({"kind": "a", "count": 1, "due": "9999-12-31"}, "due"),
    ({"kind": "a", "count": 1, "note": "ABC"}, "note"),
    ({"kind": "a", "count": 1, "note": "  "}, "note"),
])
def test_each_wrong_input_is_refused_by_its_name(data, field):
    assert refused(Order, data) == field


def test_query_values_are_text_read_into_their_types():
    assert parse(Paging, {"limit": "5"}, from_text=True) == Paging(limit=5, cursor=None)
    assert parse(Paging, {}, from_text=True).limit == 20
    assert refused(Paging, {"limit": "101"}, from_text=True) == "limit"
    assert refused(Paging, {"limit": "five"}, from_text=True) == "limit"
    assert refused(Paging, {"page": "2"}, from_text=True) == "page"
    period = parse(Period, {"from": "2026-11-01", "to": "2026-11-30"}, from_text=True)
    assert (period.start, period.end) == (date(2026, 11, 1), date(2026, 11, 30))
    assert refused(Period, {"from": "2026-11-01"}, from_text=True) == "to"


@pytest.mark.parametrize(("raw", "message"), [
    (b"\xff\xfe", "the body is not UTF-8 text"),
    ("{\"kind\": \"\ufffd\"}", "the body is not UTF-8 text"),
    ("{nope", "the body is not valid JSON"),
    ('{"count": NaN}', "the body is not valid JSON"),
    ("[1]", "the body must be a JSON object"),
])
def test_an_unreadable_body_is_refused_on_body(raw, message):
    with pytest.raises(ValidationError) as caught:
        body(Order, raw)
    assert (caught.value.field, caught.value.message) == ("body", message)


def test_a_route_without_a_body_refuses_one_but_not_an_empty_one():
    assert body(None, None) is None and body(None, "") is None and body(None, "{}") is None
    with pytest.raises(ValidationError) as caught:
        body(None, '{"x": 1}')
    assert caught.value.field == "body"


def test_numbers_with_a_fraction_are_read_exactly():
    assert body(Item, '{"name": "a", "price": 0.07}').price == Decimal("0.07")


def test_the_schema_says_what_parse_accepts():
    components: dict[str, Any] = {}
    assert schema(Order, components) == {"$ref": "#/components/schemas/Order"}
    order = components["Order"]
    assert order["required"] == ["kind", "count"] and order["additionalProperties"] is False
    assert order["description"] == "An order."
    props = order["properties"]
    assert props["kind"] == {"type": "string", "enum": ["a", "b"]}
    assert props["count"] == {"type": "integer", "minimum": 1, "maximum": 9}
    null = {"type": "null"}  # an optional field may be sent as null (parse reads it as absent)
    assert props["lines"] == {"anyOf": [{"type": "array", "items": {"$ref": "#/components/schemas/Item"},
                                         "maxItems": 2}, null]}
    assert props["scores"]["anyOf"][0]["propertyNames"] == {"enum": ["x", "y"]}
    assert props["due"] == {"anyOf": [{"type": "string", "format": "date",
                                       "description": "(1970-01-01 to 2199-12-31)"}, null]}
    assert props["note"]["anyOf"][0]["pattern"] == "^(?:[a-z]+)$"
    assert components["Item"]["properties"]["name"] == {"type": "string", "maxLength": 5, "minLength": 1,
                                                         "description": "what"}
