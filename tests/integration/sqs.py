"""Gate reader messages and the SQS batch events Lambda receives for them (as the IoT rule forwards them)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from itertools import count
from typing import Any

from houqin.clock import to_iso

_ids = count(1)


def message(reader_id: str, sent_at: datetime, swipes: list[dict[str, Any]], *, topic_reader: str | None = None,
            **overrides: Any) -> dict[str, Any]:
    """The reader's message plus the ``topic_reader`` the IoT rule adds (the topic's reader by default)."""
    body = {"v": 1, "reader_id": reader_id, "sent_at": to_iso(sent_at), "swipes": swipes, **overrides}
    body["topic_reader"] = topic_reader or reader_id
    return body


def swipe(seq: int, card_id: str, direction: str, ts: datetime) -> dict[str, Any]:
    return {"seq": seq, "card_id": card_id, "direction": direction, "ts": to_iso(ts)}


def record(body: Any, received_at: datetime, message_id: str | None = None) -> dict[str, Any]:
    text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
    return {
        "messageId": message_id or f"msg-{next(_ids)}", "receiptHandle": "handle", "body": text,
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": str(int(received_at.timestamp() * 1000)),
                       "SenderId": "iot", "ApproximateFirstReceiveTimestamp": "0"},
        "messageAttributes": {}, "md5OfBody": hashlib.md5(text.encode()).hexdigest(),  # noqa: S324
        "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:swipes",
        "awsRegion": "us-east-1",
    }


def batch(*records: dict[str, Any]) -> dict[str, Any]:
    return {"Records": list(records)}
