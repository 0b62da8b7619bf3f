"""Fakes of houqin.ports: they record what the service sent."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass
class FakeNotifier:
    sent: list[dict[str, Any]] = field(default_factory=list)

    def publish(self, topic: str, subject: str, message: Mapping[str, Any],
                attributes: Mapping[str, str] | None = None) -> str | None:
        self.sent.append({"topic": topic, "subject": subject, "message": dict(message),
                          "attributes": dict(attributes or {})})
        return f"msg-{len(self.sent)}"


@dataclass
class FakeFileStore:
    forms: list[dict[str, Any]] = field(default_factory=list)

    def upload_form(self, bucket: str, key: str, content_type: str, max_bytes: int,
                    expires_in: int) -> Mapping[str, Any]:
        self.forms.append({"bucket": bucket, "key": key, "content_type": content_type, "max_bytes": max_bytes,
                           "expires_in": expires_in})
        return {"url": f"https://files.test/{bucket}", "fields": {"key": key, "Content-Type": content_type}}

    def download_url(self, bucket: str, key: str, expires_in: int) -> str:
        return f"https://files.test/{bucket}/{key}?expires_in={expires_in}"


@dataclass
class FakeInvoker:
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def invoke_async(self, function_name: str, payload: Mapping[str, Any]) -> None:
        self.calls.append((function_name, dict(payload)))
