"""Call a Chalice app with API Gateway REST proxy events, as the Cognito-authorised API would."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class User:
    person_id: str
    role: str
    child_ids: tuple[str, ...] = ()

    def claims(self) -> dict[str, str]:
        claims = {"sub": f"sub-{self.person_id}", "cognito:groups": self.role, "custom:person_id": self.person_id,
                  "token_use": "id", "name": self.person_id}
        if self.child_ids:
            claims["custom:child_ids"] = ",".join(self.child_ids)
        return claims


class Context:
    function_name = "houqin-test"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:houqin-test"
    aws_request_id = "test"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 10_000


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str]


def event(method: str, resource: str, *, user: User | None = None, body: Any = None,
          query: dict[str, str] | None = None, headers: dict[str, str] | None = None,
          source_ip: str = "203.0.113.7", **path_params: str) -> dict[str, Any]:
    path = resource.format(**path_params)
    headers = {"Content-Type": "application/json", **(headers or {})}
    raw = body if isinstance(body, str) or body is None else json.dumps(body)
    context: dict[str, Any] = {"resourcePath": resource, "httpMethod": method, "requestId": "req-1", "stage": "prod",
                               "path": f"/prod{path}", "identity": {"sourceIp": source_ip}}
    if user is not None:
        context["authorizer"] = {"claims": user.claims()}
    return {"resource": resource, "path": path, "httpMethod": method, "headers": headers,
            "multiValueHeaders": {k: [v] for k, v in headers.items()}, "queryStringParameters": query,
            "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
            "pathParameters": path_params or None, "stageVariables": None, "requestContext": context,
            "body": raw, "isBase64Encoded": False}


def call(app: Any, method: str, resource: str, **kwargs: Any) -> Reply:
    response = app(event(method, resource, **kwargs), Context())
    text = response.get("body") or ""
    return Reply(response["statusCode"], json.loads(text) if text else None, response.get("headers") or {})
