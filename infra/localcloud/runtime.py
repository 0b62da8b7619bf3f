"""Run template functions in warm worker processes, one invocation per worker at a time.

Each function gets its own environment (template Globals + Environment, plus the variables
Lambda sets), a pool that grows up to ``max_concurrency`` workers, and a timeout from the
template: a worker that runs past it is killed and the invocation fails with
"Task timed out", as on Lambda.
"""

from __future__ import annotations

import json
import logging
import os
import select
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from localcloud.clock import CloudClock, real_epoch_ms
from localcloud.template import Function

log = logging.getLogger("localcloud.runtime")
WORKER = Path(__file__).with_name("worker.py")
INIT_TIMEOUT = 60.0  # seconds for a worker to import its handler (generous: a cold CI machine)




@dataclass(frozen=True)
class Invocation:
    request_id: str
    ok: bool
    payload: Any = None
    error: dict[str, Any] | None = None
    duration_ms: float = 0.0

    @property
    def error_message(self) -> str:
        return f"{self.error['errorType']}: {self.error['errorMessage']}" if self.error else ""


class _Worker:
    def __init__(self, function: Function, environment: dict[str, str]) -> None:
        read_fd, write_fd = os.pipe()
        self.process = subprocess.Popen(  # -S: no site-packages, -P: not the worker's own folder
            [sys.executable, "-S", "-P", str(WORKER), function.handler],
            cwd=function.code_uri,
            env={**environment, "HOUQIN_RESULT_FD": str(write_fd)},
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            pass_fds=(write_fd,), text=True, encoding="utf-8",
        )
        os.close(write_fd)
        self.results = os.fdopen(read_fd, "r", encoding="utf-8")
        self._logs = threading.Thread(target=self._forward_logs, args=(function.logical_id,), daemon=True)
        self._logs.start()
        self.init_error = self._await_ready()

    def _await_ready(self) -> dict[str, Any] | None:
        """None once the handler is imported, else why not (as on every invocation of this worker)."""
        ready, _, _ = select.select([self.results], [], [], INIT_TIMEOUT)
        line = self.results.readline() if ready else ""
        if not line:
            return {"errorType": "Runtime.InitError", "errorMessage": "the worker did not start"}
        return json.loads(line)["error"]

    def _forward_logs(self, name: str) -> None:
        function_log = logging.getLogger(f"fn.{name}")
        for line in self.process.stdout:  # type: ignore[union-attr]
            function_log.info(line.rstrip())

    def alive(self) -> bool:
        return self.process.poll() is None

    def invoke(self, request: dict[str, Any], timeout: float) -> dict[str, Any] | None:
        """The worker's reply, or None when it did not answer in time (or died)."""
        self.process.stdin.write(json.dumps(request, default=str) + "\n")  # type: ignore[union-attr]
        self.process.stdin.flush()  # type: ignore[union-attr]
        ready, _, _ = select.select([self.results], [], [], timeout)
        line = self.results.readline() if ready else ""
        return json.loads(line) if line else None

    def stop(self) -> None:
        if self.alive():
            self.process.kill()
        self.process.wait()
        self.results.close()


class FunctionRuntime:
    def __init__(self, function: Function, environment: dict[str, str], max_concurrency: int = 4,
                 clock: CloudClock | None = None) -> None:
        self.function = function
        self.clock = clock or CloudClock()
        self.environment = environment
        self.max_concurrency = max_concurrency
        self._idle: list[_Worker] = []
        self._count = 0
        self._lock = threading.Condition()
        self._closed = False

    def warm(self) -> str | None:
        """Start one worker ahead of the first request (a cold start paid at boot). Returns why the function
        cannot start (its handler does not import with what it has in Lambda), naming it; None if it can.
        Its invocations fail with that error, as in Lambda."""
        with self._lock:
            if self._idle or self._count:
                return None
            worker = _Worker(self.function, self.environment)
            self._idle.append(worker)
            self._count += 1
        if not worker.init_error:
            return None
        error = worker.init_error
        problem = (f"{self.function.logical_id} cannot start: {error.get('cause', error['errorType'])}: "
                   f"{error['errorMessage']} (a function has only its CodeUri, its layers and the runtime's boto3)")
        log.error("%s", problem)
        return problem

    def invoke(self, event: Any) -> Invocation:
        request_id = str(uuid.uuid4())
        timeout = self.function.timeout
        started = time.monotonic()
        try:
            worker = self._acquire()
        except Exception as exc:  # could not start a worker (bad CodeUri, shutting down ...)
            log.error("%s could not start: %s", self.function.logical_id, exc)
            return Invocation(request_id, False, error={"errorType": "Runtime.StartError", "errorMessage": str(exc)})
        reply = None
        try:
            reply = worker.invoke({"request_id": request_id, "event": event, "environment": self.clock.environment(),
                                   "deadline_ms": real_epoch_ms() + int(timeout * 1000)}, timeout)
        finally:
            self._release(worker, healthy=reply is not None)
        duration = (time.monotonic() - started) * 1000
        if reply is None:
            message = f"Task timed out after {timeout:.2f} seconds"
            log.error("%s %s", self.function.logical_id, message)
            return Invocation(request_id, False, error={"errorType": "Sandbox.Timedout", "errorMessage": message},
                              duration_ms=duration)
        if not reply["ok"]:
            log.warning("%s failed: %s", self.function.logical_id, reply["error"]["errorMessage"])
        return Invocation(request_id, reply["ok"], reply.get("payload"), reply.get("error"), duration)

    def _acquire(self) -> _Worker:
        with self._lock:
            while True:
                if self._closed:
                    raise RuntimeError("the local cloud is shutting down")
                while self._idle:
                    worker = self._idle.pop()
                    if worker.alive():
                        return worker
                    self._count -= 1
                if self._count < self.max_concurrency:
                    self._count += 1
                    break
                self._lock.wait()
        try:
            return _Worker(self.function, self.environment)
        except Exception:
            with self._lock:
                self._count -= 1
                self._lock.notify()
            raise

    def _release(self, worker: _Worker, healthy: bool) -> None:
        if not healthy:
            worker.stop()
        with self._lock:
            if healthy and not self._closed:
                self._idle.append(worker)
            else:
                self._count -= 1
                if healthy:
                    worker.stop()
            self._lock.notify()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
            self._lock.notify_all()
        for worker in idle:
            worker.stop()


def lambda_environment(function: Function, python_path: list[Path], *, region: str, endpoint: str,
                       lambda_endpoint: str) -> dict[str, str]:
    """What a Lambda process sees: the template's variables plus those Lambda itself sets; on its path only
    what it has in Lambda (localcloud.build.python_path)."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "TZ": "UTC",
        "PYTHONUNBUFFERED": "1",
        "PYTHONPATH": os.pathsep.join(str(p) for p in python_path),
        "LAMBDA_TASK_ROOT": str(function.code_uri),
        "AWS_LAMBDA_FUNCTION_NAME": function.name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function.name}",
        "HOUQIN_FUNCTION_ARN": function.arn,
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ENDPOINT_URL_LAMBDA": lambda_endpoint,
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
        **_machine_clock(),
        **function.environment,
    }


def _machine_clock() -> dict[str, str]:
    """libfaketime's variables, when the cloud runs under it: a worker keeps the machine's clock the cloud has
    (the cloud's own clock reaches it as an offset from that), or the two would disagree by the fake's shift."""
    return {name: value for name, value in os.environ.items()
            if name in ("LD_PRELOAD", "LD_LIBRARY_PATH", "DONT_FAKE_MONOTONIC") or name.startswith("FAKETIME")}
