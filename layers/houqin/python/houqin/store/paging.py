"""Pages of a Query with opaque cursors.

A cursor is DynamoDB's LastEvaluatedKey, JSON and base64url encoded. Decoding checks that it
belongs to the partition being read, so a cursor from someone else's list cannot be replayed
against another key (it would only ever start a page inside the caller's own partition anyway,
but a tampered cursor is answered 400, not with a DynamoDB error).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from houqin.errors import ValidationError


@dataclass(frozen=True)
class Page:
    items: list[Any]
    cursor: str | None

    def body(self, render: Callable[[Any], Any]) -> dict[str, Any]:
        return {"items": [render(item) for item in self.items], "cursor": self.cursor}


def encode_cursor(last_key: Mapping[str, Any] | None) -> str | None:
    if not last_key:
        return None
    return base64.urlsafe_b64encode(json.dumps(last_key, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, hash_attribute: str, hash_value: str) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error):
        key = None
    valid = isinstance(key, dict) and all(
        isinstance(v, dict) and list(v) == ["S"] and isinstance(v["S"], str) for v in key.values())
    if not valid or key.get(hash_attribute) != {"S": hash_value}:
        raise ValidationError("cursor is not valid for this list: use the cursor of the previous page",
                              field="cursor")
    return key


def query_page(query: Callable[..., Any], hash_attribute: str, hash_value: str, *, limit: int,
               cursor: str | None, **kwargs: Any) -> Page:
    """One page of ``query(hash_value, ...)`` (a PynamoDB Model or index ``query``)."""
    results = query(hash_value, limit=limit, last_evaluated_key=decode_cursor(cursor, hash_attribute, hash_value),
                    **kwargs)
    items = list(results)
    return Page(items, encode_cursor(results.last_evaluated_key) if len(items) == limit else None)
