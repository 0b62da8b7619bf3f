"""The local API Gateway: HTTP requests become REST proxy events for the template's functions.

Like API Gateway: routes come from the template's ``Api`` events (literal segments beat
parameters), ``requestContext.resourcePath`` is the template path, bearer ID tokens are
verified like the Cognito authorizer and their claims land at
``requestContext.authorizer.claims``; unknown routes answer 403 "Missing Authentication
Token", a missing or bad token 401, a failed function 502.
"""

from __future__ import annotations

import base64
import fnmatch
import json
import logging
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from localcloud.clock import CloudClock
from localcloud.identity import TokenError, UserPoolIssuer, api_gateway_claims
from localcloud.runtime import Invocation
from localcloud.template import ACCOUNT, Route

log = logging.getLogger("localcloud.gateway")

MAX_BODY = 10 * 1024 * 1024  # API Gateway's payload limit


@dataclass(frozen=True)
class CompiledRoute:
    route: Route
    pattern: re.Pattern[str]
    specificity: tuple[int, ...]

    @classmethod
    def compile(cls, route: Route) -> CompiledRoute:
        segments = [s for s in route.path.strip("/").split("/") if s]
        regex, rank = "", []
        for segment in segments:
            match = re.fullmatch(r"\{(\w+)\}", segment)
            regex += f"/(?P<{match.group(1)}>[^/]+)" if match else "/" + re.escape(segment)
            rank.append(1 if match else 0)
        return cls(route, re.compile(regex + "/?$" if regex else "/$"), tuple(rank))


class RouteTable:
    def __init__(self, routes: list[Route]) -> None:
        self.routes = sorted((CompiledRoute.compile(r) for r in routes), key=lambda c: c.specificity)

    def match(self, path: str, method: str) -> tuple[Route, dict[str, str]] | None | bool:
        """(route, path parameters); False when the path exists but not for this method; None when unknown."""
        path_known = False
        for compiled in self.routes:
            found = compiled.pattern.match(path)
            if not found:
                continue
            path_known = True
            if compiled.route.method in (method, "ANY"):
                return compiled.route, {k: unquote(v) for k, v in found.groupdict().items()}
        return False if path_known else None


@dataclass
class Gateway:
    """Everything a request handler needs; built by the local cloud from the template."""

    routes: RouteTable
    invoke: Callable[[str, dict[str, Any]], Invocation]  # (function logical id, event) -> result
    issuers: Mapping[str, UserPoolIssuer]  # user pool logical id -> issuer
    cors: Mapping[str, Mapping[str, str]]  # api logical id -> CORS settings
    stages: Mapping[str, str]  # api logical id -> stage name
    api_ids: Mapping[str, str]  # api logical id -> rest api id
    clock: CloudClock = field(default_factory=CloudClock)
    binary_types: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # api logical id -> BinaryMediaTypes

    def is_binary(self, api: str, content_type: str) -> bool:
        """Whether API Gateway hands a body of this Content-Type to the function base64-encoded: only a type the
        Api lists in BinaryMediaTypes (``*/*`` and ``image/*`` style wildcards too); any other body is text."""
        media = content_type.split(";")[0].strip().lower()
        return any(fnmatch.fnmatchcase(media, listed.lower()) for listed in self.binary_types.get(api, ()))

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        gateway = self

        class Handler(_ApiHandler):
            pass

        Handler.gateway = gateway
        return Handler


class _ApiHandler(BaseHTTPRequestHandler):
    gateway: Gateway
    protocol_version = "HTTP/1.1"
    server_version = "houqin-local-gateway"

    def log_message(self, format: str, *args: Any) -> None:
        log.info("%s %s", self.address_string(), format % args)

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    def __getattr__(self, name: str) -> Any:
        # Any other method (TRACE, QUERY ...) reaches the route table too, as in API Gateway: one no route has
        # is 403 "Missing Authentication Token", not http.server's 501.
        if name.startswith("do_"):
            return self._handle
        raise AttributeError(name)

    def _handle(self) -> None:
        request_id = str(uuid.uuid4())
        url = urlsplit(self.path)
        path = url.path or "/"
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._send(413, {"message": "Request Too Long"}, request_id)
            return
        body = self.rfile.read(length) if length else b""
        found = self.gateway.routes.match(path, self.command)
        if self.command == "OPTIONS" and found is not None:
            self._preflight(path, request_id)
            return
        if not found:
            self._send(403, {"message": "Missing Authentication Token"}, request_id)
            return
        route, path_params = found
        claims = None
        if route.authorizer:
            try:
                claims = self._authorize(route.authorizer)
            except TokenError as exc:
                log.info("401 %s %s: %s", self.command, path, exc)
                self._send(401, {"message": "Unauthorized"}, request_id, route.api)
                return
        event = self._event(route, path, url.query, path_params, body, claims, request_id)
        result = self.gateway.invoke(route.function, event)
        self._respond(result, request_id, route.api)

    def _authorize(self, user_pool: str) -> dict[str, str]:
        header = self.headers.get("Authorization") or ""
        token = header[7:].strip() if header.lower().startswith("bearer ") else header.strip()
        if not token:
            raise TokenError("no Authorization header")
        return api_gateway_claims(self.gateway.issuers[user_pool].verify(token, now=self.gateway.clock.timestamp()))

    def _event(self, route: Route, path: str, query: str, path_params: dict[str, str], body: bytes,
               claims: dict[str, str] | None, request_id: str) -> dict[str, Any]:
        headers: dict[str, list[str]] = {}
        for name, value in self.headers.items():
            headers.setdefault(name, []).append(value)
        pairs = parse_qsl(query, keep_blank_values=True)
        multi_query: dict[str, list[str]] = {}
        for name, value in pairs:
            multi_query.setdefault(name, []).append(value)
        binary = bool(body) and self.gateway.is_binary(route.api, self.headers.get("Content-Type", ""))
        now = self.gateway.clock.now()
        stage = self.gateway.stages.get(route.api, "Prod")
        context: dict[str, Any] = {
            "resourceId": route.function,
            "resourcePath": route.path,
            "httpMethod": self.command,
            "extendedRequestId": request_id,
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "path": f"/{stage}{path}",
            "accountId": ACCOUNT,
            "protocol": self.request_version,
            "stage": stage,
            "domainPrefix": "localhost",
            "requestTimeEpoch": int(now.timestamp() * 1000),
            "requestId": request_id,
            "identity": {"sourceIp": self.client_address[0], "userAgent": self.headers.get("User-Agent"),
                         "cognitoIdentityPoolId": None, "accountId": None, "cognitoIdentityId": None,
                         "caller": None, "accessKey": None, "user": None, "userArn": None},
            "domainName": self.headers.get("Host", "localhost"),
            "apiId": self.gateway.api_ids.get(route.api, "local"),
        }
        if claims is not None:
            context["authorizer"] = {"claims": claims}
        return {
            "resource": route.path,
            "path": path,
            "httpMethod": self.command,
            "headers": {k: v[-1] for k, v in headers.items()} or None,
            "multiValueHeaders": headers or None,
            "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
            "multiValueQueryStringParameters": multi_query or None,
            "pathParameters": path_params or None,
            "stageVariables": None,
            "requestContext": context,
            # A text body that is not UTF-8 reaches the function as API Gateway passes it: each invalid byte
            # replaced by U+FFFD (the function answers 400: it is not the JSON it expects).
            "body": (base64.b64encode(body).decode() if binary else body.decode("utf-8", "replace")) if body else None,
            "isBase64Encoded": binary,
        }

    def _respond(self, result: Invocation, request_id: str, api: str) -> None:
        payload = result.payload
        if not result.ok or not isinstance(payload, dict) or "statusCode" not in payload:
            if result.ok:
                log.error("function returned no statusCode: %.200r", payload)
            self._send(502, {"message": "Internal server error"}, request_id, api)
            return
        body = payload.get("body") or ""
        raw = base64.b64decode(body) if payload.get("isBase64Encoded") else str(body).encode("utf-8")
        headers: list[tuple[str, str]] = [(k, str(v)) for k, v in (payload.get("headers") or {}).items()]
        for name, values in (payload.get("multiValueHeaders") or {}).items():
            headers += [(name, str(v)) for v in values]
        self._write(int(payload["statusCode"]), headers, raw, request_id)

    def _preflight(self, path: str, request_id: str) -> None:
        matched = [c.route.api for c in self.gateway.routes.routes if c.pattern.match(path)]
        cors = self.gateway.cors.get(matched[0], {}) if matched else {}
        if not cors:
            self._send(403, {"message": "Missing Authentication Token"}, request_id)
            return
        headers = [("Access-Control-Allow-Origin", cors.get("AllowOrigin", "*"))]
        for key, header in (("AllowMethods", "Access-Control-Allow-Methods"),
                            ("AllowHeaders", "Access-Control-Allow-Headers"),
                            ("MaxAge", "Access-Control-Max-Age")):
            if key in cors:
                headers.append((header, cors[key]))
        self._write(200, headers, b"", request_id)

    def _send(self, status: int, body: dict[str, Any], request_id: str, api: str | None = None) -> None:
        headers = [("Content-Type", "application/json")]
        origin = self.gateway.cors.get(api or "", {}).get("AllowOrigin")
        if origin:  # the template's GatewayResponses add it to 4XX/5XX answers
            headers.append(("Access-Control-Allow-Origin", origin))
        self._write(status, headers, json.dumps(body).encode(), request_id)

    def _write(self, status: int, headers: list[tuple[str, str]], body: bytes, request_id: str) -> None:
        self.send_response(status)
        for name, value in headers:
            if name.lower() not in ("content-length", "connection"):
                self.send_header(name, value)
        self.send_header("x-amzn-RequestId", request_id)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
