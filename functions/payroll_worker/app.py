"""PayrollWorkerFunction: computes a payroll run (houqin.services.payroll.compute, through ``Payroll``).

Two kinds of event:
- ``{"run_id", "generation"}``: the API's asynchronous invocation; the run's payslips are computed and
  the run left ``draft`` (or ``failed`` with the reason: an error in the data is recorded on the run and
  the invocation ends normally, so Lambda does not retry what cannot succeed);
- an SQS batch from PayrollFailuresQueue: on-failure destination records of invocations Lambda gave up
  on (timeout, crash, after its one retry). Each marks its run failed, once; a record that cannot be
  handled now (DynamoDB unavailable) is reported in ``batchItemFailures`` and comes back.
"""

from __future__ import annotations

import json
from typing import Any

from houqin.observability import logger, tracer
from houqin.services.payroll import Payroll

service = Payroll()  # production ports, connected on first use; tests give it theirs


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if isinstance(event, dict) and "Records" in event:
        return failures(event["Records"])
    time_left = getattr(context, "get_remaining_time_in_millis", None)
    result = service.handle(event, time_left)
    logger.info("payroll run", extra=result)
    return result


def failures(records: list[dict[str, Any]]) -> dict[str, Any]:
    failed = []
    for record in records:
        try:
            body = json.loads(record.get("body") or "{}")
        except ValueError:
            logger.error("on-failure record is not JSON: dropped", extra={"message_id": record.get("messageId"),
                                                                          "body": record.get("body")})
            continue
        try:
            outcome = service.record_failure(body if isinstance(body, dict) else {})
        except Exception:  # noqa: BLE001 - this record comes back; the others are done
            logger.exception("on-failure record not handled", extra={"message_id": record.get("messageId")})
            failed.append({"itemIdentifier": record.get("messageId")})
            continue
        logger.info("on-failure record", extra={"message_id": record.get("messageId"), "outcome": outcome})
    return {"batchItemFailures": failed}
