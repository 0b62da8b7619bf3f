"""The local Lambda endpoint (functions reach it through AWS_ENDPOINT_URL_LAMBDA) and the
local cloud's control calls.

- ``POST /2015-03-31/functions/{name}/invocations`` — Lambda's Invoke API: RequestResponse,
  Event (202, retried, then the on-failure destination) and DryRun; ``{name}`` is the function
  name, its ARN or its template logical id.
- ``POST /_local/fire/{name}[/{schedule}]`` — fire the function's schedules (or the one named) now
  (``houqin fire``).
- ``GET /_local/functions`` — what runs here.
- ``GET /_local/clock`` — the cloud's time; ``POST /_local/clock`` ``{"forward": "+6h"}`` moves it forward
  (``houqin clock``).
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import unquote

from localcloud.clock import CAMPUS_TZ, CloudClock, parse_delta
from localcloud.invoker import AsyncInvoker
from localcloud.runtime import FunctionRuntime
from localcloud.scheduler import Scheduler
from localcloud.template import Function

log = logging.getLogger("localcloud.lambda")

INVOKE = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations$")
FIRE = re.compile(r"^/_local/fire/(?P<name>[^/]+)(?:/(?P<schedule>[^/]+))?$")


@dataclass
class LambdaService:
    functions: dict[str, Function]
    runtimes: dict[str, FunctionRuntime]
    invoker: AsyncInvoker
    scheduler: Scheduler
    clock: CloudClock

    def find(self, name: str) -> Function | None:
        name = unquote(name).split(":function:")[-1].split(":")[0]
        return next((f for f in self.functions.values() if name in (f.logical_id, f.name)), None)

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        service = self

        class Handler(_LambdaHandler):
            pass

        Handler.service = service
        return Handler


class _LambdaHandler(BaseHTTPRequestHandler):
    service: LambdaService
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        log.debug(format, *args)

    def do_GET(self) -> None:
        if self.path == "/_local/clock":
            self._json(200, self._clock())
        elif self.path == "/_local/functions":
            self._json(200, {"functions": [
                {"logicalId": f.logical_id, "name": f.name, "arn": f.arn,
                 "events": [{"name": e.name, "type": e.type} for e in f.events]}
                for f in self.service.functions.values()]})
        else:
            self._error(404, "ResourceNotFoundException", f"no route {self.path}")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if match := INVOKE.match(self.path.split("?")[0]):
            self._invoke(match.group("name"), body)
        elif match := FIRE.match(self.path):
            self._fire(match.group("name"), match.group("schedule"))
        elif self.path == "/_local/clock":
            self._move_clock(body)
        else:
            self._error(404, "ResourceNotFoundException", f"no route {self.path}")

    def _invoke(self, name: str, body: bytes) -> None:
        function = self.service.find(name)
        if function is None:
            self._error(404, "ResourceNotFoundException", f"Function not found: {unquote(name)}")
            return
        try:
            event = json.loads(body or b"{}")
        except json.JSONDecodeError:
            self._error(400, "InvalidRequestContentException", "Could not parse request body into json")
            return
        kind = self.headers.get("X-Amz-Invocation-Type", "RequestResponse")
        if kind == "DryRun":
            self._json(204, None)
        elif kind == "Event":
            request_id = self.service.invoker.submit(function.logical_id, event)
            self._json(202, None, {"x-amzn-RequestId": request_id})
        elif kind == "RequestResponse":
            result = self.service.runtimes[function.logical_id].invoke(event)
            headers = {"x-amzn-RequestId": result.request_id, "X-Amz-Executed-Version": "$LATEST"}
            if not result.ok:
                headers["X-Amz-Function-Error"] = "Unhandled"
            self._json(200, result.payload if result.ok else result.error, headers)
        else:
            self._error(400, "InvalidParameterValueException", f"X-Amz-Invocation-Type {kind!r}")

    def _fire(self, name: str, schedule: str | None) -> None:
        function = self.service.find(name)
        if function is None:
            self._error(404, "ResourceNotFoundException", f"Function not found: {unquote(name)}")
            return
        request_ids = self.service.scheduler.fire_now(function.logical_id, schedule)
        if not request_ids:
            which = f"schedule named {schedule}" if schedule else "enabled Schedule or ScheduleV2 event"
            self._error(400, "InvalidParameterValueException", f"{function.logical_id} has no {which}")
            return
        self._json(202, {"function": function.logical_id, "requestIds": request_ids})

    def _clock(self) -> dict[str, Any]:
        now = self.service.clock.now()
        return {"now": now.isoformat(timespec="seconds").replace("+00:00", "Z"),
                "campus": now.astimezone(CAMPUS_TZ).isoformat(timespec="seconds"),
                "offsetSeconds": round(self.service.clock.offset_seconds, 3)}

    def _move_clock(self, body: bytes) -> None:
        try:
            forward = json.loads(body or b"{}").get("forward")
            self.service.clock.move(parse_delta(str(forward)))
        except (ValueError, AttributeError) as exc:
            self._error(400, "InvalidParameterValueException", f"forward: {exc}")
            return
        self._json(200, self._clock())

    def _error(self, status: int, kind: str, message: str) -> None:
        self._json(status, {"Type": "User", "message": message}, {"x-amzn-ErrorType": kind})

    def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        body = b"" if payload is None and status in (202, 204) else json.dumps(payload, default=str).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
