"""The local IoT Core: an MQTT broker (amqtt) and the template's topic rules.

A bridge client subscribes to each enabled rule's topic filter and, for every message,
applies the rule's SQL (iotsql) and performs its actions. Only the SQS action runs locally
(others are refused at start-up); if the action fails, the rule's ErrorAction runs with
AWS's error-action payload.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import threading
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as paho
from amqtt.broker import Broker

from localcloud import iotsql
from localcloud.clock import CloudClock
from localcloud.resources import aws_client
from localcloud.template import ACCOUNT, Template, TemplateError

log = logging.getLogger("localcloud.mqtt")


@dataclass(frozen=True)
class TopicRule:
    name: str
    rule: iotsql.Rule
    action: dict[str, Any]  # the resolved Sqs action
    error_action: dict[str, Any] | None

    @classmethod
    def from_template(cls, template: Template, logical: str) -> TopicRule | None:
        payload = template.resolve(template.props(logical))["TopicRulePayload"]
        if payload.get("RuleDisabled"):
            return None
        actions = payload.get("Actions") or []
        if len(actions) != 1 or "Sqs" not in actions[0]:
            raise TemplateError(f"{logical}: the local cloud runs topic rules with exactly one Sqs action")
        error_action = payload.get("ErrorAction")
        if error_action and "Sqs" not in error_action:
            raise TemplateError(f"{logical}: only an Sqs ErrorAction runs locally")
        return cls(template.physical_name(logical), iotsql.parse(payload["Sql"]), actions[0]["Sqs"],
                   error_action["Sqs"] if error_action else None)


class MqttBroker:
    """amqtt on 127.0.0.1 in a thread with its own event loop."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="mqtt-broker", daemon=True)
        self._broker: Broker | None = None

    def start(self) -> None:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=15)

    async def _start(self) -> None:
        config = {
            "listeners": {"default": {"type": "tcp", "bind": f"{self.host}:{self.port}"}},
            "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
        }
        self._broker = Broker(config)
        await self._broker.start()

    def stop(self) -> None:
        if self._broker is not None:
            try:
                asyncio.run_coroutine_threadsafe(self._broker.shutdown(), self._loop).result(timeout=10)
            except Exception as exc:  # shutting down anyway
                log.debug("broker shutdown: %s", exc)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)


class RuleBridge:
    """Subscribes to the rules' topics and sends what they select to their SQS queues."""

    def __init__(self, template: Template, rules: list[TopicRule], host: str, port: int,
                 clock: CloudClock | None = None) -> None:
        self.rules = rules
        self.clock = clock or CloudClock()
        self._sqs = aws_client("sqs", template)
        self._region = template.region
        self._client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id="houqin-iot-rules")
        self._client.on_connect = self._on_connect
        self._client.on_message = self._on_message
        self._host, self._port = host, port
        self._subscribed = threading.Event()
        self.forwarded = 0

    def start(self) -> None:
        if not self.rules:
            return
        self._client.connect(self._host, self._port)
        self._client.loop_start()
        if not self._subscribed.wait(timeout=10):
            raise RuntimeError("the IoT rule bridge could not subscribe to the local MQTT broker")

    def stop(self) -> None:
        self._client.loop_stop()
        self._client.disconnect()

    def _on_connect(self, client: paho.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any) -> None:
        filters = sorted({r.rule.topic_filter for r in self.rules})
        result, _mid = client.subscribe([(f, 1) for f in filters])
        if result == paho.MQTT_ERR_SUCCESS:
            self._subscribed.set()

    def _on_message(self, _client: paho.Client, _userdata: Any, message: paho.MQTTMessage) -> None:
        for rule in self.rules:
            if rule.rule.matches(message.topic):
                self.route(rule, message.topic, message.payload)

    def route(self, rule: TopicRule, topic: str, payload: bytes) -> None:
        try:
            selected = rule.rule.apply(topic, payload, now_ms=self.clock.epoch_ms())
        except Exception as exc:
            self._fail(rule, topic, payload, f"SQL evaluation failed: {exc}")
            return
        if selected is None:  # WHERE was false
            return
        raw = selected if isinstance(selected, bytes) else json.dumps(selected, ensure_ascii=False).encode()
        body = base64.b64encode(raw).decode() if rule.action.get("UseBase64") else raw.decode("utf-8", "replace")
        try:
            self._sqs.send_message(QueueUrl=rule.action["QueueUrl"], MessageBody=body)
            self.forwarded += 1
        except Exception as exc:
            self._fail(rule, topic, payload, f"SQS send failed: {exc}")

    def _fail(self, rule: TopicRule, topic: str, payload: bytes, reason: str) -> None:
        log.error("rule %s on %s: %s", rule.name, topic, reason)
        if not rule.error_action:
            return
        record = {  # the shape AWS IoT gives an error action
            "ruleName": rule.name, "topic": topic, "cloudwatchTraceId": "local",
            "clientId": "", "base64OriginalPayload": base64.b64encode(payload).decode(),
            "failures": [{"failedAction": "SqsAction", "failedResource": rule.action["QueueUrl"],
                          "errorMessage": reason}],
            "timestamp": self.clock.epoch_ms(), "accountId": ACCOUNT, "region": self._region,
        }
        self._sqs.send_message(QueueUrl=rule.error_action["QueueUrl"], MessageBody=json.dumps(record))
