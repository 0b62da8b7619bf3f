"""A warm Lambda execution environment: ``python -S -P worker.py <handler>``.

Started by runtime.py as a script, apart from the localcloud package and without the virtualenv's
site-packages (``-S``): the function's environment, its CodeUri as the working directory, and on
PYTHONPATH only what it has in Lambda (CodeUri, layers, the runtime's boto3; localcloud.build).
After importing the handler it writes one line on the file descriptor named by HOUQIN_RESULT_FD
(``{"ready": true}`` or the import error), then reads one invocation per line on stdin and writes
one result per line there, so whatever the function prints (logs) stays on stdout/stderr.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
from typing import Any


def real_epoch_ms() -> int:
    """The machine's clock (the local cloud's own offset reaches functions as HOUQIN_CLOCK_OFFSET)."""
    return int(time.time() * 1000)


class LambdaContext:
    def __init__(self, request_id: str, deadline_ms: int) -> None:
        self.function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = "$LATEST"
        self.invoked_function_arn = os.environ["HOUQIN_FUNCTION_ARN"]
        self.memory_limit_in_mb = int(os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"])
        self.aws_request_id = request_id
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = "local"
        self.identity = None
        self.client_context = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - real_epoch_ms())


def _error(exc: BaseException, error_type: str | None = None) -> dict[str, Any]:
    return {
        "errorType": error_type or type(exc).__name__,
        "errorMessage": str(exc),
        "stackTrace": traceback.format_exception(exc)[-8:],
    }


def main() -> None:
    module_name, _, attribute = sys.argv[1].rpartition(".")
    results = os.fdopen(int(os.environ["HOUQIN_RESULT_FD"]), "w", buffering=1, encoding="utf-8")
    handler = None
    init_error: dict[str, Any] | None = None
    try:
        handler = getattr(importlib.import_module(module_name), attribute)
    except Exception as exc:  # reported at start and on every invocation, as Lambda does
        init_error = {**_error(exc, "Runtime.ImportModuleError"),
                      "errorMessage": f"Unable to import module '{module_name}': {exc}", "cause": type(exc).__name__}
        traceback.print_exc()
    results.write(json.dumps({"ready": init_error is None, "error": init_error}) + "\n")
    for line in sys.stdin:
        request = json.loads(line)
        if init_error:
            results.write(json.dumps({"ok": False, "error": init_error}) + "\n")
            continue
        os.environ.update(request.get("environment") or {})  # the local cloud's clock offset
        context = LambdaContext(request["request_id"], request["deadline_ms"])
        try:
            payload = handler(request["event"], context)
            reply = {"ok": True, "payload": payload}
            text = json.dumps(reply, default=str)
        except Exception as exc:
            traceback.print_exc()
            text = json.dumps({"ok": False, "error": _error(exc)})
        sys.stdout.flush()
        sys.stderr.flush()
        results.write(text + "\n")


if __name__ == "__main__":
    main()
