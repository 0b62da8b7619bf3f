"""Gate swipes: the SQS consumer behind the IoT rule (houqin/gates/{reader_id}/swipes -> SwipesQueue).

Each record is one reader message (schemas/swipe-message.v1.json). Bad input is quarantined and
the record succeeds; an infrastructure error fails only its record (``batchItemFailures``), and
SQS delivers it again later (after 5 receives, to the dead-letter queue). The time a message
reached us is SQS's SentTimestamp, the same on every retry.

A swipe is stored before the presence it moves (two writes, not one transaction: the swipe is history
whatever presence says). Each is a conditional write that DynamoDB applies atomically, so two swipes of one
resident written side by side leave the newer on presence. A presence write that still fails after
PynamoDB's own retries (three, with backoff) fails the record: the swipe stays stored and its presence
follows when SQS delivers that same message again, after the visibility timeout (360 s), which finishes what
the first attempt started (same SentTimestamp). Another message replaying the swipe is a repeat and changes
nothing: only the first message's redelivery repairs it, and only a store failing for all those retries
makes presence wait for it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from houqin.observability import logger, metrics, tracer
from houqin.services.swipes import Ingested, Swipes

# Every record is reported on its own: one bad record never fails the batch.
service = Swipes()  # tests swap it (in-memory ports, a pinned clock)
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
# Stop taking records this long before the function's timeout: the rest fail and SQS brings them back,
# instead of the whole batch timing out and coming back (stored swipes included) as repeats.
TIME_MARGIN_MS = 10_000


class OutOfTime(RuntimeError):
    pass


def received_at(record: SQSRecord) -> datetime:
    return datetime.fromtimestamp(int(record.attributes.sent_timestamp) / 1000, UTC)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    directory, results = service.directory(), []

    def ingest(record: SQSRecord) -> None:
        if context.get_remaining_time_in_millis() < TIME_MARGIN_MS:
            raise OutOfTime("left for the next delivery: the function is near its timeout")
        results.append(service.ingest(record.body, record.message_id, received_at(record), directory))

    with processor(records=event["Records"], handler=ingest, lambda_context=context):
        processor.process()
    response = processor.response()
    failed_progress = service.record_progress(results)
    response["batchItemFailures"] += [{"itemIdentifier": m} for m in failed_progress
                                      if {"itemIdentifier": m} not in response["batchItemFailures"]]
    _report(results, len(response["batchItemFailures"]))
    return response


def _report(results: list[Ingested], failed: int) -> None:
    totals = {name: sum(getattr(r, name) for r in results)
              for name in ("stored", "duplicates", "late", "unknown_cards", "quarantined")}
    for name, value in totals.items():
        metrics.add_metric(name=f"swipes_{name}", unit=MetricUnit.Count, value=value)
    logger.info("swipes batch", extra={**totals, "messages": len(results), "failed_records": failed})
