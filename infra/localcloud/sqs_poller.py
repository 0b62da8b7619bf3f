"""Lambda's SQS event source mapping: poll, invoke with a batch, delete what succeeded.

Like Lambda, several batches are polled and invoked side by side: ``INITIAL_POLLERS`` (Lambda starts an SQS
mapping with five concurrent batches), or the mapping's ``ScalingConfig.MaximumConcurrency``; the function's
runtime holds the ones beyond its workers until one is free.

With ``FunctionResponseTypes: [ReportBatchItemFailures]`` only the messages named in
``batchItemFailures`` stay on the queue; an error leaves the whole batch. Messages left on the
queue come back after the visibility timeout, and the queue's redrive policy (enforced by the
SQS endpoint) moves them to the dead-letter queue after maxReceiveCount receives.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from localcloud.clock import CloudClock
from localcloud.resources import aws_client
from localcloud.runtime import Invocation
from localcloud.template import Event, Function, Template

log = logging.getLogger("localcloud.sqs")
TIMESTAMPS = ("SentTimestamp", "ApproximateFirstReceiveTimestamp")
INITIAL_POLLERS = 5


class SqsPoller:
    def __init__(self, template: Template, function: Function, event: Event,
                 invoke: Callable[[str, Any], Invocation], clock: CloudClock | None = None) -> None:
        props = event.properties
        self.clock = clock or CloudClock()
        self.function = function
        self.queue_arn = props["Queue"]
        self.queue_url = template.queue_url_for_arn(self.queue_arn)
        self.batch_size = int(props.get("BatchSize", 10))
        self.window = float(props.get("MaximumBatchingWindowInSeconds", 0))
        self.partial = "ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or [])
        self.enabled = props.get("Enabled", True) is not False
        self.concurrency = int((props.get("ScalingConfig") or {}).get("MaximumConcurrency", INITIAL_POLLERS))
        self.region = template.region
        self._sqs = aws_client("sqs", template)
        self._invoke = invoke
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, name=f"sqs-{function.logical_id}-{n}", daemon=True)
                         for n in range(self.concurrency)]

    def start(self) -> None:
        if self.enabled:
            for thread in self._threads:
                thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            if thread.is_alive():
                thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                messages = self._receive_batch()
                if messages:
                    self.process(messages)
            except Exception:
                if not self._stop.is_set():
                    log.exception("polling %s failed; retrying", self.queue_url)
                    self._stop.wait(1)

    def _receive_batch(self) -> list[dict[str, Any]]:
        batch: list[dict[str, Any]] = []
        deadline = time.monotonic() + self.window
        while len(batch) < self.batch_size and not self._stop.is_set():
            response = self._sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=min(10, self.batch_size - len(batch)),
                WaitTimeSeconds=1, AttributeNames=["All"], MessageAttributeNames=["All"])
            batch += response.get("Messages", [])
            if not batch or time.monotonic() >= deadline:
                break
        return batch

    def process(self, messages: list[dict[str, Any]]) -> None:
        event = {"Records": [self._record(m) for m in messages]}
        result = self._invoke(self.function.logical_id, event)
        if not result.ok:
            log.warning("%s failed on a batch of %d: %s; messages return after the visibility timeout",
                        self.function.logical_id, len(messages), result.error_message)
            return
        failed = self._failed_ids(result.payload, messages)
        done = [m for m in messages if m["MessageId"] not in failed]
        for start in range(0, len(done), 10):
            chunk = done[start:start + 10]
            self._sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)])
        if failed:
            log.info("%s: %d of %d records failed and stay on the queue", self.function.logical_id,
                     len(failed), len(messages))

    def _failed_ids(self, payload: Any, messages: list[dict[str, Any]]) -> set[str]:
        if not self.partial or not isinstance(payload, dict):
            return set()
        ids = {m["MessageId"] for m in messages}
        failed = {str(f.get("itemIdentifier")) for f in payload.get("batchItemFailures") or []}
        if failed - ids:  # Lambda treats an unknown identifier as a failure of the whole batch
            log.error("%s reported unknown itemIdentifier(s) %s: whole batch fails", self.function.logical_id,
                      sorted(failed - ids))
            return ids
        return failed

    def _on_cloud_clock(self, attributes: dict[str, str]) -> dict[str, str]:
        """SQS (moto) stamps messages with the real time: shift its timestamps to the cloud's clock, as they
        would read in a cloud whose time it is (a swipe must not look sent in the future or the past)."""
        shift = round(self.clock.offset_seconds * 1000)
        return {name: str(int(value) + shift) if name in TIMESTAMPS and value.isdigit() else value
                for name, value in attributes.items()}

    def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": self._on_cloud_clock(message.get("Attributes", {})),
            "messageAttributes": {
                name: {"stringValue": a.get("StringValue"), "binaryValue": a.get("BinaryValue"),
                       "stringListValues": [], "binaryListValues": [], "dataType": a["DataType"]}
                for name, a in (message.get("MessageAttributes") or {}).items()
            },
            "md5OfBody": message.get("MD5OfBody") or hashlib.md5(message["Body"].encode()).hexdigest(),  # noqa: S324
            "eventSource": "aws:sqs",
            "eventSourceARN": self.queue_arn,
            "awsRegion": self.region,
        }
