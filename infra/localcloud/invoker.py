"""Asynchronous invocation as Lambda does it: run, retry on error, then the on-failure
destination (EventInvokeConfig) or the dead-letter queue (DeadLetterQueue).

Retries wait ``retry_delays`` seconds (Lambda waits about 1 and 2 minutes; locally 1 and 2 s
by default so a failure surfaces while you watch).
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from localcloud.clock import CloudClock
from localcloud.resources import aws_client
from localcloud.runtime import Invocation
from localcloud.template import Function, Template

log = logging.getLogger("localcloud.invoker")


class AsyncInvoker:
    def __init__(self, template: Template, functions: dict[str, Function],
                 invoke: Callable[[str, Any], Invocation], retry_delays: Sequence[float] = (1.0, 2.0),
                 clock: CloudClock | None = None) -> None:
        self.template = template
        self.clock = clock or CloudClock()
        self.functions = functions
        self._invoke = invoke
        self.retry_delays = tuple(retry_delays)
        self._timers: set[threading.Timer] = set()
        self._lock = threading.Lock()
        self._closed = False

    def submit(self, logical_id: str, event: Any) -> str:
        """Queue an Event invocation; returns its request id at once (Lambda answers 202)."""
        request_id = str(uuid.uuid4())
        self._schedule(0.0, logical_id, event, request_id, 1)
        return request_id

    def _schedule(self, delay: float, logical_id: str, event: Any, request_id: str, attempt: int) -> None:
        with self._lock:
            if self._closed:
                return
            timer = threading.Timer(delay, self._attempt, (logical_id, event, request_id, attempt))
            timer.daemon = True
            self._timers.add(timer)
        timer.start()

    def _attempt(self, logical_id: str, event: Any, request_id: str, attempt: int) -> None:
        with self._lock:
            self._timers = {t for t in self._timers if t.is_alive() and t is not threading.current_thread()}
        function = self.functions[logical_id]
        result = self._invoke(logical_id, event)
        if result.ok:
            return
        if attempt <= function.max_retries:
            delay = self.retry_delays[min(attempt - 1, len(self.retry_delays) - 1)] if self.retry_delays else 0
            log.warning("%s attempt %d failed (%s); retrying in %.1fs", logical_id, attempt,
                        result.error_message, delay)
            self._schedule(delay, logical_id, event, request_id, attempt + 1)
            return
        self._give_up(function, event, request_id, attempt, result)

    def _give_up(self, function: Function, event: Any, request_id: str, attempts: int, result: Invocation) -> None:
        if function.on_failure:
            record = {
                "version": "1.0",
                "timestamp": self.clock.now().isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "requestContext": {"requestId": request_id, "functionArn": f"{function.arn}:$LATEST",
                                   "condition": "RetriesExhausted", "approximateInvokeCount": attempts},
                "requestPayload": event,
                "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
                "responsePayload": result.error,
            }
            self._deliver(function.on_failure["Type"], function.on_failure["Destination"], record)
            log.error("%s failed %d times; sent to %s", function.logical_id, attempts,
                      function.on_failure["Destination"])
        elif function.dead_letter:
            self._deliver(function.dead_letter["Type"], function.dead_letter["TargetArn"], event)
            log.error("%s failed %d times; event sent to its dead-letter queue", function.logical_id, attempts)
        else:
            log.error("%s failed %d times and has no on-failure destination: event dropped (as on Lambda)",
                      function.logical_id, attempts)

    def _deliver(self, kind: str, arn: str, message: Any) -> None:
        body = json.dumps(message, ensure_ascii=False, default=str)
        kind = kind.upper()
        if kind == "SQS":
            aws_client("sqs", self.template).send_message(QueueUrl=self.template.queue_url_for_arn(arn),
                                                          MessageBody=body)
        elif kind == "SNS":
            aws_client("sns", self.template).publish(TopicArn=arn, Message=body)
        elif kind == "LAMBDA":
            target = next(f for f in self.functions.values() if f.arn == arn)
            self.submit(target.logical_id, message)
        else:
            log.error("destination type %s is not supported locally; record: %s", kind, body[:500])

    def close(self) -> None:
        with self._lock:
            self._closed = True
            timers, self._timers = self._timers, set()
        for timer in timers:
            timer.cancel()
