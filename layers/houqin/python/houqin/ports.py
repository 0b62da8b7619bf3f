"""Ports: what the use cases talk to, named by what they need rather than by the AWS service behind it.

The shape every service follows (houqin/services/leave.py is the example to copy):

- A context's use cases are methods of one class (``Leaves``, ``Tickets`` ...) whose constructor takes its
  ports as keyword arguments: its repositories (the store modules, or an in-memory fake with the same
  functions), a ``Clock``, and where needed a ``Notifier``, a ``FileStore`` or an ``Invoker``. Each port
  left out (``None``: test with ``is None``, since an empty fake may be falsy) gets its production default,
  made lazily: constructing a service makes no AWS client, so a handler builds it at import for free, and a
  function that never sends a message never pays for SNS.
- A handler holds one instance (``service = Leaves()``) and calls it; tests of the handler swap that one
  instance (``module.service = Leaves(clock=FixedClock(...))``); unit tests of a use case build the service
  with fakes from ``tests/fakes`` and need no moto, no network and no sleeping.
- Pure rules stay in ``houqin.domain`` (no ports there at all); the service loads, checks who may, applies
  a rule and writes through its ports.

The production adapters are in ``houqin.aws``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from houqin.clock import Clock

__all__ = ["Clock", "FileStore", "Invoker", "Notifier"]


class Notifier(Protocol):
    """Publishes one message on a named topic of the template (``settings.topics``), e.g. "notifications"."""

    def publish(self, topic: str, subject: str, message: Mapping[str, Any],
                attributes: Mapping[str, str] | None = None) -> str | None:
        """Send ``message`` (JSON) with string ``attributes`` for subscription filters; the message id."""
        ...


class FileStore(Protocol):
    """Files in a named bucket of the template (``settings.buckets``), handed to browsers by short-lived URLs."""

    def upload_form(self, bucket: str, key: str, content_type: str, max_bytes: int,
                    expires_in: int) -> Mapping[str, Any]:
        """A presigned POST ({"url", "fields"}) the store itself enforces (type, size, expiry)."""
        ...

    def download_url(self, bucket: str, key: str, expires_in: int) -> str:
        ...


class Invoker(Protocol):
    """Starts another function of the template asynchronously (Lambda's Event invocation)."""

    def invoke_async(self, function_name: str, payload: Mapping[str, Any]) -> None:
        ...
