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
import importlib.util
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


def check_iam(policy_file: str) -> None:
    """Refuse every AWS call (boto3 and PynamoDB both go through BaseClient._make_api_call) that the function's
    role does not allow, before it is sent, as AWS would: AccessDeniedException. iam.py is loaded by its path
    (this process has only Lambda's path, not the localcloud package)."""
    from botocore.client import BaseClient
    from botocore.exceptions import ClientError

    spec = importlib.util.spec_from_file_location("houqin_local_iam", os.path.join(os.path.dirname(__file__), "iam.py"))
    iam = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules[spec.name] = iam  # type: ignore[union-attr]  # dataclasses look their module up
    spec.loader.exec_module(iam)  # type: ignore[union-attr]
    with open(policy_file, encoding="utf-8") as handle:
        policy = json.load(handle)
    account = iam.Account(policy["region"], policy["account"], policy["keys"])
    statements = policy["statements"]
    original = BaseClient._make_api_call

    def _make_api_call(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        service = client.meta.service_model.signing_name
        for request in iam.requests_for(service, operation, params, account):
            decision = iam.decide(statements, request)
            if decision != "Allow":
                message = iam.denial_message(policy["principal"], request, decision)
                raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": message},
                                   "ResponseMetadata": {"HTTPStatusCode": 400}}, operation)
        return original(client, operation, params)

    BaseClient._make_api_call = _make_api_call  # type: ignore[method-assign]


def main() -> None:
    if os.environ.get("HOUQIN_IAM_POLICY"):
        check_iam(os.environ["HOUQIN_IAM_POLICY"])
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
