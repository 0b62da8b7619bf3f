"""Gate swipes: the SQS consumer behind the IoT rule (houqin/gates/{reader_id}/swipes -> SwipesQueue).

Each record is one reader message (schemas/swipe-message.v1.json). Bad input is quarantined and
the record succeeds; an infrastructure error fails only its record (``batchItemFailures``), and
SQS delivers it again later (after 5 receives, to the dead-letter queue). The time a message
reached us is SQS's SentTimestamp, the same on every retry.

The batch is ingested together (houqin.services.swipes: batched reads and writes, one progress save per
reader). A swipe is stored before the presence it moves (two writes, not one transaction: the swipe is history
whatever presence says); presence is a conditional write that DynamoDB applies atomically, so two batches
moving one resident leave the newer swipe on it. A presence write that still fails after PynamoDB's own
retries fails the record: the swipe stays stored and its presence follows when SQS delivers that same message
again, after the visibility timeout (360 s), which finishes what the first attempt started.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from houqin.observability import logger, metrics, tracer
from houqin.services.swipes import Delivery, Ingested, Swipes

service = Swipes()  # tests swap it (in-memory ports, a pinned clock)
# A batch left this close to the function's timeout is handed back whole: SQS brings it again, instead of the
# invocation timing out half-way (what it stored is stored; the retry finishes it).
TIME_MARGIN_MS = 10_000


def received_at(record: SQSRecord) -> datetime:
    return datetime.fromtimestamp(int(record.attributes.sent_timestamp) / 1000, UTC)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    records = [SQSRecord(r) for r in event["Records"]]
    if context.get_remaining_time_in_millis() < TIME_MARGIN_MS:
        logger.warning("left for the next delivery: the function is near its timeout")
        return {"batchItemFailures": [{"itemIdentifier": r.message_id} for r in records]}
    results = service.ingest([Delivery(r.message_id, r.body, received_at(r)) for r in records])
    failed = [{"itemIdentifier": r.message_id} for r in results if r.failed]
    _report(results, len(failed))
    return {"batchItemFailures": failed}


def _report(results: list[Ingested], failed: int) -> None:
    totals = {name: sum(getattr(r, name) for r in results)
              for name in ("stored", "duplicates", "late", "unknown_cards", "quarantined")}
    for name, value in totals.items():
        metrics.add_metric(name=f"swipes_{name}", unit=MetricUnit.Count, value=value)
    logger.info("swipes batch", extra={**totals, "messages": len(results), "failed_records": failed})
